"""One session of holding a bond on the curve known each day: the bond's curve pillars, its
flows, and the hold return on the curve bootstrapped from the pillars known then (the carry
and roll-down :mod:`research_core.pnl` builds units from)."""

from __future__ import annotations

import functools

import numpy as np

from research_core._memo import MEMO, Kind
from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.catalog import Instrument
from research_core.curves.build import spec_of
from research_core.curves.curve import (
    bootstrap,
    coupon_times,
    interp_log_df,
    interp_segments,
    rate_to_log_df,
    segments,
)
from research_core.curves.pricing import CURVE_OF, hold_return
from research_core.errors import PriceHistoryError

DT = 1.0 / B3_SESSIONS_PER_YEAR  # one session, in years
_DT = np.array(DT)  # the same as an array (the curves read arrays)
Arrays = dict[str, tuple[np.ndarray, np.ndarray]]  # name -> (obs date ns, values)


def known_at(arrays: tuple[np.ndarray, np.ndarray], idx: np.ndarray) -> np.ndarray:
    """The value known on each date of ``idx`` (ns, ascending): the last at or before it,
    NaN before the first (``pnl.known_on`` on (obs date ns, forward-filled value) arrays)."""
    dates, values = arrays
    if len(values) == 0:
        return np.full(len(idx), np.nan)
    pos = dates.searchsorted(idx, side="right") - 1
    if not len(pos) or pos.min() >= 0:  # every date after the first value: no NaN to put
        return values[pos]
    return np.where(pos >= 0, values[np.maximum(pos, 0)], np.nan)


@functools.cache
def pillars(inst: Instrument) -> tuple[tuple[str, ...], np.ndarray, tuple[str, ...], str]:
    """The pillars of the instrument's curve up to its own (series, times, kinds,
    compounding); none for an instrument not priced on a curve."""
    if inst.quote != "yield" or inst.dv01_convention not in CURVE_OF:
        return (), np.zeros(0), (), "annual"
    spec = spec_of(CURVE_OF[inst.dv01_convention])
    if inst.price_series not in spec.series:
        raise PriceHistoryError(f"{inst.id}: {inst.price_series} is not a pillar of {spec.name}")
    j = spec.series.index(inst.price_series) + 1
    return spec.series[:j], np.asarray(spec.times[:j]), spec.kinds[:j], spec.compounding


@functools.cache
def _pillar_roles(inst: Instrument) -> tuple[str, ...]:
    """The input roles (``pnl``'s ``pillar:<series>``) of the pillars before the bond's own."""
    return tuple(f"pillar:{s}" for s in pillars(inst)[0][:-1])


def session_growth(rate_pct: np.ndarray, compounding: str) -> np.ndarray:
    """One session's growth (fraction) at ``rate_pct`` % a.a. in ``compounding`` (a NaN
    rate as 0, as :func:`numpy.nan_to_num` reads it)."""
    finite = rate_pct if np.isfinite(rate_pct).all() else np.nan_to_num(rate_pct)
    return np.expm1(-rate_to_log_df(finite, _DT, compounding))


@functools.cache
def _flows(inst: Instrument) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bond's flow times (years), the same one session later (floored at 0) and each
    flow's share of the annual coupon (a zero: one flow, no coupon)."""
    t = float(pillars(inst)[1][-1])
    if inst.dv01_convention != "ust_future":
        return np.array([t]), np.maximum(np.array([t]) - DT, 0.0), np.zeros(1)
    times = coupon_times(t, 2)
    return times, np.maximum(times - DT, 0.0), np.diff(np.r_[0.0, times])


@functools.cache
def _flow_segments(inst: Instrument) -> tuple[np.ndarray, np.ndarray]:
    """Where the bond's flow times, now and then one session later (:func:`_flows`), fall
    on its curve's pillars (:func:`interp_segments`): found once, read on every day's curve
    in one pass (each time's interpolation is its own, elementwise)."""
    grid = pillars(inst)[1]
    now, later = (segments(grid, t) for t in _flows(inst)[:2])
    return np.concatenate([now[0], later[0]]), np.concatenate([now[1], later[1]])


def curve_hold(inst: Instrument, q: np.ndarray, idx: np.ndarray, data: Arrays) -> np.ndarray:
    """One session's return of holding the bond on each day's curve, unchanged: the curve
    bootstrapped (log-linear) from the pillars known that day up to the bond's own, the
    bond a zero or (Treasury) a semiannual bullet with coupon ``q`` (par at its yield)."""
    series, grid, kinds, compounding = pillars(inst)
    quotes = np.empty((len(q), len(series)))
    for j, role in enumerate(_pillar_roles(inst)):
        quotes[:, j] = known_at(data[role], idx)
    quotes[:, -1] = q
    known = np.isfinite(quotes)
    if len(q) and known.all():  # every pillar known on every day: one solve for all rows
        log_df = _bootstrap_rows(grid, quotes, kinds, compounding)
        dfs = np.exp(interp_segments(log_df, *_flow_segments(inst)))
        half = len(dfs[0]) // 2  # the flows now, then the same one session later
        return _held(inst, q, dfs[:, :half], dfs[:, half:])
    times, later, _ = _flows(inst)
    hold = np.empty(len(q))
    code = known @ (1 << np.arange(len(series)))  # which pillars each row knows, as bits
    for c in np.unique(code):  # each set of pillars known, bootstrapped alone
        rows = code == c
        sub = np.flatnonzero(known[np.argmax(rows)])
        g, k = grid[sub], tuple(kinds[i] for i in sub)
        log_df = _bootstrap_rows(g, quotes[np.ix_(rows, sub)], k, compounding)
        now, then = (np.exp(interp_log_df(g, log_df, t)) for t in (times, later))
        hold[rows] = _held(inst, q[rows], now, then)
    return hold


def _held(inst: Instrument, q: np.ndarray, now: np.ndarray, then: np.ndarray) -> np.ndarray:
    """:func:`hold_return` of the bond's flows (rows x flows) from their discount factors
    ``now`` to ``then``: a zero's one flow of 1 is the ratio of its two, the same numbers."""
    if inst.dv01_convention != "ust_future":
        return then[:, 0] / now[:, 0] - 1.0
    amounts = np.outer(q / 100.0, _flows(inst)[2])  # the coupons, par at the bond's yield
    amounts[:, -1] += 1.0
    return hold_return(amounts, now, then)


# Curves bootstrapped row by row, by content (pillar times, kinds, compounding, quotes):
# bootstrap solves pillars in order, each from the ones before, and each row alone, so a
# curve's first m pillars are the curve of those m quotes. A decision's few new rows of
# the longest bond serve the shorter bonds on the same curve (their pillars a prefix).
CURVE_ROWS: Kind[np.ndarray] = Kind("curve rows", 4096)
_FEW_ROWS = 64  # larger batches (a unit built from nothing) are bootstrapped directly


def _bootstrap_rows(
    grid: np.ndarray, quotes: np.ndarray, kinds: tuple[str, ...], compounding: str
) -> np.ndarray:
    """:func:`bootstrap`, each row (and each prefix of it) kept by content in the memo when
    the curve has par pillars (Newton solves): zero pillars cost less to solve than to find."""
    if "par" not in kinds:  # zeros: each pillar its own DF, bootstrap's checks kept (cached)
        return bootstrap(grid, quotes, kinds, compounding)
    if len(quotes) > _FEW_ROWS:
        return bootstrap(grid, quotes, kinds, compounding)
    keys = [(compounding, kinds, grid.tobytes(), row.tobytes()) for row in quotes]
    found = [MEMO.get(CURVE_ROWS, key) for key in keys]
    missing = [i for i, row in enumerate(found) if row is None]
    if missing:
        solved = bootstrap(grid, quotes[missing], kinds, compounding)
        for i, row in zip(missing, solved, strict=True):
            found[i] = row
            for m in range(1, len(grid) + 1):  # every prefix: the curve of a shorter bond
                key = (compounding, kinds[:m], grid[:m].tobytes(), quotes[i, :m].tobytes())
                MEMO.put(CURVE_ROWS, key, row[:m])
    return np.array(found)

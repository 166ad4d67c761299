"""Instrument-aware P&L: market data → the daily return of one unit of exposure.

A "unit" is a position of notional equal to the book's value, long the instrument's quote
(the house convention: +1 profits when the yield, price, FX rate or spread rises). Its daily
return, in the base currency (BRL), is

* rates (DI1, NTN-B, Treasury futures): ``1 - P(y1)/P(y0) - (h - f)`` — the bond
  repriced at the new yield, less the carry and roll-down a payer gives up: ``h`` what
  the bond earns in one session on the curve known that day, unchanged (accrual at its
  yield + the slide down the curve; ``curves.pricing``: its curve's pillars up to its
  tenor, log-linear bootstrap), ``f`` one session of funding compounded like the curve
  (CDI annual/252, the 3-month bill semiannual). NTN-B carry adds one session of the
  expected IPCA (Focus 12m, compounded).
* credit (CDS, protection buyer): ``RPV01(s1) * ds - s * dt`` (spread in bp).
* FX (USD/BRL, long USD): the spot return less the BRL-USD rate differential (forward
  points).
* equity and commodity futures: the price return (futures are excess returns).

P&L is earned in the instrument's P&L currency (``pnl_currency``): the quote's currency.
An FX quote is BRL per USD, so a long-USD unit earns its move in BRL whatever currency it
is booked in (an offshore NDF settles ``(S1 − S0) / S1`` USD per USD, which is ``S1 − S0``
BRL); every other instrument earns in its own currency. P&L earned in USD is translated to
BRL at each day's USD/BRL close. Returns are built on each instrument's own trading days
and compounded onto the requested calendar as an index, so a holiday on one exchange
carries the P&L to the next session.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core import ntnb
from research_core._memo import MEMO, Key, Kind
from research_core.calendars import B3_SESSIONS_PER_YEAR, business_days
from research_core.catalog import Instrument, instrument
from research_core.config import get_settings
from research_core.curves.hold import DT, Arrays, curve_hold, known_at, pillars, session_growth
from research_core.curves.pricing import DI1_FACE, di1_pu
from research_core.errors import PriceHistoryError
from research_core.lake.pit import PITView
from research_core.lake.walk import Mark
from research_core.models._reuse import frozen

BASE_CURRENCY = "BRL"
FUNDING = {"BRL": "BR.CDI", "USD": "US.UST.3M"}
USDBRL = "BRL.USD.SPOT"
IPCA_EXPECTED = "BR.FOCUS.IPCA.12M"
CDS_RECOVERY = 0.4
DAY_NS = 86_400_000_000_000
Marks = dict[str, Mark | None]  # a unit's input reads' marks, by role


def duration(inst: Instrument, y: np.ndarray) -> np.ndarray:
    """Modified duration (DV01 per unit notional per 1.00 of yield) at yields ``y`` (%)."""
    t = inst.tenor_years
    r = np.asarray(y, dtype=float) / 100.0
    if inst.dv01_convention in ("di1_pu", "real_yield"):
        # zeros, exponential 252 compounding: the DI1 and the NTN-B Principal (the
        # catalog's real yields are Tesouro IPCA+ zero yields; one cash flow, VNA at maturity)
        return t / (1.0 + r)
    if inst.dv01_convention == "ust_future":  # par bond, semiannual
        safe = np.where(np.abs(r) < 1e-9, 1e-9, r)
        return (1.0 - (1.0 + safe / 2.0) ** (-2.0 * t)) / safe
    if inst.dv01_convention == "cds_rpv01":
        hazard = r / (1.0 - CDS_RECOVERY)  # r here is the spread as a fraction (bp / 100)
        return (1.0 - np.exp(-hazard * t)) / np.maximum(hazard, 1e-9)
    raise PriceHistoryError(f"{inst.id}: no duration for dv01_convention {inst.dv01_convention!r}")


def known_on(data: pd.Series | pd.DataFrame, dates: pd.Index) -> np.ndarray:
    """Values known on each date: the last (forward-filled) row at or before it, NaN before
    the first. A Series gives a 1-d array, a frame a (dates x columns) array."""
    pos = np.searchsorted(data.index.values, dates.values, side="right") - 1
    values = data.to_numpy(dtype=float)
    if np.isnan(values).any():  # a unit's level has no gaps: skip the fill for it
        values = data.ffill().to_numpy(dtype=float)
    if len(values) == 0:
        return np.full((len(dates), *values.shape[1:]), np.nan)
    picked = values[np.maximum(pos, 0)]
    mask = pos >= 0 if picked.ndim == 1 else (pos >= 0)[:, None]
    return np.where(mask, picked, np.nan)


def _inputs(inst: Instrument) -> dict[str, str]:
    """The series a unit of ``inst`` is built from, by role (quote, funding, ...)."""
    roles = {"quote": inst.price_series}
    if inst.quote == "fx":
        roles |= {"funding": FUNDING["BRL"], "foreign": FUNDING["USD"]}
    elif inst.quote == "yield":
        roles["funding"] = FUNDING[inst.currency]
        if inst.dv01_convention == "real_yield":
            roles["ipca"] = IPCA_EXPECTED
        roles |= {f"pillar:{sid}": sid for sid in pillars(inst)[0][:-1]}
    if pnl_currency(inst) != BASE_CURRENCY:
        roles["fx"] = USDBRL
    return roles


@functools.cache
def _roles(inst: Instrument) -> tuple[tuple[str, str], ...]:
    """:func:`_inputs` as (role, series) pairs, worked out once per instrument."""
    return tuple(_inputs(inst).items())


@functools.cache
def _sources(inst: Instrument) -> tuple[str, ...]:
    """The series a unit of ``inst`` reads (:func:`_inputs`), in order."""
    return tuple(sid for _, sid in _roles(inst))


def _carry_parts(
    inst: Instrument, q: np.ndarray, idx: np.ndarray, data: Arrays, *, roll: bool = True
) -> tuple[np.ndarray, np.ndarray | None]:
    """Annual carry (and roll) of a long-quote unit, as a fraction, at quotes ``q`` on
    dates ``idx`` (ns), from the unit's input series ``data`` (see :func:`_inputs`), and
    the roll-down part of it (0 off the curves; None with ``roll=False``)."""
    none = np.zeros(len(q))
    if inst.quote == "price":
        return none, none
    if inst.quote == "fx":
        diff = known_at(data["funding"], idx) - known_at(data["foreign"], idx)
        return -np.nan_to_num(diff) / 100.0, none
    if inst.quote == "spread":
        return -q / 1e4, none
    if inst.quote != "yield":
        raise PriceHistoryError(f"{inst.id}: unknown quote {inst.quote!r}")
    compounding = pillars(inst)[3]
    hold = curve_hold(inst, q, idx, data)
    earned = hold - session_growth(known_at(data["funding"], idx), compounding)
    if "ipca" in data:
        earned = earned + session_growth(known_at(data["ipca"], idx), "annual")
    if not roll:
        return -earned / DT, None
    return -earned / DT, -(hold - session_growth(q, compounding)) / DT


def _carry_of(inst: Instrument, q: np.ndarray, idx: np.ndarray, data: Arrays) -> np.ndarray:
    """Annual carry and roll of a long-quote unit (:func:`_carry_parts`, its roll left out)."""
    return _carry_parts(inst, q, idx, data, roll=False)[0]


class _Reads:
    """What one call reads through a view for all its instruments: each series once, its
    gaps dropped (quotes, USD/BRL) or filled (the others, as :func:`known_on` reads them)
    once, and where it first differs from an earlier read of it found once per pair."""

    def __init__(self, view: PITView) -> None:
        self.view = view
        self.raw: Arrays = {}
        self.marks: dict[str, Mark | None] = {}  # of the reads prefetched (lake.walk)
        self.ready: dict[tuple[str, bool], tuple[np.ndarray, np.ndarray]] = {}
        self.changes: dict[tuple[int, int], tuple[object, object, int]] = {}
        self.frames: dict[str, pd.Series] = {}

    @functools.cached_property
    def local_ns(self) -> int:
        """The view's instant as local wall-clock ns (:func:`session_days`)."""
        return int(self.view.as_of.tz_convert(get_settings().timezone).tz_localize(None).value)

    @functools.cached_property
    def key(self) -> tuple[object, ...]:
        """The view's ``cache_key``, computed once (formatting its snapshot costs)."""
        return self.view.cache_key

    def prefetch(self, sids: Iterable[str]) -> None:
        """Read the series not read yet in one pass over the lake (:meth:`series` then
        finds them; the same arrays :meth:`PITView.values` gives), with their marks."""
        todo = list(dict.fromkeys(s for s in sids if s not in self.raw))
        reads = self.view.marked_arrays(todo)
        for sid, ((obs, values), mark) in zip(todo, reads, strict=True):
            self.raw[sid] = frozen(obs.view(np.int64)), frozen(values.view())
            self.marks[sid] = mark

    def mark(self, sid: str, read: tuple[np.ndarray, np.ndarray]) -> Mark | None:
        """The mark of ``read`` when it is the prefetched read of ``sid`` itself (not one
        with its gaps dropped or filled), else None."""
        return self.marks.get(sid) if read[1] is self.raw[sid][1] else None

    def values(self, sid: str) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`PITView.values` of ``sid``, read once, read-only (all on the view share it)."""
        got = self.raw.get(sid)
        if got is None:
            obs, values = self.view.values(sid)
            got = self.raw[sid] = frozen(obs.view()), frozen(values.view())
        return got

    def frame_series(self, sid: str) -> pd.Series:
        """:meth:`PITView.series` from the shared read, built once (callers must not
        modify it: every strategy on the view reads the same object)."""
        got = self.frames.get(sid)
        if got is None:
            obs, values = self.values(sid)
            index = pd.DatetimeIndex(obs.view("datetime64[ns]"), name="obs_date")
            got = self.frames[sid] = pd.Series(values, index=index, name=sid)
        return got

    def series(self, sid: str, drop_gaps: bool) -> tuple[np.ndarray, np.ndarray]:
        """``sid`` as known at the view, its gaps dropped or forward-filled."""
        got = self.ready.get((sid, drop_gaps))
        if got is None:
            got = dates, values = self.values(sid)  # no gaps: the read itself, shared
            gaps = np.isnan(values)
            if gaps.any() and drop_gaps:
                got = dates[~gaps], values[~gaps]
            elif gaps.any():
                got = dates, values[np.maximum.accumulate(np.where(gaps, 0, np.arange(len(gaps))))]
            self.ready[(sid, drop_gaps)] = got
        return got

    def first_change(self, old: _Unit, new: Arrays, marks: Marks) -> int:
        """:func:`_first_change` of ``old``'s inputs and ``new``: reads of one lineage
        (their marks, :mod:`research_core.lake.walk`) differ from where the shorter ends,
        without comparing them; others compared, each pair once (the pair is kept with the
        answer, so its ids stay theirs while this object lives)."""
        first = np.iinfo(np.int64).max
        for role, b in new.items():
            a = old.data[role]
            was, now = old.marks.get(role), marks.get(role)
            if was is not None and now is not None and was[0] is now[0]:
                k = min(was[1], now[1])  # the shorter is the start of the longer
                for d in (a[0], b[0]):
                    if k < len(d):
                        first = min(first, int(d[k]))
                continue
            hit = self.changes.get((id(a), id(b)))
            if hit is None:
                hit = self.changes[(id(a), id(b))] = (a, b, _first_change({role: a}, {role: b}))
            first = min(first, hit[2])
        return first


# The series reads of each view object, shared by its units, the strategies' own reads and
# the freshness checks (a book's strategies read about 40 series at a date, 100 times).
# Kept by the view's identity (the entry holds the view, so the id is not reused): never
# shared between two views, whatever their as-of.
READS: Kind[_Reads] = Kind("series reads", 8)


def view_reads(view: PITView) -> _Reads:
    """The reads of ``view``: each series read once for all its callers."""
    got = MEMO.get(READS, (id(view),))
    if got is None or got.view is not view:
        got = MEMO.put(READS, (id(view),), _Reads(view))
    return got


def key_of(view: PITView) -> tuple[object, ...]:
    """``view.cache_key``, computed once per view (:func:`view_reads`)."""
    return view_reads(view).key


def shared_series(view: PITView, sid: str) -> pd.Series:
    """``view.series(sid)``, read and built once per view (:func:`view_reads`); the caller
    must not modify it."""
    return view_reads(view).frame_series(sid)


def _unit_inputs(
    view: PITView, inst: Instrument, reads: _Reads, *, translate: bool = True
) -> Arrays:
    """The unit's input series as known at ``view``, each read once into ``reads``: quotes
    and USD/BRL without gaps, the others forward-filled (as :func:`known_on` reads them);
    ``translate=False`` leaves out USD/BRL."""
    data = {
        role: reads.series(sid, role in ("quote", "fx"))
        for role, sid in _roles(inst)
        if translate or role != "fx"
    }
    if len(data["quote"][1]) < 2:
        raise PriceHistoryError(f"{inst.id}: {inst.price_series} has no history at {view.as_of}")
    return data


def pnl_currency(inst: Instrument) -> str:
    """Currency a unit's P&L is earned in: BRL for a USD/BRL quote (its move is BRL per
    USD, so translating it again would count the FX move twice), else the booking currency."""
    return BASE_CURRENCY if inst.quote == "fx" else inst.currency


def last_quote(view: PITView, series_id: str) -> float:
    """The latest value of a quote series known at the view (NaN when there is none)."""
    px = view.series(series_id).dropna()
    return float(px.iloc[-1]) if len(px) else float("nan")


def carry(view: PITView, instrument_id: str, view_key: tuple[object, ...] = ()) -> float:
    """Latest annual carry and roll of a long-quote unit (fraction; receivers earn minus).
    ``view_key``: ``view.cache_key`` when the caller has it (else computed once per view)."""
    unit = MEMO.get(UNITS, (*(view_key or key_of(view)), instrument_id))
    if unit is not None:
        return float(unit.carry[-1])
    return _latest_parts(view, instrument_id)[0]


def roll(view: PITView, instrument_id: str) -> float:
    """The roll-down part of :func:`carry` (annual fraction, long-quote unit): what the
    bond earns sliding down the curve beyond the accrual at its own yield (0 off curves)."""
    return _latest_parts(view, instrument_id)[1]


def _latest_parts(view: PITView, instrument_id: str) -> tuple[float, float]:
    inst = instrument(instrument_id)  # one value: the unit's history is not needed
    data = _unit_inputs(view, inst, view_reads(view), translate=False)
    dates, q = data["quote"]
    c, r = _carry_parts(inst, q[-1:], dates[-1:], data)
    return float(c[0]), float(r[0])  # type: ignore[index]


def _bond_price(inst: Instrument, coupon: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Price per 1 of face at yields ``y`` (fractions) of the instrument's bond: the DI1
    and NTN-B Principal zeros (1 + y)^-T, or a semiannual bullet paying ``coupon`` (UST)."""
    t = inst.tenor_years
    if inst.dv01_convention in ("di1_pu", "real_yield"):
        return (1.0 + y) ** -t
    m = 2.0
    disc = (1.0 + y / m) ** (-m * t)
    safe = np.where(np.abs(y) < 1e-12, 1e-12, y)
    annuity = np.where(np.abs(y) < 1e-12, t, (1.0 - disc) / safe)
    return coupon * annuity + disc


def quote_move(inst: Instrument, q0: np.ndarray, q1: np.ndarray) -> np.ndarray:
    """Return of a long-quote unit (local currency, no carry) when the quote goes q0 → q1,
    repriced exactly, so shocks of hundreds of bp are right: relative for prices and FX;
    for yields (%) 1 − P(y1)/P(y0) of the DI1 or NTN-B Principal zero, or of a Treasury
    with coupon y0 (par at y0, so its first derivative is ``duration``); for CDS spreads
    (bp) the protection buyer's mark-to-market (s1 − s0) × RPV01(s1)."""
    q0, q1 = np.asarray(q0, dtype=float), np.asarray(q1, dtype=float)
    if inst.quote in ("price", "fx"):
        return (q1 - q0) / q0
    if inst.quote == "spread":
        return duration(inst, q1 / 100.0) * (q1 - q0) / 1e4
    y0, y1 = q0 / 100.0, q1 / 100.0
    return 1.0 - _bond_price(inst, y0, y1) / _bond_price(inst, y0, y0)


@dataclass(frozen=True, eq=False)
class _Unit:
    """One instrument's unit on its own quote dates, and the inputs it was built from."""

    data: Arrays  # input series by role (:func:`_inputs`)
    marks: Marks  # their marks (:meth:`_Reads.mark`)
    carry: np.ndarray  # annual carry at each quote
    ret: np.ndarray  # base-currency return from each quote to the next
    running: np.ndarray  # running product of 1 + ret (clipped; a NaN return counts as 0)

    @property
    def level(self) -> pd.Series:
        """Compounded unit return on the quote dates after the first (NaN where the
        return is), as ``(1 + ret.clip(lower=-0.99)).cumprod()`` gives it."""
        dates = pd.DatetimeIndex(self.data["quote"][0][1:].view("datetime64[ns]"), name="obs_date")
        return pd.Series(np.where(np.isnan(self.ret), np.nan, self.running), index=dates)

    @functools.cached_property
    def known(self) -> tuple[np.ndarray, np.ndarray]:
        """:attr:`level` as (obs date ns, value) arrays with NaN carried forward, for
        :func:`known_at` (what :func:`known_on` reads off :attr:`level`, without a frame)."""
        level = np.where(np.isnan(self.ret), np.nan, self.running)
        gaps = np.isnan(level)
        if gaps.any():
            level = level[np.maximum.accumulate(np.where(gaps, 0, np.arange(len(level))))]
        return self.data["quote"][0][1:], level


def _first_change(old: Arrays, new: Arrays) -> int:
    """The earliest obs date (ns) at which any input series differs between two reads:
    a revised value, a period added or withdrawn (int64 max when none does)."""
    first = np.iinfo(np.int64).max
    for role, (d1, v1) in new.items():
        d0, v0 = old[role]
        n = min(len(d0), len(d1))
        if d0[:n].tobytes() == d1[:n].tobytes() and v0[:n].tobytes() == v1[:n].tobytes():
            k = n  # the same bytes (the usual case: a read that only grew), one compare each
        else:
            same = (d0[:n] == d1[:n]) & ((v0[:n] == v1[:n]) | (np.isnan(v0[:n]) & np.isnan(v1[:n])))
            k = n if same.all() else int(np.argmin(same))
        for d in (d0, d1):
            if k < len(d):
                first = min(first, int(d[k]))
    return first


def _build_unit(
    inst: Instrument, data: Arrays, marks: Marks, prev: _Unit | None, reads: _Reads
) -> _Unit:
    """The unit from its inputs. With ``prev`` (the same instrument on another view) only
    what its inputs changed is recomputed: carry from the first changed date on, returns
    from the step into it, the running product continued from the step before, so the
    numbers are the ones a build from nothing gives, bit for bit."""
    dates, q = data["quote"]
    start = 0
    if prev is not None:
        start = int(np.searchsorted(dates, reads.first_change(prev, data, marks), side="left"))
    if start >= len(q) and prev is not None and len(prev.carry) == len(q):
        return _Unit(data, marks, prev.carry, prev.ret, prev.running)
    keep = max(start - 1, 0)  # ret[j] is the step from quote j to j + 1
    head = prev.carry[:start] if prev is not None else q[:0]
    carry = np.concatenate([head, _carry_of(inst, q[start:], dates[start:], data)])
    ret = quote_move(inst, q[keep:-1], q[keep + 1 :]) + carry[keep:-1] * DT
    if "fx" in data:  # USD P&L in BRL at each day's USD/BRL; the first step has no rate
        before = known_at(data["fx"], dates[keep:-1])
        if keep == 0:
            before[:1] = np.nan
        with np.errstate(divide="ignore", invalid="ignore"):
            ret = ret * (known_at(data["fx"], dates[keep + 1 :]) / before)
        ret = np.where(np.isnan(ret), 0.0, ret)
    growth = 1.0 + np.maximum(ret, -0.99)
    base = prev.running[keep - 1] if prev is not None and keep > 0 else 1.0
    tail = np.cumprod(np.concatenate(([base], np.where(np.isnan(growth), 1.0, growth))))[1:]
    if prev is not None and keep > 0:
        ret = np.concatenate([prev.ret[:keep], ret])
        tail = np.concatenate([prev.running[:keep], tail])
    return _Unit(data, marks, carry, ret, tail)


# The unit of each instrument per view (a book's risk report, its stresses and each
# proposal's pre-trade impact read the same instruments), and the last one built per
# instrument and lake, which the next view extends (a backtest's next rebalance date).
UNITS: Kind[_Unit] = Kind("units", 128)  # about 30 MB at most: a book's units on a few views
LAST_UNITS: Kind[_Unit] = Kind("last units", 128)
INCREMENTAL = True  # False: every unit built from nothing (the earlier path, for benchmarks)


def _unit(
    view: PITView, iid: str, reads: _Reads | None = None, view_key: tuple[object, ...] = ()
) -> _Unit:
    """The unit of ``iid`` at ``view``: built from the inputs the view sees, extending the
    last unit of the same instrument and lake where those inputs agree (PIT: every number
    comes from this view's reads; the previous unit only saves recomputing equal ones).
    ``view_key`` is ``view.cache_key`` when the caller has it (else computed once per view)."""
    view_key = view_key or key_of(view)
    key = (*view_key, iid)
    unit = MEMO.get(UNITS, key)
    if unit is None:
        inst = instrument(iid)
        reads = reads or view_reads(view)
        data = _unit_inputs(view, inst, reads)
        marks = {role: reads.mark(sid, data[role]) for role, sid in _roles(inst)}
        last = (view_key[0], view_key[-1], iid)
        prev = MEMO.get(LAST_UNITS, last) if INCREMENTAL else None
        unit = _build_unit(inst, data, marks, prev, reads)
        MEMO.put(UNITS, key, unit)
        MEMO.put(LAST_UNITS, last, unit)
    return unit


def _base_level(
    view: PITView, iid: str, reads: _Reads | None = None, view_key: tuple[object, ...] = ()
) -> pd.Series:
    """Compounded unit return in the base currency on the instrument's own dates."""
    return _unit(view, iid, reads, view_key).level


def unit_index(
    view: PITView,
    instrument_ids: Sequence[str],
    start: object,
    end: object | None = None,
    calendar: str = "B3",
    *,
    trim: bool = False,
) -> pd.DataFrame:
    """Compounded unit-return index (1.0 on its first row), base currency, on ``calendar`` days.
    Everything is read through ``view`` (a row for day t uses only what was public by its
    as-of instant; later days are not in the frame). An instrument with no price at
    ``start`` raises, or with ``trim`` the frame starts where all have one."""
    ids = list(dict.fromkeys(instrument_ids))
    days, level = unit_levels(view, ids, session_days(view, start, end, calendar), trim=trim)
    return pd.DataFrame(level, index=days, columns=ids)


@functools.cache
def _calendar(calendar: str) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """:func:`business_days` and its sessions as int64 ns (read-only), built once."""
    sessions = business_days(calendar)
    ns = sessions.as_unit("ns").asi8.copy()
    ns.flags.writeable = False
    return sessions, ns


def session_span(
    view: PITView, start: object, end: object | None = None, calendar: str = "B3"
) -> tuple[pd.DatetimeIndex, np.ndarray, int, int]:
    """:func:`session_days` as the calendar's sessions, their ns and the rows [lo, hi) it
    keeps (no index sliced: hot loops read the ns)."""
    local = view_reads(view).local_ns  # sessions are local dates
    last = local - local % DAY_NS if end is None else pd.Timestamp(end).value  # type: ignore[arg-type]
    sessions, ns = _calendar(calendar)
    first: pd.Timestamp = pd.Timestamp(start)  # type: ignore[arg-type]
    lo = int(ns.searchsorted(np.int64(first.value), side="left"))
    hi = int(ns.searchsorted(min(last, local), side="right"))
    if hi <= lo:
        raise PriceHistoryError(f"no {calendar} sessions between {start} and {pd.Timestamp(last)}")
    return sessions, ns, lo, hi


def session_days(
    view: PITView, start: object, end: object | None = None, calendar: str = "B3"
) -> pd.DatetimeIndex:
    """The ``calendar``'s sessions from ``start`` to ``end`` (the view's date by default)
    that have begun by the view's instant (local time)."""
    sessions, _, lo, hi = session_span(view, start, end, calendar)
    return sessions[lo:hi]


def unit_levels(
    view: PITView,
    instrument_ids: Sequence[str],
    days: pd.DatetimeIndex,
    *,
    trim: bool = False,
    view_key: Key = (),
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """:func:`unit_index` on ``days`` (:func:`session_days`) as its days and a (days x distinct
    ids) array: no frame built, for hot loops (a strategy's weekly decision). ``view_key``:
    ``view.cache_key`` when the caller has it."""
    ids = list(dict.fromkeys(instrument_ids))
    rows, level = level_rows(view, ids, days.as_unit("ns").asi8, trim=trim, view_key=view_key)
    return (days if rows is None else days[rows]), level


def level_rows(
    view: PITView, ids: Sequence[str], at: np.ndarray, *, trim: bool = False, view_key: Key = ()
) -> tuple[np.ndarray | None, np.ndarray]:
    """:func:`unit_levels` of the distinct ``ids`` on sessions ``at`` (ns): the rows of
    ``at`` kept (None: all of them) and the levels on them."""
    key = view_key or key_of(view)
    units = {i: MEMO.get(UNITS, (*key, i)) for i in ids}
    todo = [i for i, u in units.items() if u is None]
    if todo:
        reads = view_reads(view)  # each series read once per view, in one pass
        reads.prefetch(s for i in todo for s in _sources(instrument(i)))
        for iid in sorted(todo, key=lambda i: -len(pillars(instrument(i))[0])):  # longest
            units[iid] = _unit(view, iid, reads, key)  # first: shorter ones reuse curves
    level = np.empty((len(at), len(ids)))
    for col, iid in enumerate(ids):
        level[:, col] = known_at(units[iid].known, at)  # type: ignore[union-attr]
    first, rows = level[0], None
    if np.isnan(first).any() and trim:
        rows = np.flatnonzero(~np.isnan(level).any(axis=1))  # the rows all instruments price
        if len(rows) == 0:
            raise PriceHistoryError(f"{ids} have no common prices by {pd.Timestamp(at[-1]).date()}")
        level = level[rows]
        first = level[0]
    if np.isnan(first).any():
        missing = [i for i, f in zip(ids, first, strict=True) if np.isnan(f)]
        since = pd.Timestamp(at[0] if rows is None else at[rows[0]]).date()
        raise PriceHistoryError(f"no prices before {since} for {missing}")
    return rows, level / first


def unit_volatility(
    returns: np.ndarray, lookback: int, floor: float = 0.0, bound: np.ndarray | None = None
) -> np.ndarray:
    """Daily volatility of each column of unit returns (rows = days): the sample sd (ddof 1,
    NaN skipped) of the last ``lookback`` rows, floored at ``floor`` × the sd over all
    rows, so a quote stuck at a floor or a quiet spell cannot make a risk-scaled position
    explode. The one definition of instrument volatility (backtest sizing, strategies).

    ``bound``: an upper bound of each column's sd over all rows; where ``floor`` × it is
    below every recent sd the floor cannot bind: that sd is not computed (the same bits)."""
    r = np.asarray(returns, dtype=float)
    recent = np.nanstd(r[-lookback:], axis=0, ddof=1)
    if floor <= 0 or (bound is not None and bool((floor * bound < recent).all())):
        return recent
    return np.fmax(recent, floor * np.nanstd(r, axis=0, ddof=1))


def _di1_value(inst: Instrument, quote: float) -> float:
    """One DI1 of the catalog's generic tenor (du = 252 × years) at its PU, BRL."""
    du = round(B3_SESSIONS_PER_YEAR * inst.tenor_years)
    return inst.multiplier / DI1_FACE * di1_pu(quote, du)


def contract_notional(
    inst: Instrument, quote: float, usdbrl: float, vna: float | None = None
) -> float:
    """Base-currency value of one contract at this quote (for the liquidity model): a DI1
    at its PU, an NTN-B at its price (the VNA known then × its quotation as the NTN-B
    Principal zero, ``research_core.ntnb``), futures, FX and CDS at their face."""
    fx = usdbrl if inst.currency == "USD" else 1.0
    if inst.quote == "fx":  # multiplier USD × quote BRL per USD = BRL notional
        return inst.multiplier * quote
    if inst.dv01_convention == "di1_pu":
        return _di1_value(inst, quote)
    if inst.dv01_convention == "real_yield":
        if vna is None or not vna > 0:
            raise PriceHistoryError(f"{inst.id}: a bond is worth VNA × quotation; VNA {vna}")
        bonds = inst.multiplier / ntnb.VNA_BASE  # bonds per contract (face at the base date)
        return bonds * ntnb.price(vna, quote, inst.tenor_years) * fx
    if inst.quote in ("yield", "spread"):
        return inst.multiplier * fx
    return inst.multiplier * quote * fx


def contract_value(inst: Instrument, quote: float) -> float | None:
    """Value of one listed-futures contract in the instrument's own currency at this quote
    (the exchange's contract size, ``inst.contract``): a DI1 at its PU = 100,000 / (1 + r)
    ^ (du/252), ``du/252`` the tenor in years; a DOL at USD 50,000 × the quote (BRL); a
    Treasury future at its face; price futures at multiplier × price. None for instruments
    traded in notional (no ``contract``: NTN-B, NDF, CDS)."""
    if not inst.contract:
        return None
    if not np.isfinite(quote) or (inst.quote != "yield" and quote <= 0):
        raise PriceHistoryError(f"{inst.id}: no usable quote ({quote!r}) to size contracts")
    if inst.dv01_convention == "di1_pu":
        return _di1_value(inst, quote)
    if inst.quote in ("yield", "spread"):
        return inst.multiplier
    return inst.multiplier * quote


def whole_contracts(notional: float, value: float) -> int:
    """Signed notional (own currency) → whole contracts worth ``value`` each, rounded
    toward zero: a trade never overshoots its target, so a book between the held one and
    the target stays within every limit both meet."""
    return int(np.sign(notional) * np.floor(abs(notional) / value + 1e-9))


def cdi_accrual(rate_pct: np.ndarray) -> np.ndarray:
    """Daily accrual (fraction) of the CDI (``rate_pct`` % a.a., 252 sessions, one value a
    session): each session earns the rate known the session before, the first earns nothing.
    The one home of the collateral's funding accrual (backtests, strategy health)."""
    prev = np.nan_to_num(np.r_[0.0, np.asarray(rate_pct, dtype=float)[:-1]])
    return (1.0 + prev / 100.0) ** (1.0 / B3_SESSIONS_PER_YEAR) - 1.0

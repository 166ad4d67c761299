"""A term structure as discount factors: zero, forward and par rates on its own conventions.

A curve holds log discount factors at pillar times (years on its basis: business days / 252
on the B3 calendar for DI and NTN-B, act/365.25 for Treasuries) and reads any maturity by
log-linear interpolation of the discount factor (piecewise-flat forwards between pillars;
beyond the last pillar the last forward continues), by monotone-convex interpolation of
the forwards (``method="monotone-convex"``, :mod:`research_core.curves.monotone`), or
from a Nelson–Siegel–Svensson parameter set. Rates are quoted in % a.a. in the curve's
compounding: ``annual`` (DI and NTN-B: DF = (1 + z)^−t), ``semiannual`` (Treasury bond-equivalent:
DF = (1 + z/2)^−2t) or ``continuous`` (DF = e^−zt, the GSW convention).

:func:`bootstrap` solves the pillars from the instruments' quotes, many days at once: a
zero quote is its own discount factor; a par quote is a bullet bond priced at par, with
coupons at the compounding frequency back from its maturity, whose coupon dates between
the previous pillar and its own are read off the (unknown) log-linear segment — Newton's
method on the pillar's log discount factor, to machine precision.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from research_core.curves.monotone import monotone_convex_log_df
from research_core.curves.nss import NSSFit, nss_yield
from research_core.errors import CurveError

FREQUENCY = {"annual": 1, "semiannual": 2, "continuous": 0}
KINDS = ("zero", "par")


def _check_compounding(compounding: str) -> int:
    if compounding not in FREQUENCY:
        raise CurveError(f"compounding {compounding!r}; valid: {', '.join(FREQUENCY)}")
    return FREQUENCY[compounding]


def rate_to_log_df(rate_pct: np.ndarray, t: np.ndarray, compounding: str) -> np.ndarray:
    """log DF of a zero rate (% a.a.) in ``compounding`` at times ``t`` (years)."""
    m, r = _check_compounding(compounding), np.asarray(rate_pct, dtype=float) / 100.0
    if m == 0:
        return -r * t
    return -m * t * np.log1p(r / m)


def log_df_to_rate(log_df: np.ndarray, t: np.ndarray, compounding: str) -> np.ndarray:
    """Zero rate (% a.a.) in ``compounding`` of log discount factors at times ``t`` > 0."""
    m, t = _check_compounding(compounding), np.asarray(t, dtype=float)
    if m == 0:
        return -100.0 * np.asarray(log_df) / t
    return 100.0 * m * np.expm1(-np.asarray(log_df) / (m * t))


def segments(grid: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each time, the segment of ``grid`` (starting at 0) it falls in and its weight
    (>1 past the last pillar: the last segment's forward continues)."""
    knots = np.concatenate(([0.0], grid))  # (np.r_ and np.clip cost more than the work)
    seg = np.minimum(np.maximum(np.searchsorted(knots, t, side="left") - 1, 0), len(grid) - 1)
    w = (t - knots[seg]) / (knots[seg + 1] - knots[seg])
    return seg, w


def interp_log_df(grid: np.ndarray, log_df: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Log-linear discount interpolation at ``t`` (years ≥ 0) on pillars ``grid``; rows of
    ``log_df`` (…, pillars) are curves, the answer is (…, len(t))."""
    t = np.asarray(t, dtype=float)
    if (t < 0).any():
        raise CurveError("a curve reads times ≥ 0 years")
    return interp_segments(log_df, *segments(grid, t))


def interp_segments(log_df: np.ndarray, seg: np.ndarray, w: np.ndarray) -> np.ndarray:
    """:func:`interp_log_df` at times whose segments and weights (:func:`segments`) are
    known: curves read again and again at the same times find them once."""
    values = np.concatenate([np.zeros((*np.shape(log_df)[:-1], 1)), log_df], axis=-1)
    return values[..., seg] * (1.0 - w) + values[..., seg + 1] * w


def row_sums(values: np.ndarray) -> np.ndarray:
    """The sums over the last axis, each added left to right: the same bits for a row
    whatever the batch (``ndarray.sum`` sums a contiguous row pairwise but a strided one
    in order, and an indexed batch of one row is contiguous where a larger one is not)."""
    if values.shape[-1] == 0:
        return np.zeros(values.shape[:-1])
    columns = np.asfortranarray(values)  # each column contiguous (an indexed batch already is)
    total = columns[..., 0].copy()
    for j in range(1, columns.shape[-1]):
        total += columns[..., j]
    return total


def coupon_times(maturity: float, freq: int) -> np.ndarray:
    """Coupon dates (years) of a bullet paying ``freq`` times a year, back from maturity
    (the first period a short stub when the maturity is not a whole number of periods)."""
    n = int(np.ceil(maturity * freq - 1e-9))
    times = maturity - np.arange(n) / freq
    return np.sort(times[times > 1e-9])


def _solve_par(
    grid: np.ndarray, solved: np.ndarray, j: int, coupon: np.ndarray, freq: int
) -> np.ndarray:
    """Log DF at pillar ``j`` making a bullet with coupon ``coupon`` (fraction) worth par,
    for every row at once (Newton; coupons before the previous pillar are known)."""
    times = coupon_times(float(grid[j]), freq)
    prev = float(grid[j - 1]) if j else 0.0
    lp = solved[:, j - 1] if j else np.zeros(len(coupon))
    known_t, new_t = times[times <= prev + 1e-12], times[times > prev + 1e-12]
    known = row_sums(np.exp(interp_log_df(grid[:j], solved[:, :j], known_t))) if j else 0.0
    w = (new_t - prev) / (float(grid[j]) - prev)
    c = coupon / freq
    x = -float(grid[j]) * freq * np.log1p(c)  # the zero at the coupon rate: a good start
    done = ~np.isfinite(x)  # a row stops on its own step, so its answer is the same in any batch
    for _ in range(50):
        legs = np.exp(lp[:, None] + w[None, :] * (x - lp)[:, None])
        f = c * (known + legs.sum(axis=1)) + np.exp(x) - 1.0
        df = c * (legs * w[None, :]).sum(axis=1) + np.exp(x)
        step = np.where(done, 0.0, f / df)
        x = x - step
        done |= ~(np.abs(step) >= 1e-15)
        if done.all():
            break
    return x


def bootstrap(
    grid: np.ndarray, quotes: np.ndarray, kinds: tuple[str, ...], compounding: str
) -> np.ndarray:
    """Log discount factors (rows × pillars) reproducing each row's quotes (% a.a.): a
    ``zero`` quote in ``compounding``, a ``par`` quote a bullet paying coupons at the
    compounding's frequency. Pillars are solved in order, each from the ones before."""
    grid, q = np.asarray(grid, dtype=float), np.atleast_2d(np.asarray(quotes, dtype=float))
    freq = _check_compounding(compounding)
    if q.shape[1] != len(grid) or len(kinds) != len(grid):
        raise CurveError(f"{len(grid)} pillars but {q.shape[1]} quotes, {len(kinds)} kinds")
    zero, par = _plan(tuple(grid.tolist()), tuple(kinds), freq)
    if not par:  # zeros only: each its own DF, the whole block at once
        return rate_to_log_df(q, grid, compounding)
    out = np.empty_like(q)
    out[:, zero] = rate_to_log_df(q[:, zero], grid[zero], compounding)  # each its own DF
    for j in par:  # par pillars in order, each from the ones before
        out[:, j] = _solve_par(grid, out, j, q[:, j] / 100.0, freq)
    return out


@functools.lru_cache(maxsize=256)  # a few curves' pillars, or each day's DI1 settlements
def _plan(
    grid: tuple[float, ...], kinds: tuple[str, ...], freq: int
) -> tuple[np.ndarray, tuple[int, ...]]:
    """The zero pillars (a mask) and the par ones (in order) of a curve's instruments,
    checked once per (pillars, kinds, frequency): curves are bootstrapped day after day."""
    g = np.asarray(grid)
    if len(g) == 0 or (np.diff(g) <= 0).any() or g[0] <= 0:
        raise CurveError(f"pillar times must be positive and increasing, got {list(grid)}")
    bad = set(kinds) - set(KINDS)
    if bad or ("par" in kinds and freq == 0):
        raise CurveError(f"instrument kinds {sorted(bad)}: valid zero, par (par needs a frequency)")
    par = tuple(j for j, kind in enumerate(kinds) if kind != "zero")
    for j in par:
        if abs(g[j] * freq - round(g[j] * freq)) > 1e-9:
            raise CurveError(f"a par pillar at {g[j]} years is not a whole coupon count")
    zero = np.array([kind == "zero" for kind in kinds])
    zero.flags.writeable = False
    return zero, par


def par_rate(grid: np.ndarray, log_df: np.ndarray, maturity: float, freq: int) -> np.ndarray:
    """Par coupon (% a.a.) of a bullet paying ``freq`` times a year to ``maturity``."""
    times = coupon_times(maturity, freq)
    dfs = np.exp(interp_log_df(grid, log_df, times))
    return 100.0 * (1.0 - dfs[..., -1]) / (dfs * np.diff(np.r_[0.0, times])).sum(axis=-1)


def reprice(
    grid: np.ndarray, log_df: np.ndarray, kinds: tuple[str, ...], compounding: str
) -> np.ndarray:
    """The quotes (% a.a.) the curve gives back for its own instruments (rows × pillars)."""
    freq, ld = FREQUENCY[compounding], np.atleast_2d(log_df)
    cols = [
        log_df_to_rate(ld[:, j], grid[j], compounding)
        if kind == "zero"
        else par_rate(grid, ld, float(grid[j]), freq)
        for j, kind in enumerate(kinds)
    ]
    return np.stack(cols, axis=1)


@dataclass(frozen=True, eq=False)
class Curve:
    """One day's term structure. ``times``/``log_df``: the pillars; ``nss``: set when the
    curve is a fitted Nelson–Siegel–Svensson (it then reads every maturity from it)."""

    name: str
    as_of: pd.Timestamp
    times: np.ndarray
    log_df: np.ndarray
    compounding: str
    basis: str
    method: str = "log-linear"
    quotes: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))
    nss: NSSFit | None = None

    def _log_df(self, t: np.ndarray) -> np.ndarray:
        t = np.asarray(t, dtype=float)
        if self.nss is not None:
            return -nss_yield(self.nss.params, np.maximum(t, 1e-12)) / 100.0 * t
        if self.method == "monotone-convex":
            return monotone_convex_log_df(self.times, self.log_df, t)
        return interp_log_df(self.times, self.log_df, t)

    def discount(self, t: object) -> np.ndarray:
        """Discount factors at ``t`` years on the curve's basis."""
        return np.exp(self._log_df(np.atleast_1d(np.asarray(t, dtype=float))))

    def zero(self, t: object) -> np.ndarray:
        """Zero rates (% a.a., the curve's compounding) at ``t`` > 0 years."""
        tt = np.atleast_1d(np.asarray(t, dtype=float))
        return log_df_to_rate(self._log_df(tt), tt, self.compounding)

    def forward(self, t1: object, t2: object) -> np.ndarray:
        """Forward rate (% a.a., the curve's compounding) from ``t1`` to ``t2`` years."""
        a = np.atleast_1d(np.asarray(t1, dtype=float))
        b = np.atleast_1d(np.asarray(t2, dtype=float))
        if (b <= a).any():
            raise CurveError("a forward needs t2 > t1")
        return log_df_to_rate(self._log_df(b) - self._log_df(a), b - a, self.compounding)

    def par(self, maturity: float) -> float:
        """Par coupon rate (% a.a.) of a bullet to ``maturity`` years paying at the curve's
        frequency (annual for continuous curves); a short first period accrues pro rata."""
        if maturity <= 0:
            raise CurveError("a par rate needs a maturity > 0 years")
        times = coupon_times(float(maturity), FREQUENCY[self.compounding] or 1)
        dfs = self.discount(times)
        return float(100.0 * (1.0 - dfs[-1]) / (dfs * np.diff(np.r_[0.0, times])).sum())

    def to_frame(self, tenors: object = (0.25, 0.5, 1, 2, 3, 5, 10)) -> pd.DataFrame:
        """Zero (% a.a.), discount factor, 1y forward ending at the tenor (% a.a.) and par
        rate (% a.a.) at each tenor (years)."""
        t = np.asarray(tenors, dtype=float)
        start = np.maximum(t - 1.0, 0.0)
        return pd.DataFrame(
            {
                "years": t,
                "zero_pct": self.zero(t),
                "discount": self.discount(t),
                "fwd_1y_pct": self.forward(start, t),
                "par_pct": [self.par(x) for x in t],
            }
        )

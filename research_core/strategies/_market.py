"""Market helpers strategies share: returns and carry per unit risk, cross-sectional ranks."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from research_core._memo import MEMO, Kind
from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.errors import PriceHistoryError
from research_core.lake.pit import PITView
from research_core.models.scores import nan_mean, nan_std, nan_sum
from research_core.pnl import (
    DAY_NS,
    carry,
    key_of,
    level_rows,
    session_span,
    unit_volatility,
    view_reads,
)

RETURNS: Kind[tuple[pd.DatetimeIndex, np.ndarray]] = Kind("unit returns", 1024)


def return_arrays(
    view: PITView, ids: Sequence[str], sessions: int, view_key: tuple[object, ...] = ()
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """:func:`unit_returns` as its days and a read-only (days x distinct ids) array, for
    hot loops (no frame built, nothing copied). ``view_key``: ``view.cache_key`` when the
    caller has it (else computed once per view).

    Memoized per view (lake, lake version, as-of, vintage), like agent runs: strategies of
    one book that rebalance on the same day and read the same instruments share the work.
    """
    view_key = view_key or key_of(view)
    key = (*view_key, tuple(ids), sessions)
    got = MEMO.get(RETURNS, key)
    if got is None:
        utc = view.as_of.value  # the start: the view's UTC date less the calendar days
        start = utc - utc % DAY_NS - (int(sessions * 1.5) + 10) * DAY_NS
        days, at, lo, hi = session_span(view, pd.Timestamp(start))
        distinct = distinct_ids(ids)
        rows, level = level_rows(view, distinct, at[lo:hi], trim=True, view_key=view_key)
        daily = (level[1:] / level[:-1] - 1.0)[-sessions:]  # pct_change, without frames
        daily.flags.writeable = False  # shared by every caller of this view
        first = max(len(level) - sessions, 1)
        days = days[lo + first : hi] if rows is None else days[lo:hi][rows][first:]
        got = MEMO.put(RETURNS, key, (days, daily))
    return got


def unit_returns(view: PITView, ids: Sequence[str], sessions: int) -> pd.DataFrame:
    """Daily unit returns (house sign, base currency) over the last ``sessions`` sessions
    (:func:`return_arrays`, as a frame of its own)."""
    days, daily = return_arrays(view, ids, sessions)
    return pd.DataFrame(daily.copy(), index=days, columns=distinct_ids(ids))


def aligned(view: PITView, ids: Sequence[str]) -> np.ndarray:
    """``view.frame(ids).ffill().dropna()`` as a (dates x ids) array, without frames: on
    the union of the series' dates, each the last value known at or before the date (a
    view's history has no NaN: withdrawn periods are left out), from the first date all
    have one."""
    shared = view_reads(view)
    reads = [shared.values(s) for s in ids]
    dates = np.unique(np.concatenate([d for d, _ in reads]))  # sorted union
    out = np.empty((len(dates), len(ids)))
    first = 0
    for j, (d, v) in enumerate(reads):
        pos = np.searchsorted(d, dates, side="right") - 1
        out[:, j] = v[np.maximum(pos, 0)] if len(v) else np.nan
        first = max(first, int(np.searchsorted(pos, 0, side="left")))  # rows before its first
    return out[first:]


def distinct_ids(ids: Iterable[str]) -> list[str]:
    """``ids`` each once, in order: the columns the arrays of this module have."""
    return list(dict.fromkeys(ids))


def values_of(view: PITView, sid: str) -> np.ndarray:
    """``shared_series(view, sid).to_numpy()`` without the Series: the view's values of
    ``sid``, read once per view (callers must not modify them)."""
    return view_reads(view).values(sid)[1]


def common_values(view: PITView, sids: Sequence[str]) -> list[np.ndarray]:
    """The values of each of ``sids`` on the dates all of them have: what pandas aligns
    ``shared_series`` on in an expression of them whose NaN are dropped (``(a - b).dropna()``
    is ``a - b`` on these arrays, NaN dropped: :func:`dropped`), without the Series."""
    return on_common_dates([view_reads(view).values(s) for s in sids])


def on_common_dates(reads: Sequence[tuple[np.ndarray, np.ndarray]]) -> list[np.ndarray]:
    """:func:`common_values` of (sorted unique dates, values) pairs."""
    dates = reads[0][0]
    if all(len(d) == len(dates) and (d == dates).all() for d, _ in reads[1:]):
        return [v for _, v in reads]  # the usual case: one calendar
    for d, _ in reads:
        if (np.diff(d) <= 0).any():  # intersect1d and searchsorted need it, pandas would not
            raise PriceHistoryError("common dates need sorted unique dates in each series")
    for d, _ in reads[1:]:
        dates = np.intersect1d(dates, d, assume_unique=True)
    return [v[np.searchsorted(d, dates)] for d, v in reads]


def dropped(values: np.ndarray) -> np.ndarray:
    """``values`` without NaN (a Series' ``dropna``)."""
    return values[~np.isnan(values)]


def by_column(daily: np.ndarray) -> np.ndarray:
    """(days x ids) returns as (ids x days), the layout of a frame's block: pandas'
    column reductions (``pandas.core.nanops``) run on it, so on it they give the frame's
    bits without building the frame."""
    return np.ascontiguousarray(daily.T)


def momentum_array(view: PITView, ids: Sequence[str], sessions: int, skip: int = 0) -> np.ndarray:
    """:func:`momentum` as an array over the distinct ``ids``, in order."""
    _, daily = return_arrays(view, ids, sessions + skip)
    window = by_column(daily[: len(daily) - skip] if skip else daily)
    total = nan_sum(np.log1p(window), axis=1)
    vol = nan_std(window, axis=1) * np.sqrt(window.shape[1])
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = total / np.where(vol == 0.0, np.nan, vol)
    return np.where(np.isnan(ratio), 0.0, ratio)


def momentum(view: PITView, ids: Sequence[str], sessions: int, skip: int = 0) -> pd.Series:
    """Compounded unit return over ``sessions`` sessions ending ``skip`` sessions ago,
    divided by its volatility over the window (a t-stat-like score)."""
    cols = distinct_ids(ids)
    return pd.Series(momentum_array(view, ids, sessions, skip), index=cols)


def carry_to_vol(
    view: PITView, ids: Sequence[str], sessions: int = B3_SESSIONS_PER_YEAR
) -> pd.Series:
    """Annual carry of a long-quote unit over its annualized volatility."""
    return pd.Series(carry_to_vol_array(view, ids, sessions), index=distinct_ids(ids))


def carry_to_vol_array(
    view: PITView, ids: Sequence[str], sessions: int = B3_SESSIONS_PER_YEAR
) -> np.ndarray:
    """:func:`carry_to_vol` as an array over the distinct ``ids``, in order."""
    key = key_of(view)
    _, daily = return_arrays(view, ids, sessions, key)
    # the column-major layout a frame of the returns has: the sums run as they always did
    vol = unit_volatility(np.asfortranarray(daily), sessions) * np.sqrt(B3_SESSIONS_PER_YEAR)
    c = np.array([carry(view, i, key) for i in distinct_ids(ids)], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = c / np.where(vol == 0.0, np.nan, vol)
    return np.where(np.isnan(ratio), 0.0, ratio)


def rank_positions(score: pd.Series) -> dict[str, float]:
    """Cross-sectional ranks scaled to [-1, 1] (best +1, worst -1; ties share a rank)."""
    return rank_items(score.index, score.to_numpy(dtype=float))


def rank_items(ids: Iterable[object], score: np.ndarray) -> dict[str, float]:
    """:func:`rank_positions` of the scores ``score`` of ``ids`` (NaN left out): average
    ranks counted exactly (halves), so the scaled ranks are the ones pandas gives."""
    keep = ~np.isnan(score)
    names, s = [str(i) for i, k in zip(ids, keep, strict=True) if k], score[keep]
    if len(s) < 2:
        return {}
    less = (s[None, :] < s[:, None]).sum(axis=1)
    ties = (s[None, :] == s[:, None]).sum(axis=1)
    r = less + (ties + 1) / 2.0  # rank(method="average")
    mean = float(nan_mean(r))
    with np.errstate(invalid="ignore"):  # all tied: 0 / 0, NaN as pandas gives it
        scaled = (r - mean) / (r.max() - mean)
    return dict(zip(names, scaled.tolist(), strict=True))

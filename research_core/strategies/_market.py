"""Market helpers strategies share: returns and carry per unit risk, cross-sectional ranks."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from research_core._memo import MEMO, Kind
from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.lake.pit import PITView
from research_core.pnl import carry, session_days, unit_levels, unit_volatility

RETURNS: Kind[tuple[pd.DatetimeIndex, np.ndarray]] = Kind("unit returns", 1024)


def return_arrays(
    view: PITView, ids: Sequence[str], sessions: int, view_key: tuple[object, ...] = ()
) -> tuple[pd.DatetimeIndex, np.ndarray]:
    """:func:`unit_returns` as its days and a read-only (days x distinct ids) array, for
    hot loops (no frame built, nothing copied). ``view_key``: ``view.cache_key`` when the
    caller has it (it is computed each time).

    Memoized per view (lake, lake version, as-of, vintage), like agent runs: strategies of
    one book that rebalance on the same day and read the same instruments share the work.
    """
    view_key = view_key or view.cache_key
    key = (*view_key, tuple(ids), sessions)
    got = MEMO.get(RETURNS, key)
    if got is None:
        start = view.as_of.tz_convert(None).normalize() - pd.Timedelta(
            days=int(sessions * 1.5) + 10
        )
        days, level = unit_levels(
            view, ids, session_days(view, start), trim=True, view_key=view_key
        )
        daily = (level[1:] / level[:-1] - 1.0)[-sessions:]  # pct_change, without frames
        daily.flags.writeable = False  # shared by every caller of this view
        got = MEMO.put(RETURNS, key, (days[max(len(days) - sessions, 1) :], daily))
    return got


def unit_returns(view: PITView, ids: Sequence[str], sessions: int) -> pd.DataFrame:
    """Daily unit returns (house sign, base currency) over the last ``sessions`` sessions
    (:func:`return_arrays`, as a frame of its own)."""
    days, daily = return_arrays(view, ids, sessions)
    return pd.DataFrame(daily.copy(), index=days, columns=list(dict.fromkeys(ids)))


def aligned(view: PITView, ids: Sequence[str]) -> np.ndarray:
    """``view.frame(ids).ffill().dropna()`` as a (dates x ids) array, without frames: on
    the union of the series' dates, each the last value known at or before the date (a
    view's history has no NaN: withdrawn periods are left out), from the first date all
    have one."""
    reads = [view.values(s) for s in ids]
    dates = np.unique(np.concatenate([d for d, _ in reads]))  # sorted union
    out = np.empty((len(dates), len(ids)))
    first = 0
    for j, (d, v) in enumerate(reads):
        pos = np.searchsorted(d, dates, side="right") - 1
        out[:, j] = v[np.maximum(pos, 0)] if len(v) else np.nan
        first = max(first, int(np.searchsorted(pos, 0, side="left")))  # rows before its first
    return out[first:]


def momentum(view: PITView, ids: Sequence[str], sessions: int, skip: int = 0) -> pd.Series:
    """Compounded unit return over ``sessions`` sessions ending ``skip`` sessions ago,
    divided by its volatility over the window (a t-stat-like score)."""
    r = unit_returns(view, ids, sessions + skip)
    window = r.iloc[: len(r) - skip] if skip else r
    total = np.log1p(window).sum()
    vol = window.std() * np.sqrt(len(window))
    return (total / vol.replace(0.0, np.nan)).fillna(0.0)


def carry_to_vol(
    view: PITView, ids: Sequence[str], sessions: int = B3_SESSIONS_PER_YEAR
) -> pd.Series:
    """Annual carry of a long-quote unit over its annualized volatility."""
    _, daily = return_arrays(view, ids, sessions)
    # the column-major layout a frame of the returns has: the sums run as they always did
    vol = unit_volatility(np.asfortranarray(daily), sessions) * np.sqrt(B3_SESSIONS_PER_YEAR)
    cols = list(dict.fromkeys(ids))
    c = np.array([carry(view, i) for i in cols], dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = c / np.where(vol == 0.0, np.nan, vol)
    return pd.Series(np.where(np.isnan(ratio), 0.0, ratio), index=cols)


def rank_positions(score: pd.Series) -> dict[str, float]:
    """Cross-sectional ranks scaled to [-1, 1] (best +1, worst -1; ties share a rank)."""
    s = score.dropna()
    if len(s) < 2:
        return {}
    r = s.rank(method="average")
    scaled = (r - r.mean()) / (r.max() - r.mean())
    return {str(k): float(v) for k, v in scaled.items()}

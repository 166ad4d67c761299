"""Small transformations agents share: monthly sampling, compounding, weekly returns."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from research_core.models.inputs import month_starts
from research_core.models.resample import weekly_last_frame


def monthly(series: pd.Series, how: str = "mean") -> pd.Series:
    """Month-start indexed monthly mean (or last) of a daily/weekly series.

    The same numbers as ``series.resample("MS")`` (the same grouped kernel, on month
    numbers), without building the resampler's bins: agents call this per series per date.
    """
    index = series.index
    naive = isinstance(index, pd.DatetimeIndex) and index.tz is None
    if series.dtype == np.float64:
        known = not np.isnan(series.to_numpy()).all()  # series.notna().any(), on the array
    else:
        known = bool(series.notna().any())
    if naive and index.is_monotonic_increasing and known and not index.hasnans:  # by date
        months = _month_numbers(index.values)
        by_month = series.groupby(months, sort=True)
        out = by_month.mean() if how == "mean" else by_month.last()
        values = out.to_numpy()
        keep = ~np.isnan(values) if values.dtype.kind == "f" else out.notna().to_numpy()
        kept = out.index.to_numpy()[keep]
        months_kept = month_starts(kept, index.values.dtype, index.name)
        return pd.Series(values[keep], index=months_kept, name=series.name)
    grouped = series.resample("MS")
    return (grouped.mean() if how == "mean" else grouped.last()).dropna()


def _month_numbers(dates: np.ndarray) -> np.ndarray:
    """``dates.astype("datetime64[M]")`` as int64 for increasing dates without NaT: each
    date's place among the month starts it spans (a search, not a calendar conversion)."""
    first, last = dates[0].astype("datetime64[M]"), dates[-1].astype("datetime64[M]")
    starts = np.arange(first, last + 1).astype(dates.dtype)
    return np.searchsorted(starts, dates, side="right") - 1 + first.astype(np.int64)


def to_monthly_rate(annual_pct: pd.Series) -> pd.Series:
    """% p.a. to the equivalent compounded % per month."""
    return ((1 + annual_pct / 100) ** (1 / 12) - 1) * 100


def compound(changes_pct: pd.Series, periods: int) -> pd.Series:
    """Compounded change over ``periods`` (e.g. 12 monthly % changes into a 12-month %)."""
    logs = np.log1p(changes_pct / 100)
    return (np.expm1(logs.rolling(periods).sum()) * 100).dropna()


def level_from_changes(changes_pct: pd.Series, start: float = 100.0) -> pd.Series:
    """An index level from period % changes."""
    return start * np.exp(np.log1p(changes_pct / 100).cumsum())


def yoy(level: pd.Series, periods: int = 12) -> pd.Series:
    """Year-on-year % change of a level series."""
    return (100 * (level / level.shift(periods) - 1)).dropna()


def weekly_returns(prices: dict[str, pd.Series], *, log: bool = True) -> pd.DataFrame:
    """Friday-to-Friday returns of several price series (complete weeks only)."""
    frame = weekly_last_frame(prices)  # each series' weeks: no daily union
    out = cast(pd.DataFrame, np.log(frame)).diff() if log else frame.diff()
    return out.dropna()

"""Small transformations agents share: monthly sampling, compounding, weekly returns."""

from __future__ import annotations

from typing import cast

import numpy as np
import pandas as pd

from research_core._memo import Kind
from research_core.models._reuse import array_key, fresh, frozen, reused
from research_core.models.inputs import month_starts
from research_core.models.resample import weekly_last_frame


def monthly(series: pd.Series, how: str = "mean") -> pd.Series:
    """Month-start indexed monthly mean (or last) of a daily/weekly series.

    The same numbers as ``series.resample("MS")`` (pandas' compensated group sum, in its
    order), on arrays: agents call this per series per date.
    """
    index = series.index
    naive = isinstance(index, pd.DatetimeIndex) and index.tz is None
    if series.dtype == np.float64 and naive and index.is_monotonic_increasing:
        values = series.to_numpy()
        if not index.hasnans and not np.isnan(values).all():
            key = (how, array_key(index.values), array_key(values))
            out, kept = reused(MONTHLY, key, lambda: _monthly_arrays(index.values, values, how))
            return pd.Series(
                fresh(out),
                index=month_starts(kept, index.values.dtype, index.name),
                name=series.name,
            )
    grouped = series.resample("MS")
    return (grouped.mean() if how == "mean" else grouped.last()).dropna()


MONTHLY: Kind[tuple[np.ndarray, np.ndarray]] = Kind("monthly means", 64)


def _monthly_arrays(
    dates: np.ndarray, values: np.ndarray, how: str
) -> tuple[np.ndarray, np.ndarray]:
    """The months' means (or last values) of ``values`` at increasing ``dates`` and their
    month numbers, read-only: kept per content of both (several agents resample the same
    daily series at a date, and a monthly series' months stay the same from day to day)."""
    known = ~np.isnan(values)  # a missing value changes no month's sum, count or last
    months = _month_numbers(dates)[known]
    out, kept = _by_month(values[known], months, how, gaps=not known.all())
    return frozen(out), frozen(kept)


def _by_month(
    values: np.ndarray, months: np.ndarray, how: str, *, gaps: bool
) -> tuple[np.ndarray, np.ndarray]:
    """Mean (or last) of ``values`` (no NaN) per run of equal ``months``, and those months.

    The mean is what pandas' groupby computes, to the bit: ``np.add.reduceat`` over the
    months when the series had no missing value, else its ``group_mean`` (a Kahan-
    compensated sum in the rows' order) over the known values, divided by their count."""
    starts = np.flatnonzero(np.r_[True, months[1:] != months[:-1]])
    if how != "mean":
        return values[np.r_[starts[1:], len(values)] - 1], months[starts]
    counts = np.diff(np.r_[starts, len(values)])
    if not gaps:
        return np.add.reduceat(values, starts) / counts.astype(np.float64), months[starts]
    grid = np.full((int(counts.max()), len(starts)), np.nan)  # row k: each month's k-th value
    grid[
        np.arange(len(values)) - np.repeat(starts, counts),
        np.repeat(np.arange(len(starts)), counts),
    ] = values
    total, compensation = np.zeros(len(starts)), np.zeros(len(starts))
    for row in grid:
        there = ~np.isnan(row)
        y = row - compensation
        t = total + y
        with np.errstate(invalid="ignore"):
            c = t - total - y
        c[np.isnan(c)] = 0.0  # an infinite value: pandas resets the compensation (GH#50367)
        compensation = np.where(there, c, compensation)
        total = np.where(there, t, total)
    return total / counts, months[starts]


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
    """Compounded change over ``periods`` (e.g. 12 monthly % changes into a 12-month %).

    The arithmetic on arrays around pandas' rolling sum (kept: its running sum decides the
    last bit), one series built at the end: the same series as the pandas chain. Kept per
    content of the changes (two agents compound IPCA at every date, and a monthly series'
    changes stay the same from day to day)."""
    values = changes_pct.to_numpy(dtype=np.float64)
    key = (periods, array_key(values))
    out = fresh(reused(COMPOUNDED, key, lambda: _compounded(values, periods)))
    keep = ~np.isnan(out)
    return pd.Series(out[keep], index=changes_pct.index[keep], name=changes_pct.name)


COMPOUNDED: Kind[np.ndarray] = Kind("compounded changes", 32)


def _compounded(values: np.ndarray, periods: int) -> np.ndarray:
    """:func:`compound`'s values, read-only (NaN before the first full window); a window
    of a fixed count of rows sums the same whatever the index."""
    logs = np.log1p(values / 100)
    return frozen(np.expm1(pd.Series(logs).rolling(periods).sum().to_numpy()) * 100)


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

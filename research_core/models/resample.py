"""Calendar sampling that agents and strategies share, on week numbers in numpy.

``pandas`` builds a resampler's bins with a Python step per bin; over 16 years of daily
data, decided every week, that was most of a strategy's time. Grouping by an integer week
number gives the same numbers (the same grouped kernel) as fast as the arithmetic.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

import numpy as np
import pandas as pd

from research_core.errors import ModelError

Frame = TypeVar("Frame", pd.Series, pd.DataFrame)


def weekly_last(data: Frame) -> Frame:
    """``data.resample("W-FRI").last()``: weeks Saturday..Friday labelled by their Friday,
    every week from the first to the last (empty ones NaN), the last value seen in each."""
    index = data.index
    sorted_naive = isinstance(index, pd.DatetimeIndex) and index.tz is None
    if not (sorted_naive and index.is_monotonic_increasing and len(data)):  # "last": by date
        return data.resample("W-FRI").last()
    # 1970-01-02, day 1, was a Friday: day + 5 // 7 numbers the weeks ending on Fridays
    week = (index.values.astype("datetime64[D]").astype(np.int64) + 5) // 7
    weeks = np.arange(week.min(), week.max() + 1)
    out = data.groupby(week, sort=True).last().reindex(weeks)
    fridays = (weeks * 7 + 1).astype("datetime64[D]").astype(index.values.dtype)
    out.index = pd.DatetimeIndex(fridays, name=index.name, freq="W-FRI")
    return out


def weekly_last_frame(columns: Mapping[str, pd.Series]) -> pd.DataFrame:
    """``weekly_last(pd.concat(columns, axis=1, sort=True))`` without the daily union: each
    series' last value of each week placed on the week grid (the daily alignment cost more
    than the sampling). The weeks span every series' dates, values or NaN, as the frame's
    do. Series not on sorted, unique naive dates sharing one index name, or with no value,
    go through the frame (which refuses duplicate dates)."""
    series = list(columns.values())
    names = {s.index.name for s in series}
    plain = all(
        isinstance(s.index, pd.DatetimeIndex)
        and s.index.tz is None
        and s.index.dtype == series[0].index.dtype
        and s.index.is_monotonic_increasing
        and s.index.is_unique
        and s.notna().any()
        for s in series
    )
    if not (series and plain and len(names) == 1):
        return weekly_last(pd.concat(columns, axis=1, sort=True))
    lasts = [_week_lasts(s) for s in series]
    ends = np.concatenate([s.index.values[[0, -1]] for s in series]).astype("datetime64[D]")
    first, end = ((int(d) + 5) // 7 for d in ends.astype(np.int64)[[ends.argmin(), ends.argmax()]])
    weeks = np.arange(first, end + 1)
    values = np.full((len(weeks), len(lasts)), np.nan)
    for j, (week, last) in enumerate(lasts):
        values[week - first, j] = last
    fridays = (weeks * 7 + 1).astype("datetime64[D]").astype(series[0].index.values.dtype)
    index = pd.DatetimeIndex(fridays, name=names.pop(), freq="W-FRI")
    return pd.DataFrame(values, index=index, columns=list(columns))


def _week_lasts(series: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Week numbers (as :func:`weekly_last`'s) with a value, and the last value in each."""
    return week_lasts(series.index.values, series.to_numpy(dtype="float64"))


def week_numbers(dates: np.ndarray) -> np.ndarray:
    """The weeks (ending on Fridays) :func:`weekly_last` puts naive ``dates`` in
    (datetime64, or int64 ns), as integers."""
    days = dates.view("datetime64[ns]") if dates.dtype == np.int64 else dates
    return (days.astype("datetime64[D]").astype(np.int64) + 5) // 7


def week_lasts(dates: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The weeks with a value of a series on sorted naive ``dates`` (:func:`week_numbers`)
    and its last value in each: :func:`weekly_last`'s values where they are not NaN."""
    if (np.diff(dates.view(np.int64)) < 0).any():  # the last of a week is its latest date
        raise ModelError("weekly lasts need dates in ascending order")
    known = ~np.isnan(values)
    week = week_numbers(dates[known])
    last = np.append(week[1:] != week[:-1], len(week) > 0)[: len(week)]
    return week[last], values[known][last]

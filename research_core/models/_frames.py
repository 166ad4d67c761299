"""``pd.DataFrame`` of a few dated series, aligned on arrays (issue 29).

Agents build their charts and model inputs from a handful of monthly series at every
as-of date; pandas' dict-of-series constructor (a union, a reindex per column, then the
consolidation) cost more than the arithmetic. :func:`union_frame` is the same frame, its
index from :func:`research_core.models.inputs._frame_index` (name and frequency as pandas
leaves them) and its one float block laid out as pandas lays out the dict's.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np
import pandas as pd

from research_core.models._base import name_index
from research_core.models.inputs import _union_freq, month_starts


def union_frame(cols: Mapping[str, pd.Series]) -> pd.DataFrame:
    """``pd.DataFrame(cols)``: float series on increasing unique dates (of one resolution,
    no time zone) aligned on their union; anything else goes through pandas. Values, dates
    and layout are pandas'; the index's ``freq`` is the one inferred for the union, where
    pandas (or ``pd.concat``) may leave none on a short or uneven union: nothing here may
    rely on it (review, issue 29)."""
    series = list(cols.values())
    if not series or not all(_plain(s, series[0]) for s in series):
        return pd.DataFrame(cols)
    keys = [s.index.values for s in series]
    same = all(np.array_equal(k, keys[0]) for k in keys[1:])
    union = keys[0] if same else functools.reduce(np.union1d, keys)
    block = np.full((len(series), len(union)), np.nan)  # pandas' block: a row per column
    for row, key, s in zip(block, keys, series, strict=True):
        row[np.searchsorted(union, key)] = s.to_numpy()
    index = _union_index(series, union, same)
    return pd.DataFrame(block.T, index=index, columns=name_index(list(cols)), copy=False)


def _union_index(series: list[pd.Series], union: np.ndarray, same: bool) -> pd.Index:
    """The index pandas gives the frame: the common one when all are equal, else the
    union with the frequency pandas infers for it; the name all share, else none."""
    names = {s.index.name for s in series}
    name = names.pop() if len(names) == 1 else None
    if same:
        return series[0].index.rename(name)
    freq = _union_freq(union)
    if freq is not None and freq.freqstr == "MS":
        return month_starts(union.astype("datetime64[M]").astype(np.int64), union.dtype, name)
    if freq is None:
        return pd.DatetimeIndex(union, name=name)
    return pd.DatetimeIndex(union, name=name, freq=freq)


def _plain(s: pd.Series, first: pd.Series) -> bool:
    index = s.index
    return (
        len(s) > 0
        and s.dtype == np.float64
        and isinstance(index, pd.DatetimeIndex)
        and index.tz is None
        and index.dtype == first.index.dtype
        and index.is_monotonic_increasing
        and index.is_unique
    )

"""Z-scores: how many standard deviations a value sits from a reference history.

The one formula the package uses (agents, strategies, signals, models): the sample
standard deviation (``ddof=1``, the pandas default), missing values ignored, and a history
with no dispersion (constant, or fewer than two points) scores 0 — no spread, no signal —
rather than ±inf.
"""

from __future__ import annotations

from typing import Any, TypeVar

import numpy as np
import pandas as pd
from pandas.core import nanops  # type: ignore[attr-defined]  # not in pandas' stubs

Value = TypeVar("Value", float, pd.Series, np.ndarray)


def zscore(value: Value, history: pd.Series) -> Value:
    """``(value - mean(history)) / std(history)``; ``value`` is a number, Series or array."""
    sd = float(history.std())
    if not sd > 0:
        return value * 0.0  # keeps NaN (and a Series' index)
    return (value - float(history.mean())) / sd


def zscore_last(
    series: pd.Series | np.ndarray, window: int | None = None, *, min_obs: int | None = None
) -> float:
    """The last observation's z-score against the trailing ``window`` observations (itself
    included; all of them without a window), NaN dropped first. ``series``: a Series or
    its float values (the same number: the array is what the Series' path reads).

    NaN when fewer than ``min_obs`` observations remain; by default a quarter of the
    window and at least 20 (a z-score against a handful of points is noise), or 2 without
    a window.
    """
    need = (max(20, window // 4) if window is not None else 2) if min_obs is None else min_obs
    if isinstance(series, pd.Series) and series.dtype != np.float64:
        tail = series.dropna()
        tail = tail.iloc[-window:] if window is not None else tail
        return float("nan") if len(tail) < need else zscore(float(tail.iloc[-1]), tail)
    values = series.to_numpy() if isinstance(series, pd.Series) else np.asarray(series, float)
    values = values[~np.isnan(values)]  # dropna
    if window is not None:
        values = values[-window:]
    if len(values) < need:
        return float("nan")
    return zscore_array(float(values[-1]), values)


def nan_std(values: np.ndarray, axis: int | None = None) -> Any:
    """``Series.std()`` (and a frame's, per row of its ``(columns x rows)`` block) on an
    array: pandas' own reduction (``nanops``, NaN skipped, ddof 1), so the same bits."""
    return nanops.nanstd(values, axis=axis, skipna=True, ddof=1)


def nan_mean(values: np.ndarray, axis: int | None = None) -> Any:
    """``Series.mean()`` on an array, pandas' own reduction (see :func:`nan_std`)."""
    return nanops.nanmean(values, axis=axis, skipna=True)


def nan_sum(values: np.ndarray, axis: int | None = None) -> Any:
    """``Series.sum()`` (a frame's per row of its block) on an array (see :func:`nan_std`)."""
    return nanops.nansum(values, axis=axis, skipna=True)


def zscore_array(value: float, history: np.ndarray) -> float:
    """:func:`zscore` against a float array without NaN: the reductions ``Series.std`` and
    ``Series.mean`` run (pandas' nanops), on the array, so the bits are the same without
    building a Series (hot loops: strategies at every date)."""
    sd = float(nan_std(history))
    if not sd > 0:
        return value * 0.0
    return (value - float(nan_mean(history))) / sd


def standardize(data: pd.DataFrame) -> pd.DataFrame:
    """Every column z-scored against itself (a constant column becomes 0), on the column's
    array (``apply`` would build a Series per column and cost more than the scores)."""
    values = data.to_numpy(dtype="float64", copy=True)
    for j in range(values.shape[1]):
        values[:, j] = zscore(values[:, j], data.iloc[:, j])
    return pd.DataFrame(values, index=data.index, columns=data.columns)

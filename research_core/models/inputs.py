"""Input checks shared by every model (pandas and numpy only, so light to import).

Pandas at the edges, float64 inside: inputs are aligned on their index, rows with a
missing value are dropped (series of different lengths meet that way), and what remains
must be finite, long enough and not constant, or a :class:`ModelError` names the column.
"""

from __future__ import annotations

import functools
from collections.abc import Hashable, Mapping

import numpy as np
import pandas as pd
from pandas.tseries.offsets import BaseOffset, MonthBegin

from research_core.errors import InsufficientDataError, ModelError

SPAN_MONTHS = 12 * 230  # the month starts kept as one index: 1970-01 to 2199-12


def clean_frame(
    data: pd.DataFrame, *, model: str, min_obs: int, allow_constant: tuple[str, ...] = ()
) -> pd.DataFrame:
    """Complete rows of ``data`` as float64; clear errors for inf, too few rows, constants."""
    frame = data.astype("float64")
    values = frame.to_numpy()
    infinite = np.isinf(values).any(axis=0)
    bad = [str(c) for c, inf in zip(frame.columns, infinite, strict=True) if inf]
    if bad:
        raise ModelError(f"{model}: {bad} contain inf; clean the input first")
    complete = ~np.isnan(values).any(axis=1)
    frame = frame if complete.all() else frame[complete]
    if len(frame) < min_obs:
        empty = [str(c) for c in data.columns if data[c].notna().sum() == 0]
        why = f" ({empty} have no data)" if empty else ""
        raise InsufficientDataError(
            f"{model}: {len(frame)} complete observations, needs at least {min_obs}{why}"
        )
    flat = np.ptp(values[complete], axis=0) == 0.0
    constant = [
        str(c) for c, f in zip(frame.columns, flat, strict=True) if f and c not in allow_constant
    ]
    if constant:
        raise ModelError(f"{model}: {constant} are constant over the sample; nothing to estimate")
    return frame


def complete_columns(
    cols: Mapping[str, pd.Series], *, model: str, min_obs: int
) -> tuple[pd.Index, dict[str, np.ndarray]]:
    """What ``clean_frame(pd.DataFrame(cols), ...)`` keeps, as its index and one float64
    array per column, without building the frame: the dates every series has a value at.

    Models fitted at every as-of date call this; the frame's alignment cost more than
    their fits. Series not indexed by increasing unique dates, an inf, too few rows or a
    constant column go through :func:`clean_frame`, which says what is wrong.
    """
    series = list(cols.values())
    if not all(_plain_dates(s) for s in series):
        return _through_frame(cols, model=model, min_obs=min_obs)
    keys = [np.asarray(s.index.values) for s in series]
    values = [s.to_numpy(dtype="float64") for s in series]
    if any(np.isinf(v).any() for v in values):
        return _through_frame(cols, model=model, min_obs=min_obs)
    known = [k[~np.isnan(v)] for k, v in zip(keys, values, strict=True)]
    dates = functools.reduce(lambda a, b: np.intersect1d(a, b, assume_unique=True), known)
    out = {c: v[np.searchsorted(k, dates)] for c, k, v in zip(cols, keys, values, strict=True)}
    if len(dates) < max(min_obs, 1) or any(np.ptp(v) == 0.0 for v in out.values()):
        return _through_frame(cols, model=model, min_obs=min_obs)
    return _frame_index(series, keys, dates), out


def _plain_dates(s: pd.Series) -> bool:
    index = s.index
    return isinstance(index, pd.DatetimeIndex) and index.is_monotonic_increasing and index.is_unique


def _frame_index(series: list[pd.Series], keys: list[np.ndarray], dates: np.ndarray) -> pd.Index:
    """The index ``pd.DataFrame`` of ``series`` has at ``dates``: the union's name, and its
    frequency where ``dates`` are a run of consecutive rows of the union (pandas keeps it):
    the first index's when all are equal, else the one pandas infers for the union."""
    names = {s.index.name for s in series}
    name = names.pop() if len(names) == 1 else None
    first = series[0].index
    same = all(np.array_equal(k, keys[0]) for k in keys[1:])  # pandas keeps that index
    union = keys[0] if same else functools.reduce(np.union1d, keys)
    start = int(np.searchsorted(union, dates[0])) if len(dates) else 0
    freq = None
    if len(dates) and np.array_equal(union[start : start + len(dates)], dates):
        freq = getattr(first, "freq", None) if same else _union_freq(union)
    if freq is not None and freq.freqstr == "MS" and getattr(first, "tz", None) is None:
        # month starts one a month: a slice of the kept index (no frequency validation)
        fast = month_starts(dates.astype("datetime64[M]").astype(np.int64), dates.dtype, name)
        if fast.freq is not None and np.array_equal(fast.values, dates):
            return fast
    idx = first[np.searchsorted(keys[0], dates)].rename(name)
    return idx if freq is None else pd.DatetimeIndex(idx, freq=freq)


def month_starts(months: np.ndarray, unit: np.dtype, name: Hashable) -> pd.DatetimeIndex:
    """Month starts of the month numbers ``months`` (since 1970-01, increasing) as
    datetimes of ``unit`` named ``name``, with pandas' "MS" frequency when no month is
    missing inside, as ``resample("MS")`` leaves it."""
    starts = months.astype("datetime64[M]").astype(unit)
    if not len(months) or months[-1] - months[0] + 1 != len(months):
        return pd.DatetimeIndex(starts, name=name)
    if months[0] < 0 or months[-1] >= SPAN_MONTHS:
        return pd.DatetimeIndex(starts, name=name, freq="MS")
    return _all_month_starts(unit)[months[0] : months[-1] + 1].rename(name)


@functools.cache
def _all_month_starts(unit: np.dtype) -> pd.DatetimeIndex:
    """Every month start from 1970 to 2199 as one "MS" index: a slice keeps the frequency
    without the validation a new index with a frequency pays (a third of a small fit)."""
    months = np.arange(SPAN_MONTHS).astype("datetime64[M]").astype(unit)
    return pd.DatetimeIndex(months, freq="MS")


def _union_freq(union: np.ndarray) -> BaseOffset | None:
    """The frequency pandas infers for the union of the indexes: month starts, one a
    month, read off the month numbers (the usual case, cheap); else pandas infers it."""
    if len(union) < 3:
        return None
    months = union.astype("datetime64[M]")
    if np.array_equal(months.astype(union.dtype), union) and np.all(
        np.diff(months).astype(int) == 1
    ):
        return MonthBegin()
    return pd.DatetimeIndex(union, freq="infer").freq


def _through_frame(
    cols: Mapping[str, pd.Series], *, model: str, min_obs: int
) -> tuple[pd.Index, dict[str, np.ndarray]]:
    frame = clean_frame(pd.DataFrame(cols), model=model, min_obs=min_obs)
    return frame.index, {str(c): frame[c].to_numpy() for c in frame.columns}

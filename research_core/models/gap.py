"""Output gap from an activity index: Hamilton's (2018) regression filter.

One-sided by construction (the gap at t uses data up to t only), so it has no HP-filter
end-point problem and each as-of date's estimate is what could be computed then.
Reference: J. D. Hamilton, "Why You Should Never Use the Hodrick-Prescott Filter",
Review of Economics and Statistics 100(5), 2018.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core._memo import Kind
from research_core.models._ols import pinv_extended
from research_core.models._reuse import array_key, fresh, frozen, reused
from research_core.models.inputs import complete_columns


def _ols_resid(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Residuals of OLS of ``y`` on ``x`` (a constant first) computed as statsmodels' OLS
    does (pseudo-inverse from the SVD, ``y - x @ beta``), bit for bit, without its model
    and result objects (most of its cost on a few hundred rows) or its import. Kept per
    content of ``y`` and ``x`` (``research_core.models._reuse``): two agents filter the
    same activity index at a date, and most days add no month to it."""
    return fresh(reused(RESIDUALS, (array_key(y), array_key(x)), lambda: _resid(y, x)))


RESIDUALS: Kind[np.ndarray] = Kind("output-gap filter residuals", 16)


def _resid(y: np.ndarray, x: np.ndarray) -> np.ndarray:
    beta = np.dot(pinv_extended(x)[0], y)
    return frozen(y - np.dot(x, beta))


def _complete(level: pd.Series, model: str, min_obs: int) -> tuple[pd.Index, np.ndarray]:
    """``complete_columns({"level": level}, ...)``: a series on increasing unique dates
    with every value finite, enough of them and not constant is its own complete sample
    (its index, its values); anything else goes through the checks there."""
    index, values = level.index, level.to_numpy(dtype="float64")
    plain = isinstance(index, pd.DatetimeIndex) and index.is_monotonic_increasing
    enough = plain and index.is_unique and len(values) >= max(min_obs, 1)
    if enough and np.isfinite(values).all() and np.ptp(values) != 0.0:
        return index, values
    found, data = complete_columns({"level": level}, model=model, min_obs=min_obs)
    return found, data["level"]


def hamilton_gap(level: pd.Series, *, h: int = 24, p: int = 12, log: bool = True) -> pd.Series:
    """Gap in % (100·log deviation if ``log``): residual of y[t] on y[t-h], ..., y[t-h-p+1].

    Monthly defaults (two years ahead, one year of lags); Hamilton's quarterly choice is
    ``h=8, p=4``.
    """
    index, values = _complete(level, "hamilton_gap", h + p + 24)
    if log:
        if (values <= 0).any():
            raise ValueError("hamilton_gap: log=True needs a positive level series")
        values = 100 * np.log(values)
    first = h + p - 1  # first row with every lag (rows, not dates)
    x = np.ones((len(values) - first, p + 1), order="F")  # the layout statsmodels gets
    for j in range(p):  # column 1 + j: y[t - h - j]
        x[:, 1 + j] = values[first - h - j : len(values) - h - j]
    resid = _ols_resid(values[first:], x)
    return pd.Series(resid, index=index[first:], name=f"{level.name or 'level'}_gap")


def trend_gap(level: pd.Series, *, log: bool = True, min_obs: int = 24) -> pd.Series:
    """Gap in % as the deviation from a linear (log-)trend fit on the same sample.

    The fallback when the history is too short for :func:`hamilton_gap`; it uses only the
    data it is given, so it stays point-in-time, but revises more as data arrive.
    """
    index, level_values = _complete(level, "trend_gap", min_obs)
    y = 100 * np.log(level_values) if log else level_values
    x = np.column_stack([np.ones(len(y)), np.arange(len(y), dtype=float)])
    resid = _ols_resid(y, x)
    return pd.Series(resid, index=index, name=f"{level.name or 'level'}_gap")


def output_gap(level: pd.Series, *, h: int = 24, p: int = 12) -> tuple[pd.Series, str]:
    """Hamilton gap when it leaves four years of estimates, else the linear-trend fallback."""
    if level.notna().sum() >= h + p + 48:
        return hamilton_gap(level, h=h, p=p), f"hamilton(h={h}, p={p})"
    return trend_gap(level), "linear trend (history too short for the Hamilton filter)"

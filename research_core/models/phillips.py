"""Phillips curve: inflation on its lag, expectations, the output gap and FX pass-through.

    pi[t] = c + a·pi[t-1] + b·E[t]pi + d·gap[t-1] + e·dfx[t-1] (+ month dummies) + u[t]

Monthly inflation in % m/m, expectations converted to the same unit, the gap in %, the FX
change in % (a weaker home currency is positive). OLS with Newey–West errors, rolling OLS
(statsmodels ``RollingOLS``' numbers) for time-varying coefficients, and a 12-month-ahead
forecast with its standard error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from research_core._memo import Kind
from research_core.models._base import Regression, TextResult, name_index, ols_arrays
from research_core.models._reuse import array_key, fresh, frozen, reused
from research_core.models.inputs import complete_columns, month_starts

REGRESSORS = ("inflation_lag", "expectations", "gap_lag", "fx_lag")


@dataclass(frozen=True, eq=False)
class PhillipsCurveResult(TextResult):
    """The fitted curve, its rolling coefficients and the 12-month inflation forecast."""

    regression: Regression
    rolling: pd.DataFrame = field(repr=False)
    forecast_path: pd.Series = field(repr=False)
    forecast_12m: float
    forecast_12m_se: float

    @property
    def persistence(self) -> float:
        return float(self.regression.params["inflation_lag"])

    @property
    def pass_through(self) -> float:
        """Long-run FX pass-through: e / (1 - a)."""
        return float(self.regression.params["fx_lag"]) / (1 - self.persistence)

    def to_frame(self) -> pd.DataFrame:
        return self.regression.to_frame()

    def summary(self) -> str:
        return (
            f"{self.regression.summary()}\nlong-run FX pass-through {self.pass_through:.3f}; "
            f"12m forecast {self.forecast_12m:.2f}% (se {self.forecast_12m_se:.2f})"
        )


def phillips_curve(
    inflation: pd.Series,
    expectations: pd.Series,
    gap: pd.Series,
    fx_change: pd.Series,
    *,
    seasonal: bool = True,
    window: int = 60,
    hac_lags: int = 6,
    min_obs: int = 48,
) -> PhillipsCurveResult:
    """Fit the curve on monthly series sharing a month-start index (see module docstring)."""
    cols = {
        "inflation": inflation,
        "inflation_lag": inflation.shift(1),
        "expectations": expectations,
        "gap_lag": gap.shift(1),
        "fx_lag": fx_change.shift(1),
    }
    # the complete rows, as the aligned frame would have them, without building it
    found, data = complete_columns(cols, model="phillips_curve", min_obs=min_obs)
    index = pd.DatetimeIndex(found)
    values = np.column_stack([data[c] for c in REGRESSORS])
    if seasonal:
        values = np.column_stack([values, _month_dummies(index.month.to_numpy())])
    columns = [*REGRESSORS, *(MONTHS if seasonal else ())]
    y = data["inflation"]  # the regression on the aligned frame's arrays (``ols``'s)
    reg = ols_arrays("Phillips curve", y, values, columns, index, hac_lags)
    held = {
        "expectations": _last_known(expectations),
        "gap_lag": _last_known(gap),
        "fx_lag": _last_known(fx_change),
    }
    path = _forecast(reg, index, float(y[-1]), held, seasonal=seasonal)
    a = float(reg.params["inflation_lag"])
    # Each shock's effect on the 12m sum: sum of its impulse response to the horizon.
    weights = np.array([sum(a**j for j in range(12 - h)) for h in range(12)])
    se = reg.sigma * float(np.sqrt(np.sum(weights**2)))
    twelve = float((np.prod(1 + path.to_numpy() / 100) - 1) * 100)
    return PhillipsCurveResult(reg, _rolling(y, values, index, window), path, twelve, se)


def _last_known(series: pd.Series) -> float:
    """``float(series.dropna().iloc[-1])`` on the array."""
    values = series.to_numpy(dtype=float)
    return float(values[~np.isnan(values)][-1])


MONTHS = tuple(f"m_{k}" for k in range(2, 13))


def _month_dummies(months: np.ndarray) -> np.ndarray:
    """Centred month dummies (February to December, :data:`MONTHS`) of calendar months
    1-12: the constant stays the mean month."""
    ones = months[:, None] == np.arange(2, 13)
    return ones - ones.mean(axis=0)  # 0/1 counts over n: exact, as pandas' mean


def _rolling(y: np.ndarray, x: np.ndarray, index: pd.Index, window: int) -> pd.DataFrame:
    """Rolling coefficients of the four economic regressors (empty if the sample is short),
    on the rows ``index`` names; kept per content of ``y``, ``x`` and ``window``
    (``research_core.models._reuse``).

    Every window's normal equations at once (``RollingOLS``' "inv" method without its
    per-window Python loop); a window whose cross-product is singular is left out, as there,
    and so is one of lower rank than its regressors (collinear, even where rounding lets
    the inverse through).
    """
    if len(y) <= window + 1:
        return pd.DataFrame(columns=list(REGRESSORS), dtype=float)
    key = (array_key(y), array_key(x), window)
    params, keep = reused(ROLLING, key, lambda: _rolling_params(y, x, window))
    rows, columns = index[window - 1 :][keep], name_index(REGRESSORS)
    return pd.DataFrame(fresh(params), index=rows, columns=columns)


ROLLING: Kind[tuple[np.ndarray, np.ndarray]] = Kind("Phillips rolling coefficients", 16)


def _rolling_params(y: np.ndarray, x: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """The windows' coefficients of :data:`REGRESSORS` (``x``'s first columns) where every
    one is known, and which windows those are (read-only: kept)."""
    # the layout the aligned frame's ``to_numpy`` gave (columns contiguous): the same sums
    exog = np.column_stack([np.asfortranarray(x), np.ones(len(x))])
    xw = sliding_window_view(exog, window, axis=0)  # (windows, k, window)
    yw = sliding_window_view(y, window)[:, :, None]
    xpx, xpy = xw @ xw.transpose(0, 2, 1), xw @ yw
    try:
        xpxi = np.linalg.inv(xpx)
    except np.linalg.LinAlgError:  # some window is singular: RollingOLS skips those
        xpxi = np.stack([_inverse_or_nan(m) for m in xpx])
    rows = list(range(len(REGRESSORS)))  # the regressors come first, the months after
    params = (xpxi[:, rows, :] @ xpy)[:, :, 0]
    # a rank-deficient window whose inverse survives rounding gives huge arbitrary numbers
    params[_rank_deficient(xw, xpx, xpxi)] = np.nan
    keep = ~np.isnan(params).any(axis=1)
    return frozen(params[keep]), frozen(keep)


def _rank_deficient(xw: np.ndarray, xpx: np.ndarray, xpxi: np.ndarray) -> np.ndarray:
    """``np.linalg.matrix_rank(xw) < k`` for each window ``xw`` (k x window), first from
    its cross-product ``xpx`` and that one's computed inverse ``xpxi``: with the residual
    ``R = I - xpx @ xpxi`` below 1/2, ``xpx``'s smallest eigenvalue is at least
    ``(1 - |R|) / |xpxi|`` and its largest at most ``|xpx|`` (Frobenius norms). A window
    whose ratio of the two clears 1e-6 has singular values within 1e-3 of each other's
    scale, far above the rank tolerance (window x eps) whatever the rounding of either
    computation; only the windows that bound does not clear pay the SVD."""
    with np.errstate(all="ignore"):  # a NaN or overflowing window is simply not clear
        resid = np.linalg.norm(np.eye(xpx.shape[-1]) - xpx @ xpxi, axis=(1, 2))
        scale = np.linalg.norm(xpx, axis=(1, 2)) * np.linalg.norm(xpxi, axis=(1, 2))
        clear = (resid < 0.5) & (1 - resid > 1e-6 * scale)
    out = np.zeros(len(xw), dtype=bool)
    unsure = ~clear
    if unsure.any():
        out[unsure] = np.linalg.matrix_rank(xw[unsure]) < xw.shape[1]
    return out


def _inverse_or_nan(m: np.ndarray) -> np.ndarray:
    try:
        return np.linalg.inv(m)
    except np.linalg.LinAlgError:
        return np.full_like(m, np.nan)


def _forecast(
    reg: Regression,
    index: pd.DatetimeIndex,
    level: float,
    held: dict[str, float],
    *,
    seasonal: bool,
) -> pd.Series:
    """Twelve months ahead from the last month of ``index`` (inflation ``level``):
    expectations and gap held at their latest values, FX unchanged."""
    p = reg.params.to_dict()
    if isinstance(index, pd.DatetimeIndex) and index.tz is not None:  # months on local time
        future = pd.date_range(index[-1] + pd.offsets.MonthBegin(1), periods=12, freq="MS")
    else:  # the same months from the naive index's values, without pandas' offsets
        last = int(index.values[-1].astype("datetime64[M]").astype(np.int64))
        future = month_starts(np.arange(last + 1, last + 13), index.values.dtype, None)
    season = np.zeros(12)
    if seasonal:  # centred over the sample and the forecast months together
        months = np.concatenate([index.month.to_numpy(), future.month.to_numpy()])
        season = _month_dummies(months)[-12:] @ np.array([p[m] for m in MONTHS])
    a = float(p["inflation_lag"])
    drivers = float(p["const"]) + sum(float(p[k]) * v for k, v in held.items())
    fx_effect = float(p["fx_lag"]) * held["fx_lag"]
    out = np.empty(12)
    for i in range(12):
        # The last FX move passes through once; after that the rate is a random walk.
        level = drivers - (fx_effect if i else 0.0) + a * level + season[i]
        out[i] = level
    return pd.Series(out, index=future, name="inflation_forecast")

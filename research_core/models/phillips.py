"""Phillips curve: inflation on its lag, expectations, the output gap and FX pass-through.

    pi[t] = c + a·pi[t-1] + b·E[t]pi + d·gap[t-1] + e·dfx[t-1] (+ month dummies) + u[t]

Monthly inflation in % m/m, expectations converted to the same unit, the gap in %, the FX
change in % (a weaker home currency is positive). OLS with Newey–West errors, RollingOLS
for time-varying coefficients, and a 12-month-ahead forecast with its standard error.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.regression.rolling import RollingOLS

from research_core.models._base import Regression, TextResult, ols
from research_core.models.inputs import clean_frame

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
    data = pd.DataFrame(
        {
            "inflation": inflation,
            "inflation_lag": inflation.shift(1),
            "expectations": expectations,
            "gap_lag": gap.shift(1),
            "fx_lag": fx_change.shift(1),
        }
    )
    data = clean_frame(data, model="phillips_curve", min_obs=min_obs)
    x = data[list(REGRESSORS)]
    if seasonal:
        x = x.join(_month_dummies(pd.DatetimeIndex(data.index)))
    reg = ols("Phillips curve", data["inflation"], x, hac_lags=hac_lags)
    rolling = _rolling(data["inflation"], x, window)
    held = {
        "expectations": float(expectations.dropna().iloc[-1]),
        "gap_lag": float(gap.dropna().iloc[-1]),
        "fx_lag": float(fx_change.dropna().iloc[-1]),
    }
    path = _forecast(reg, data, held, seasonal=seasonal)
    a = float(reg.params["inflation_lag"])
    # Each shock's effect on the 12m sum: sum of its impulse response to the horizon.
    weights = np.array([sum(a**j for j in range(12 - h)) for h in range(12)])
    se = reg.sigma * float(np.sqrt(np.sum(weights**2)))
    twelve = float((np.prod(1 + path.to_numpy() / 100) - 1) * 100)
    return PhillipsCurveResult(reg, rolling, path, twelve, se)


def _month_dummies(index: pd.DatetimeIndex) -> pd.DataFrame:
    """Centred month dummies (February to December): the constant stays the mean month."""
    months = pd.get_dummies(index.month, prefix="m", dtype=float)
    months.index = index
    months = months.reindex(columns=[f"m_{k}" for k in range(1, 13)], fill_value=0.0)
    centred = months.sub(months.mean())
    return centred.drop(columns="m_1")


def _rolling(y: pd.Series, x: pd.DataFrame, window: int) -> pd.DataFrame:
    """Rolling coefficients of the four economic regressors (empty if the sample is short)."""
    if len(y) <= window + 1:
        return pd.DataFrame(columns=list(REGRESSORS), dtype=float)
    exog = x.assign(const=1.0)
    params = RollingOLS(y, exog, window=window).fit(params_only=True).params
    return params[list(REGRESSORS)].dropna()


def _forecast(
    reg: Regression, data: pd.DataFrame, held: dict[str, float], *, seasonal: bool
) -> pd.Series:
    """Twelve months ahead: expectations and gap held at their latest values, FX unchanged."""
    p = reg.params
    index = pd.DatetimeIndex(data.index)
    future = pd.date_range(index[-1] + pd.offsets.MonthBegin(1), periods=12, freq="MS")
    dummies = (
        _month_dummies(pd.DatetimeIndex(index.append(future))).iloc[len(index) :]
        if seasonal
        else None
    )
    level = float(data["inflation"].iloc[-1])
    drivers = float(p["const"]) + sum(float(p[k]) * v for k, v in held.items())
    fx_effect = float(p["fx_lag"]) * held["fx_lag"]
    out = []
    for i in range(12):
        # The last FX move passes through once; after that the rate is a random walk.
        level = drivers - (fx_effect if i else 0.0) + float(p["inflation_lag"]) * level
        if dummies is not None:
            row = dummies.iloc[i]
            level += float(sum(float(p[c]) * float(row[c]) for c in row.index))
        out.append(level)
    return pd.Series(out, index=future, name="inflation_forecast")

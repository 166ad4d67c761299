"""FX equilibrium (BEER): a cointegrating regression of the exchange rate on fundamentals.

    log(fx[t]) = c + beta' x[t] + sum_{j=-k..k} gamma_j' dx[t+j] + u[t]

Dynamic OLS (Stock and Watson 1993) gives the long-run ``beta`` with valid (Newey–West)
inference under cointegration; the Engle–Granger test (statsmodels ``coint``'s statistic,
computed in numpy, and its MacKinnon p-value from ``_mackinnon``) says whether a long-run
relation exists at all. Misalignment is the log gap between the rate and its fundamental
value ``c + beta'x`` (positive: the home currency is cheap against the dollar), with a band
of ``band_sigmas`` standard deviations and the half-life of its mean reversion from an AR(1).
Reference: Clark and MacDonald (1998), "Exchange rates and economic fundamentals", IMF WP/98/67.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from numpy.lib.stride_tricks import sliding_window_view

from research_core._memo import Kind
from research_core.errors import ModelError
from research_core.models._base import TABLE, Regression, TextResult, name_index, ols_arrays
from research_core.models._mackinnon import mackinnon_p
from research_core.models._reuse import array_key, reused
from research_core.models.inputs import complete_columns


@dataclass(frozen=True, eq=False)
class BeerResult(TextResult):
    """Long-run coefficients, cointegration test, misalignment path and band."""

    regression: Regression
    long_run: pd.DataFrame  # coef, std_err, t, p for the level regressors
    coint_stat: float
    coint_pvalue: float
    misalignment: pd.Series = field(repr=False)  # log points x 100 (≈ %)
    fair_value: pd.Series = field(repr=False)
    band: float  # ± band in the same units as misalignment
    half_life: float  # periods; inf when the misalignment does not mean-revert

    @property
    def current(self) -> float:
        return float(self.misalignment.iloc[-1])

    @property
    def z(self) -> float:
        """Current misalignment in standard deviations of its history."""
        return float(self.current / self.misalignment.std())

    def to_frame(self) -> pd.DataFrame:
        return self.long_run

    def summary(self) -> str:
        return (
            f"BEER long run (DOLS):\n{self.long_run.round(4).to_string()}\n"
            f"Engle–Granger t={self.coint_stat:.2f}, p={self.coint_pvalue:.3f}; misalignment "
            f"{self.current:+.1f}% (band ±{self.band:.1f}%), half-life {self.half_life:.1f} periods"
        )


def beer(
    fx: pd.Series,
    fundamentals: pd.DataFrame,
    *,
    leads_lags: int = 2,
    band_sigmas: float = 1.5,
    hac_lags: int = 6,
    min_obs: int = 48,
) -> BeerResult:
    """Fit BEER on an exchange rate (level, home currency per USD) and its fundamentals."""
    names = [str(c) for c in fundamentals.columns]
    cols = {"log_fx": np.log(fx.rename("log_fx"))}
    cols |= {n: fundamentals[c] for n, c in zip(names, fundamentals.columns, strict=True)}
    if len(cols) != len(names) + 1:
        raise ModelError(f"beer: the fundamentals {names} need distinct names, none 'log_fx'")
    data_index, data = complete_columns(cols, model="beer", min_obs=min_obs)
    values = np.vstack(list(data.values())).T  # the layout the aligned frame's values had
    log_fx, x = values[:, 0], values[:, 1:]  # the columns: log_fx, then the fundamentals
    design, terms = _dols_design(x, names, leads_lags)
    rows = ~np.isnan(design).any(axis=1)
    index = data_index[rows]
    reg = ols_arrays("BEER (DOLS)", log_fx[rows], design[rows], [*names, *terms], index, hac_lags)
    k = len(names) + 1  # const, then the levels
    f = reg.fit
    table = np.vstack([f.params[:k], f.bse[:k], f.tvalues[:k], f.pvalues[:k]])  # a row a column
    long_run = pd.DataFrame(table.T, index=name_index(["const", *names]), columns=name_index(TABLE))
    fair = f.params[0] + x @ f.params[1:k]
    mis = pd.Series(100 * (log_fx - fair), index=data_index, name="misalignment")
    stat, pvalue = engle_granger(log_fx, x)
    phi = float(np.corrcoef(mis.to_numpy()[1:], mis.to_numpy()[:-1])[0, 1])
    half_life = float(np.log(0.5) / np.log(phi)) if 0 < phi < 1 else float("inf")
    return BeerResult(
        regression=reg,
        long_run=long_run,
        coint_stat=float(stat),
        coint_pvalue=float(pvalue),
        misalignment=mis,
        fair_value=pd.Series(np.exp(fair), index=data_index, name="fair_value"),
        band=band_sigmas * float(mis.std()),
        half_life=half_life,
    )


def _dols_design(x: np.ndarray, names: list[str], k: int) -> tuple[np.ndarray, list[str]]:
    """The levels and, for each regressor, its first difference from ``k`` lags to ``k``
    leads (NaN where the sample ends), with the leads' and lags' column names."""
    n, m = x.shape
    dx = np.full((n + 2 * k, m), np.nan)
    dx[k + 1 : k + n] = np.diff(x, axis=0)  # dx[k + t] is x[t] - x[t - 1]
    shifts = range(-k, k + 1)
    leads = [dx[k + j : k + j + n, i] for i in range(m) for j in shifts]
    return np.column_stack([x, *leads]), [f"d_{c}({j:+d})" for c in names for j in shifts]


def engle_granger(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    """Engle–Granger statistic and MacKinnon p-value: statsmodels'
    ``coint(y, x, trend="c", autolag="aic")``, its ADF lag search done in one QR (the same
    regressions, without a statsmodels model per candidate lag). Kept per content of ``y``
    and ``x`` (``research_core.models._reuse``)."""
    return reused(COINT, (array_key(y), array_key(x)), lambda: _engle_granger(y, x))


COINT: Kind[tuple[float, float]] = Kind("Engle-Granger tests", 16)


def _engle_granger(y: np.ndarray, x: np.ndarray) -> tuple[float, float]:
    exog = np.column_stack([x, np.ones(len(y))])
    resid = y - exog @ np.linalg.lstsq(exog, y, rcond=None)[0]
    r2 = 1 - resid @ resid / np.sum((y - y.mean()) ** 2)
    # (almost) collinear: statsmodels warns and reports minus infinity
    stat = -np.inf if r2 >= 1 - 100 * np.sqrt(np.finfo(float).eps) else _adf_aic(resid)
    return stat, mackinnon_p(stat, x.shape[1] + 1)


def _adf_aic(u: np.ndarray) -> float:
    """ADF t-statistic without deterministic terms, lags chosen by AIC over a common sample
    (statsmodels ``adfuller(u, regression="n", autolag="aic")``)."""
    du = np.diff(u)
    top = min(int(np.ceil(12.0 * np.power(len(u) / 100.0, 1 / 4.0))), len(u) // 2 - 1)
    q, r = np.linalg.qr(_adf_design(u, du, top))
    target = du[top:]
    z = q.T @ target
    below = np.cumsum((z**2)[::-1])[::-1]  # what the columns from j on explain
    ssr = np.sum((target - q @ z) ** 2) + np.append(below[1:], 0.0)  # first 1, 2, .. columns
    half, k = len(target) / 2.0, np.arange(1, top + 2)
    llf = -half * np.log(2 * np.pi) - half * np.log(ssr / len(target)) - half
    aic = -2 * llf + 2 * k
    best = min(zip(aic.tolist(), k.tolist(), strict=True))[1] - 1  # lags; ties to the fewest
    design, target = _adf_design(u, du, best), du[best:]
    q, r = np.linalg.qr(design)
    z = q.T @ target
    coef = np.linalg.solve(r, z)
    ssr = np.sum((target - design @ coef) ** 2)
    rinv = np.linalg.inv(r)
    variance = ssr / (len(target) - len(coef)) * (rinv[0] @ rinv[0])  # of the level coef
    return float(coef[0] / np.sqrt(variance))


def _adf_design(u: np.ndarray, du: np.ndarray, lags: int) -> np.ndarray:
    """Rows t = lags..: the lagged level u[t] and the differences du[t-1] .. du[t-lags]."""
    level = u[lags:-1, None]
    if not lags:
        return level
    past = sliding_window_view(du, lags)[: len(du) - lags, ::-1]
    return np.column_stack([level, past])

"""FX equilibrium (BEER): a cointegrating regression of the exchange rate on fundamentals.

    log(fx[t]) = c + beta' x[t] + sum_{j=-k..k} gamma_j' dx[t+j] + u[t]

Dynamic OLS (Stock and Watson 1993) gives the long-run ``beta`` with valid (Newey–West)
inference under cointegration; the Engle–Granger test (statsmodels ``coint``, MacKinnon
critical values) says whether a long-run relation exists at all. Misalignment is the log
gap between the rate and its fundamental value ``c + beta'x`` (positive: the home currency
is cheap against the dollar), with a band of ``band_sigmas`` standard deviations and the
half-life of its mean reversion from an AR(1).
Reference: Clark and MacDonald (1998), "Exchange rates and economic fundamentals", IMF WP/98/67.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from statsmodels.tsa.stattools import coint

from research_core.models._base import Regression, TextResult, ols
from research_core.models.inputs import clean_frame


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
    data = pd.concat([np.log(fx.rename("log_fx")), fundamentals], axis=1, sort=True)
    data = clean_frame(data, model="beer", min_obs=min_obs)
    x = data[names]
    dx = x.diff()
    terms = {
        f"d_{n}({j:+d})": dx[n].shift(-j) for n in names for j in range(-leads_lags, leads_lags + 1)
    }
    design = pd.concat([x, pd.DataFrame(terms)], axis=1, sort=True).dropna()
    y = data["log_fx"].loc[design.index]
    reg = ols("BEER (DOLS)", y, design, hac_lags=hac_lags)
    long_run = reg.to_frame().loc[["const", *names]]
    fair = reg.params["const"] + x @ reg.params[names]
    mis = 100 * (data["log_fx"] - fair)
    stat, pvalue, _ = coint(data["log_fx"], x, trend="c", autolag="aic")
    phi = float(np.corrcoef(mis.to_numpy()[1:], mis.to_numpy()[:-1])[0, 1])
    half_life = float(np.log(0.5) / np.log(phi)) if 0 < phi < 1 else float("inf")
    return BeerResult(
        regression=reg,
        long_run=long_run,
        coint_stat=float(stat),
        coint_pvalue=float(pvalue),
        misalignment=mis.rename("misalignment"),
        fair_value=np.exp(fair).rename("fair_value"),
        band=band_sigmas * float(mis.std()),
        half_life=half_life,
    )

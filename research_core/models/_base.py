"""The regression result every linear model shares (inputs checked by ``inputs.clean_frame``).

Pandas at the edges, float64 inside: inputs are aligned on their index, rows with a
missing value are dropped (series of different lengths meet that way), and what remains
must be finite, long enough and not constant, or a :class:`ModelError` names the column.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from statsmodels.regression.linear_model import RegressionResultsWrapper


class TextResult(ABC):
    """A model result that notebooks show as its :meth:`summary` text (one home for the
    HTML repr of every result in ``models``)."""

    @abstractmethod
    def summary(self) -> str:
        """The result as the text a notebook shows."""

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>"


def residual_diagnostics(resid: np.ndarray, exog: np.ndarray, *, lags: int) -> pd.Series:
    """Durbin–Watson, Ljung–Box, Jarque–Bera and Breusch–Pagan (p-values) of residuals."""
    from statsmodels.stats.diagnostic import acorr_ljungbox, het_breuschpagan
    from statsmodels.stats.stattools import durbin_watson, jarque_bera

    lags = max(1, min(lags, len(resid) // 4))
    lb = acorr_ljungbox(resid, lags=[lags], return_df=True)
    _, jb_p, skew, kurt = jarque_bera(resid)
    out = {
        "durbin_watson": float(durbin_watson(resid)),
        f"ljung_box_p({lags})": float(lb["lb_pvalue"].iloc[0]),
        "jarque_bera_p": float(jb_p),
        "skew": float(skew),
        "kurtosis": float(kurt),
    }
    if exog.shape[1] > 1:
        out["breusch_pagan_p"] = float(het_breuschpagan(resid, exog)[1])
    return pd.Series(out, name="diagnostic")


@dataclass(frozen=True, eq=False)
class Regression(TextResult):
    """An OLS fit as a PM reads it: coefficients with inference, fit and residual tests."""

    name: str
    params: pd.Series
    bse: pd.Series
    tvalues: pd.Series
    pvalues: pd.Series
    rsquared: float
    rsquared_adj: float
    nobs: int
    sigma: float
    cov_type: str
    diagnostics: pd.Series
    resid: pd.Series = field(repr=False)
    fitted: pd.Series = field(repr=False)
    cov_params: pd.DataFrame = field(repr=False)

    @classmethod
    def from_statsmodels(cls, name: str, res: RegressionResultsWrapper, *, lags: int) -> Regression:
        exog = np.asarray(res.model.exog)
        return cls(
            name=name,
            params=res.params,
            bse=res.bse,
            tvalues=res.tvalues,
            pvalues=res.pvalues,
            rsquared=float(res.rsquared),
            rsquared_adj=float(res.rsquared_adj),
            nobs=int(res.nobs),
            sigma=float(np.sqrt(res.scale)),
            cov_type=str(res.cov_type),
            diagnostics=residual_diagnostics(np.asarray(res.resid), exog, lags=lags),
            resid=res.resid,
            fitted=res.fittedvalues,
            cov_params=res.cov_params(),
        )

    def to_frame(self) -> pd.DataFrame:
        """One row per coefficient: coef, std_err, t, p."""
        return pd.DataFrame(
            {"coef": self.params, "std_err": self.bse, "t": self.tvalues, "p": self.pvalues}
        )

    def summary(self) -> str:
        head = (
            f"{self.name}: n={self.nobs}, R²={self.rsquared:.3f} (adj {self.rsquared_adj:.3f}), "
            f"σ={self.sigma:.4g}, errors {self.cov_type}"
        )
        diag = ", ".join(f"{k}={v:.3g}" for k, v in self.diagnostics.items())
        return f"{head}\n{self.to_frame().round(4).to_string()}\nresiduals: {diag}"


def ols(
    name: str, y: pd.Series, x: pd.DataFrame, *, hac_lags: int = 0, constant: bool = True
) -> Regression:
    """OLS of ``y`` on ``x`` (plus a constant), HAC (Newey–West) errors when ``hac_lags``."""
    from statsmodels.regression.linear_model import OLS  # statsmodels on first fit
    from statsmodels.tools.tools import add_constant

    exog = add_constant(x, has_constant="add") if constant else x
    model = OLS(y, exog)
    res = model.fit(cov_type="HAC", cov_kwds={"maxlags": hac_lags}) if hac_lags else model.fit()
    return Regression.from_statsmodels(name, res, lags=max(hac_lags, 4))

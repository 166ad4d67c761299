"""Covariance for the risk engine: Ledoit–Wolf shrinkage (scikit-learn).

The sample covariance of many assets over few days is noisy and often near-singular;
shrinking toward a scaled identity with the Ledoit–Wolf (2004) optimal intensity gives a
well-conditioned estimate. Reference: Ledoit and Wolf (2004), J. Multivariate Anal. 88(2).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core.models._base import TextResult
from research_core.models.inputs import clean_frame


@dataclass(frozen=True, eq=False)
class ShrunkCovariance(TextResult):
    """Shrunk covariance, the shrinkage intensity and the sample it came from."""

    covariance: pd.DataFrame
    shrinkage: float
    nobs: int

    @property
    def correlation(self) -> pd.DataFrame:
        sd = np.sqrt(np.diag(self.covariance.to_numpy()))
        return self.covariance.div(np.outer(sd, sd))

    def to_frame(self) -> pd.DataFrame:
        return self.covariance

    def summary(self) -> str:
        n = self.covariance.shape[0]
        cond = float(np.linalg.cond(self.covariance.to_numpy()))
        return (
            f"Ledoit–Wolf covariance of {n} assets from {self.nobs} observations: "
            f"shrinkage {self.shrinkage:.3f}, condition number {cond:.3g}"
        )


def ledoit_wolf(returns: pd.DataFrame, *, min_obs: int = 20) -> ShrunkCovariance:
    """Ledoit–Wolf covariance of complete rows of ``returns`` (columns = assets)."""
    data = clean_frame(returns, model="ledoit_wolf", min_obs=min_obs)
    from sklearn.covariance import LedoitWolf  # on first use: sklearn costs 0.4 s to import

    fit = LedoitWolf().fit(data.to_numpy())
    cov = pd.DataFrame(fit.covariance_, index=data.columns, columns=data.columns)
    return ShrunkCovariance(cov, float(fit.shrinkage_), len(data))


def regime_covariance(
    returns: pd.DataFrame, weights: pd.Series | None = None, *, seed: int = 0
) -> tuple[ShrunkCovariance, str]:
    """Ledoit–Wolf covariance of the days in today's risk regime, and that regime's label.

    The regime is the 2-state HMM of ``models.regimes.risk_regimes`` fitted on weekly
    returns of the book (``returns @ weights``) or of every column; each day takes the
    most likely state of its week. In a risk-off regime this gives the stressed
    covariance a calm-period average would understate.
    """
    daily = (
        returns
        if weights is None
        else (returns @ weights.reindex(returns.columns).fillna(0.0)).to_frame("book")
    )
    weekly = daily.resample("W-FRI").sum()
    from research_core.models.regimes import risk_regimes  # hmmlearn: only when asked

    fit = risk_regimes(weekly, seed=seed)
    state = fit.probabilities.idxmax(axis=1)
    current = str(state.iloc[-1])
    per_day = state.reindex(returns.index, method="bfill").fillna(current)
    return ledoit_wolf(returns[per_day.to_numpy() == current]), current

"""Covariance for the risk engine: Ledoit–Wolf shrinkage.

The sample covariance of many assets over few days is noisy and often near-singular;
shrinking toward a scaled identity with the Ledoit–Wolf (2004) optimal intensity gives a
well-conditioned estimate. Reference: Ledoit and Wolf (2004), J. Multivariate Anal. 88(2).
Computed in numpy with scikit-learn's ``LedoitWolf`` operations, in its order (its peer in
the tests, to 1e-12): importing scikit-learn costs more than a replay's whole work.
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
    cov, shrinkage = _ledoit_wolf(data.to_numpy())
    frame = pd.DataFrame(cov, index=data.columns, columns=data.columns)
    return ShrunkCovariance(frame, shrinkage, len(data))


def _ledoit_wolf(x: np.ndarray) -> tuple[np.ndarray, float]:
    """The shrunk covariance and intensity of the rows of ``x`` (scikit-learn 1.9's
    ``LedoitWolf().fit``: centred data, biased sample covariance S, target μI with
    μ = tr S / p, intensity min(β, δ) / δ)."""
    n, p = x.shape
    xc = x - x.mean(0)
    if p == 1:
        return np.atleast_2d((xc**2).mean()), 0.0
    x2 = xc**2
    trace = np.sum(x2, axis=0) / n
    mu = np.sum(trace) / p
    delta_ = np.sum(np.dot(xc.T, xc) ** 2) / n**2  # Σ of squared entries of S
    beta = 1.0 / (p * n) * (np.sum(np.dot(x2.T, x2)) / n - delta_)
    delta = (delta_ - 2.0 * mu * trace.sum() + p * mu**2) / p  # ‖S − μI‖² / p
    beta = min(beta, delta)
    shrinkage = 0.0 if beta == 0 else float(beta / delta)
    emp = np.dot(xc.T, xc) / n
    cov = (1.0 - shrinkage) * emp
    cov.flat[:: p + 1] += shrinkage * (np.sum(np.trace(emp)) / p)
    return cov, shrinkage


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

"""Correlation-regime monitor: has the recent correlation matrix broken from its history?

Jennrich's (1970) χ² test of equal correlation matrices compares the last ``short`` days
with the ``long`` days before them (disjoint samples); a p-value under ``level`` flags a
break, and the pairs that moved most are listed. Diversification the book counts on
(DI vs BRL, equities vs rates) tends to vanish exactly when this flags.
Reference: Jennrich (1970), "An asymptotic χ² test for the equality of two correlation
matrices", JASA 65(330).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core.errors import RiskError


@dataclass(frozen=True, eq=False)
class CorrelationMonitor:
    """The test and the pairs whose correlation changed most."""

    statistic: float
    df: int
    p_value: float
    flagged: bool
    pairs: pd.DataFrame  # pair -> recent, history, change (sorted by |change|)
    recent: pd.DataFrame
    history: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.pairs

    def summary(self) -> str:
        head = self.pairs.head(3)
        moves = ", ".join(f"{p} {r.history:+.2f}→{r.recent:+.2f}" for p, r in head.iterrows())
        word = "BREAK" if self.flagged else "stable"
        return (
            f"correlation regime {word}: Jennrich χ²={self.statistic:.1f} (df {self.df}), "
            f"p={self.p_value:.3g}; largest moves {moves}"
        )


def jennrich(r1: np.ndarray, n1: int, r2: np.ndarray, n2: int) -> tuple[float, int, float]:
    """Jennrich's statistic, degrees of freedom and p-value for R1 (n1 obs) vs R2 (n2 obs)."""
    p = r1.shape[0]
    rbar = (n1 * r1 + n2 * r2) / (n1 + n2)
    try:
        rinv = np.linalg.inv(rbar)
    except np.linalg.LinAlgError as err:
        raise RiskError(
            "pooled correlation matrix is singular; drop duplicated instruments"
        ) from err
    c = n1 * n2 / (n1 + n2)
    z = np.sqrt(c) * rinv @ (r1 - r2)
    s = np.eye(p) + rbar * rinv
    dz = np.diag(z)
    stat = float(0.5 * np.trace(z @ z) - dz @ np.linalg.solve(s, dz))
    df = p * (p - 1) // 2
    from scipy import stats  # on first test: a light import of risk

    return stat, df, float(stats.chi2.sf(stat, df))


def correlation_monitor(
    returns: pd.DataFrame, *, short: int = 63, long: int = 504, level: float = 0.01
) -> CorrelationMonitor:
    """Test the last ``short`` days' correlations against the ``long`` days before them."""
    data = returns.dropna()
    if data.shape[1] < 2:
        raise RiskError("the correlation monitor needs at least two instruments")
    if len(data) < short + long // 2:
        raise RiskError(f"{len(data)} complete days, need at least {short + long // 2}")
    data = data.iloc[-(short + long) :]
    live = data.columns[(data.iloc[-short:].std() > 0) & (data.iloc[:-short].std() > 0)]
    if len(live) < 2:
        raise RiskError("fewer than two instruments move in both windows")
    recent, history = data[live].iloc[-short:], data[live].iloc[:-short]
    r1, r2 = recent.corr(), history.corr()
    stat, df, p = jennrich(r1.to_numpy(), len(recent), r2.to_numpy(), len(history))
    iu = np.triu_indices(len(live), 1)
    cols = [str(c) for c in live]
    names = [f"{cols[i]}/{cols[j]}" for i, j in zip(*iu, strict=True)]
    pairs = pd.DataFrame(
        {"recent": r1.to_numpy()[iu], "history": r2.to_numpy()[iu]},
        index=pd.Index(names, name="pair"),
    )
    pairs["change"] = pairs["recent"] - pairs["history"]
    pairs = pairs.reindex(pairs["change"].abs().sort_values(ascending=False).index)
    return CorrelationMonitor(stat, df, p, p < level, pairs, r1, r2)

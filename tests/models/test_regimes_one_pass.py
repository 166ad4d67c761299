"""Filtering with an earlier HMM fit scores each row once (issue 29: the cross-asset agent
filters at every date between yearly refits), with the numbers of the textbook recursion.

The expected log-likelihood and last-row probabilities come from the forward recursion of
Hamilton (1989) written out here with scipy's Gaussian densities, independent of hmmlearn.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import multivariate_normal

from research_core.models import risk_regimes


def _returns(n: int = 260) -> pd.DataFrame:
    """Weekly returns of two assets: calm weeks (1.5 % a week) with a volatile stretch (5 %)."""
    rng = np.random.default_rng(3)
    vol = np.where((np.arange(n) // 40) % 3 == 2, 0.05, 0.015)
    values = rng.standard_normal((n, 2)) * vol[:, None]
    return pd.DataFrame(values, pd.date_range("2001", periods=n, freq="W-FRI"), ["eq", "fx"])


def _forward(x: np.ndarray, hmm: object) -> tuple[np.ndarray, float]:
    """Filtered state probabilities at the last row and the log-likelihood of ``x``."""
    start, trans = hmm.startprob_, hmm.transmat_  # type: ignore[attr-defined]
    means, covs = hmm.means_, hmm.covars_  # type: ignore[attr-defined]
    alpha, loglik = start.copy(), 0.0
    for t, row in enumerate(x):
        if t:
            alpha = alpha @ trans
        dens = np.array(
            [multivariate_normal(m, c).pdf(row) for m, c in zip(means, covs, strict=True)]
        )
        alpha = alpha * dens
        loglik += float(np.log(alpha.sum()))
        alpha = alpha / alpha.sum()
    return alpha, loglik


def test_filtering_scores_each_row_once_with_the_textbook_numbers() -> None:
    rets = _returns()
    first = risk_regimes(rets.iloc[:200])
    assert first.fit is not None
    hmm, calls = first.fit.hmm, []
    real = hmm._compute_log_likelihood  # the real densities, counted (not replaced)

    def counted(x: np.ndarray) -> np.ndarray:
        calls.append(len(x))
        return real(x)

    hmm._compute_log_likelihood = counted
    try:
        later = risk_regimes(rets, fit=first.fit)
    finally:
        del hmm._compute_log_likelihood
    # one pass over the 260 rows: probabilities and log-likelihood share it (was two)
    assert calls == [len(rets)]
    x = (rets / rets.iloc[:200].std()).to_numpy()  # scaled as the fit's sample was
    filtered, loglik = _forward(x, hmm)
    np.testing.assert_allclose(later.loglik, loglik, rtol=1e-10)
    np.testing.assert_allclose(later.probabilities.iloc[-1], filtered[first.fit.order], atol=1e-10)

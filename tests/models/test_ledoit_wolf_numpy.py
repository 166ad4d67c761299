"""Ledoit–Wolf in numpy (issue 29: importing scikit-learn cost a replay more than its whole
work) against its peer, scikit-learn's ``LedoitWolf``, to 1e-12: the shapes the risk engine
meets (many days, a few dozen instruments), one asset, and more assets than days (the
intensity clipped at 1)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.covariance import LedoitWolf

from research_core.models.covariance import ledoit_wolf


@pytest.mark.parametrize(
    ("n", "p", "seed"), [(750, 23, 1), (60, 30, 2), (250, 1, 3), (25, 120, 4), (21, 2, 5)]
)
def test_numpy_ledoit_wolf_matches_scikit_learn(n: int, p: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    scale = rng.uniform(0.001, 0.03, p)  # daily returns of a few tenths of a percent to 3 %
    rets = pd.DataFrame(rng.standard_t(4, (n, p)) * scale + 1e-4)
    got = ledoit_wolf(rets, min_obs=20)
    peer = LedoitWolf().fit(rets.to_numpy())
    np.testing.assert_allclose(got.covariance.to_numpy(), peer.covariance_, rtol=1e-12, atol=0)
    assert got.shrinkage == pytest.approx(float(peer.shrinkage_), rel=1e-12, abs=1e-15)
    assert got.nobs == n and list(got.covariance.columns) == list(rets.columns)


def test_scikit_learns_published_example() -> None:
    """The example of scikit-learn's ``LedoitWolf`` docstring (1.9): 50 draws of a
    bivariate normal with covariance [[.4, .2], [.2, .8]] (``np.random.seed(0)``) give
    [[0.4406, 0.1616], [0.1616, 0.8022]], printed there cut to four decimals."""
    draws = np.random.RandomState(0)  # the docstring's np.random.seed(0) stream
    x = draws.multivariate_normal(mean=[0, 0], cov=[[0.4, 0.2], [0.2, 0.8]], size=50)
    got = ledoit_wolf(pd.DataFrame(x)).covariance.to_numpy()
    cut = np.trunc(got * 1e4) / 1e4
    np.testing.assert_allclose(cut, [[0.4406, 0.1616], [0.1616, 0.8022]], atol=1e-12)


def test_the_intensity_is_the_papers_formula_written_out() -> None:
    """Ledoit and Wolf (2004), Lemma 3.2 and Theorem 3.1, by hand with a loop over days:
    S the biased sample covariance, μ = tr S / p, d² = ‖S − μI‖², b̄² = Σ_k ‖x_k x_kᵀ − S‖²
    / n², intensity min(b̄², d²) / d², estimate (1 − s) S + s μI."""
    rng = np.random.default_rng(7)
    x = rng.normal(0, 0.01, (40, 6)) @ rng.normal(0, 1, (6, 6))
    xc = x - x.mean(0)
    n, p = xc.shape
    s = xc.T @ xc / n
    mu = np.trace(s) / p
    d2 = ((s - mu * np.eye(p)) ** 2).sum()
    b2 = sum(((np.outer(row, row) - s) ** 2).sum() for row in xc) / n**2
    shrink = min(b2, d2) / d2
    got = ledoit_wolf(pd.DataFrame(x))
    assert got.shrinkage == pytest.approx(shrink, rel=1e-12)
    want = (1 - shrink) * s + shrink * mu * np.eye(p)
    np.testing.assert_allclose(got.covariance.to_numpy(), want, rtol=1e-12, atol=1e-20)

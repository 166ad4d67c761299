"""The r* profile fit's own filter and smoother (issue 29) against statsmodels' exact
diffuse Kalman smoother for the same parameters: filtered and smoothed level, their
standard errors and the log-likelihood."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.tsa.statespace.structural import UnobservedComponents

from research_core.models.rstar import natural_rate


@pytest.mark.parametrize(("n", "with_gap", "seed"), [(40, True, 1), (150, True, 2), (90, False, 3)])
def test_filter_and_smoother_equal_statsmodels(n: int, with_gap: bool, seed: int) -> None:
    rng = np.random.default_rng(seed)
    idx = pd.date_range("2001-01-01", periods=n, freq="MS")
    gap = rng.normal(0, 2, n)
    real = 2 + np.cumsum(rng.normal(0, 0.2, n)) + 0.4 * gap * with_gap + rng.normal(0, 1, n)
    got = natural_rate(pd.Series(real, idx), pd.Series(gap, idx) if with_gap else None)
    exog = gap[:, None] if with_gap else None
    model = UnobservedComponents(real, level="llevel", exog=exog, use_exact_diffuse=True)
    model.update(got.params.to_numpy())  # var(e), var(w) = 0.02 var(e), the gap's beta
    want = model.ssm.smooth()
    expected = {
        "filtered": want.filtered_state[0],
        "filtered_se": np.sqrt(want.filtered_state_cov[0, 0]),
        "smoothed": want.smoothed_state[0],
        "smoothed_se": np.sqrt(want.smoothed_state_cov[0, 0]),
    }
    for column, values in expected.items():
        np.testing.assert_allclose(got.estimates[column], values, rtol=1e-12, atol=1e-12)
    assert got.llf == pytest.approx(want.llf, rel=1e-12)
    assert got.estimates.index.equals(idx)

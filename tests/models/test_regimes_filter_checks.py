"""Filtering with a fitted regime HMM gives hmmlearn's own ``score_samples`` numbers, bit
for bit, without re-validating the fitted parameters at every call (issue 29: the
cross-asset agent filters at every date between yearly refits).

The expected numbers are hmmlearn's public ``score_samples`` on the same scaled rows.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.models import risk_regimes
from research_core.models.regimes import _forward_backward


def _returns(n: int = 240) -> pd.DataFrame:
    """Weekly returns of two assets: calm weeks (1.5 % a week), every third stretch 5 %."""
    rng = np.random.default_rng(11)
    vol = np.where((np.arange(n) // 40) % 3 == 2, 0.05, 0.015)
    values = rng.standard_normal((n, 2)) * vol[:, None]
    return pd.DataFrame(values, pd.date_range("2005", periods=n, freq="W-FRI"), ["eq", "fx"])


def test_filter_equals_score_samples_and_validates_nothing_per_call() -> None:
    rets = _returns()
    fit = risk_regimes(rets.iloc[:180]).fit
    assert fit is not None
    hmm, checks = fit.hmm, []
    real = hmm._check  # the real validation, counted (not replaced)

    def counted() -> None:
        checks.append(1)
        real()

    hmm._check = counted
    try:
        later = risk_regimes(rets, fit=fit)
    finally:
        del hmm._check
    assert checks == []  # validated when fitted, not at every filter (was once per call)
    x = (rets / rets.iloc[:180].std()).to_numpy()  # scaled as the fit's sample was
    loglik, probs = hmm.score_samples(x)  # hmmlearn's public answer
    assert np.array_equal(later.probabilities.to_numpy(), probs[:, fit.order])
    assert later.loglik == float(loglik)


def test_non_finite_rows_are_refused_as_hmmlearn_refuses_them() -> None:
    fit = risk_regimes(_returns()).fit
    assert fit is not None
    x = np.zeros((5, 2))
    x[2, 1] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        fit.hmm.score_samples(x)
    with pytest.raises(ValueError, match="NaN"):
        _forward_backward(fit.hmm, x, fit.order)

"""Risk contributions have one home (issue 28): ``risk.measures.variance_terms`` is the
primitive behind ``risk_contributions``, the ERC optimiser and parametric component VaR.
Every expected number here is worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from research_core.portfolio.optimizers import erc
from research_core.risk.measures import parametric, risk_contributions, variance_terms


def _cov(vols: tuple[float, float], rho: float) -> pd.DataFrame:
    s1, s2 = vols
    c = [[s1 * s1, rho * s1 * s2], [rho * s1 * s2, s2 * s2]]
    return pd.DataFrame(c, index=["A", "B"], columns=["A", "B"])


def test_variance_terms_by_hand() -> None:
    # w = (1, 2), Σ = [[0.04, 0.01], [0.01, 0.09]]: Σw = (0.06, 0.19),
    # terms w_i(Σw)_i = (0.06, 0.38), variance wᵀΣw = 0.44.
    terms, var = variance_terms(np.array([1.0, 2.0]), np.array([[0.04, 0.01], [0.01, 0.09]]))
    assert terms == pytest.approx([0.06, 0.38], abs=1e-15)
    assert var == pytest.approx(0.44, abs=1e-15)


def test_erc_risk_contributions_are_equal_by_hand() -> None:
    # Two assets, vols 10% and 30%, correlation 0.5. Equal contributions
    # w1(w1σ1² + w2ρσ1σ2) = w2(w2σ2² + w1ρσ1σ2) reduce to w1σ1 = w2σ2, so with
    # w1 + w2 = 1: w = (0.3, 0.1) / 0.4 = (0.75, 0.25); each contributes half.
    cov = _cov((0.10, 0.30), 0.5)
    w = erc(cov)
    assert w.to_numpy() == pytest.approx([0.75, 0.25], abs=1e-9)
    assert risk_contributions(w, cov).to_numpy() == pytest.approx([0.5, 0.5], abs=1e-9)


def test_erc_with_budgets_matches_hand_weights() -> None:
    # Uncorrelated, vols 10% and 20%, budgets 80/20: w_i²σ_i² ∝ b_i, so w_i ∝ √b_i/σ_i
    # = (√0.8/0.1, √0.2/0.2) = (8.944, 2.236) -> w = (0.8, 0.2); contributions
    # 0.64·0.01 = 0.0064 and 0.04·0.04 = 0.0016 of 0.008: shares (0.8, 0.2) = the budgets.
    cov = _cov((0.10, 0.20), 0.0)
    w = erc(cov, pd.Series({"A": 0.8, "B": 0.2}))
    assert w.to_numpy() == pytest.approx([0.8, 0.2], abs=1e-9)
    assert risk_contributions(w, cov).to_numpy() == pytest.approx([0.8, 0.2], abs=1e-9)


def test_parametric_components_are_the_variance_shares_of_var() -> None:
    # Same book as above: terms (0.06, 0.38), variance 0.44, sd √0.44. Normal 99% VaR is
    # z·sd with z = Φ⁻¹(0.99) (scipy); component i is z·terms_i/sd = VaR · share_i,
    # shares 0.06/0.44 and 0.38/0.44.
    cov = pd.DataFrame([[0.04, 0.01], [0.01, 0.09]], index=["A", "B"], columns=["A", "B"])
    book = pd.Series({"A": 1.0, "B": 2.0})
    (res,) = parametric(book, cov, (0.99,))
    z, sd = stats.norm.ppf(0.99), np.sqrt(0.44)
    assert res.var == pytest.approx(z * sd, rel=1e-12)
    expected = [z * 0.06 / sd, z * 0.38 / sd]
    assert res.component_var.to_numpy() == pytest.approx(expected, rel=1e-12)

"""Constraints on numpy arrays (issue 29, row 2b: the daily book applies them every
session): the VaR cap is the normal closed form, and an asset class's gross is the number
pandas' groupby sum gives, to the bit, wherever it can bind."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from research_core.errors import RiskError
from research_core.portfolio.constraints import Constraints, _Book, apply_constraints
from research_core.risk.measures import parametric_components

# Three rates instruments (catalog asset class "rates") whose |w| add up differently in
# numpy (pairwise) and in pandas' groupby sum (compensated): 4.559817415590832 vs ...833.
RATES = pd.Index(["DI1.1Y", "DI1.2Y", "DI1.3Y"])
W = np.array([1.138399812779997, 1.8045766929590004, 1.616840909851835])


def test_normal_components_are_the_closed_form() -> None:
    # By hand: VaR_a = z_a σ with σ² = wᵀΣw and z_a = Φ⁻¹(a) (scipy.stats.norm, the peer);
    # component i = z_a w_i (Σw)_i / σ, so the components add up to the VaR.
    cov = np.array([[4e-4, 1e-4, 0.0], [1e-4, 9e-4, -2e-4], [0.0, -2e-4, 1e-4]])
    w = np.array([0.5, -0.25, 1.0])
    sigma = np.sqrt(w @ cov @ w)
    ((alpha, cvar, ces),) = parametric_components(w, cov, np.zeros(3), (0.99,))
    z = stats.norm.ppf(0.99)
    assert alpha == 0.99
    assert cvar == pytest.approx(z * w * (cov @ w) / sigma, rel=1e-12)
    assert cvar.sum() == pytest.approx(z * sigma, rel=1e-12)
    es = stats.norm.pdf(z) / 0.01 * sigma  # normal ES: φ(z)/(1−a) σ
    assert ces.sum() == pytest.approx(es, rel=1e-12)


def test_class_gross_near_a_limit_is_pandas_groupby_sum() -> None:
    book = _Book.of(RATES, np.eye(3))
    pandas_sum = float(pd.Series(np.abs(W)).groupby(np.array(["rates"] * 3)).sum().iloc[0])
    assert pandas_sum != float(np.abs(W).sum())  # the case tells the two sums apart
    assert book.class_gross(W, near=4.0) == [("rates", pandas_sum)]
    assert book.class_gross(W, near=10.0) == [("rates", float(np.abs(W).sum()))]


def test_an_asset_class_over_its_limit_is_scaled_by_pandas_gross() -> None:
    # Tiny variances (no VaR cap), one class within the gross and net leverage: only the
    # asset-class limit binds, and the class is scaled by it / its gross as pandas sums it.
    cons = Constraints()
    cov = pd.DataFrame(np.eye(3) * 1e-12, index=RATES, columns=RATES)
    got, binding = apply_constraints(pd.Series(W, index=RATES), cov, cons)
    lim = cons.limits
    pandas_sum = float(pd.Series(W).groupby(np.array(["rates"] * 3)).sum().iloc[0])
    assert lim.position >= W.max() and lim.asset_class < pandas_sum  # the case as meant
    assert lim.asset_class <= min(lim.gross_leverage, lim.net_leverage)
    want = W * (lim.asset_class / pandas_sum)
    assert [b.constraint for b in binding] == ["asset class"]
    assert np.array_equal(got.to_numpy(), want)
    assert list(got.index) == list(RATES)


def test_a_nan_weight_is_refused_not_clipped_into_a_position() -> None:
    # Review of issue 29's array path: with another position over the limit the clip ran
    # np.where(x >= -p, x, -p), which turns NaN into -p (a full short). Before the array
    # path the VaR cap refused the NaN (risk.measures.check_book); it must still.
    target = pd.Series([np.nan, 6.0, 0.1], index=RATES)
    cov = pd.DataFrame(np.diag([1e-6] * 3), index=RATES, columns=RATES)
    with pytest.raises(RiskError, match=r"NaN/inf for \['DI1.1Y'\]"):
        apply_constraints(target, cov, Constraints())


def test_a_position_without_a_covariance_is_refused_not_counted_riskless() -> None:
    # The target names DI1.5Y, the covariance does not: filling 0 would leave its risk out
    # of the VaR cap. Refused, as check_book did before the array path.
    ids = pd.Index([*RATES, "DI1.5Y"])
    target = pd.Series([0.1, 0.2, 0.3, 0.8], index=ids)
    cov = pd.DataFrame(np.diag([1e-6] * 3), index=RATES, columns=RATES)
    with pytest.raises(RiskError, match=r"unknown instruments .*\['DI1.5Y'\]"):
        apply_constraints(target, cov, Constraints())


def test_a_nan_held_weight_is_refused_not_a_turnover_that_binds_nothing() -> None:
    # Second review: current = [NaN, 0, 0] made the turnover NaN, and NaN > cap is False,
    # so the cap was skipped silently; before the array path check_book refused it.
    target = pd.Series([0.1, 6.0, 0.1], index=RATES)
    current = pd.Series([np.nan, 0.0, 0.0], index=RATES)
    cov = pd.DataFrame(np.diag([1e-6] * 3), index=RATES, columns=RATES)
    with pytest.raises(RiskError, match=r"NaN/inf for \['DI1.1Y'\]"):
        apply_constraints(target, cov, Constraints(max_turnover=1.0), current)

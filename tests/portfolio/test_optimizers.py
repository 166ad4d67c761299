"""Optimizers against PyPortfolioOpt and skfolio on the same inputs; constraints' reasons."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from pypfopt import BlackLittermanModel, EfficientFrontier, HRPOpt
from skfolio.optimization import RiskBudgeting
from skfolio.prior import EmpiricalPrior

from research_core.errors import PortfolioError
from research_core.portfolio import (
    Constraints,
    apply_constraints,
    black_litterman,
    erc,
    hrp,
    kelly,
    mean_variance,
)
from research_core.risk import RiskLimits


def _returns(n_assets: int = 12, n_days: int = 750, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((n_days, 3))
    load = rng.normal(0, 1, (3, n_assets))
    x = (factors @ load + rng.standard_normal((n_days, n_assets)) * 2) * 0.004
    x *= rng.uniform(0.5, 2.0, n_assets)
    return pd.DataFrame(x, columns=[f"A{i:02d}" for i in range(n_assets)])


@pytest.mark.parametrize("linkage", ["single", "ward", "average"])
def test_hrp_equals_pyportfolioopt(linkage):
    r = _returns(20, seed=3)
    ours = hrp(r.cov(), r.corr(), linkage=linkage)
    theirs = pd.Series(HRPOpt(returns=r).optimize(linkage))
    np.testing.assert_allclose(ours[theirs.index], theirs, atol=1e-10, rtol=0)
    assert ours.sum() == pytest.approx(1.0)


def test_erc_equals_skfolio_risk_budgeting_and_equalizes_risk():
    r = _returns(10, seed=5)
    model = RiskBudgeting(prior_estimator=EmpiricalPrior()).fit(r.to_numpy())
    cov = pd.DataFrame(np.cov(r.to_numpy(), rowvar=False), index=r.columns, columns=r.columns)
    ours = erc(cov)
    # skfolio solves a conic program (Clarabel) to ~1e-6; ours is a Newton solve
    np.testing.assert_allclose(ours.to_numpy(), model.weights_, atol=1e-5)
    rc = ours * (cov @ ours)
    np.testing.assert_allclose(rc / rc.sum(), np.full(10, 0.1), atol=1e-10)
    budgets = pd.Series(np.arange(1, 11, dtype=float), index=r.columns)
    skewed = erc(cov, budgets)
    rc = skewed * (cov @ skewed)
    np.testing.assert_allclose(rc / rc.sum(), budgets / budgets.sum(), atol=1e-10)


def test_black_litterman_equals_pyportfolioopt_with_idzorek_confidences():
    r = _returns(8, seed=7)
    cov = r.cov() * 252
    views = pd.Series({"A01": 0.05, "A04": -0.03, "A06": 0.02})
    conf = pd.Series({"A01": 0.6, "A04": 0.3, "A06": 0.9})
    prior = pd.Series(np.linspace(0.0, 0.02, 8), index=cov.index)
    ours = black_litterman(cov, views, conf, prior=prior, tau=0.05, risk_aversion=3.0)
    bl = BlackLittermanModel(
        cov, pi=prior, absolute_views=views.to_dict(), omega="idzorek",
        view_confidences=conf.to_numpy(), tau=0.05, risk_aversion=3.0,
    )  # fmt: skip
    np.testing.assert_allclose(ours.posterior, bl.bl_returns(), atol=1e-12)
    np.testing.assert_allclose(ours.omega, bl.omega, atol=1e-14)
    theirs = pd.Series(bl.bl_weights(3.0))  # PyPortfolioOpt normalizes to sum 1
    np.testing.assert_allclose(ours.weights / ours.weights.sum(), theirs[cov.index], atol=1e-10)
    # full confidence pins the posterior to the view
    sure = black_litterman(cov, views, conf * 0 + 1.0, tau=0.05)
    np.testing.assert_allclose(sure.posterior[views.index], views, atol=1e-10)


def test_mean_variance_equals_pyportfolioopt_quadratic_utility():
    r = _returns(8, seed=9)
    cov = r.cov() * 252
    mu = pd.Series(np.linspace(-0.02, 0.08, 8), index=cov.index)
    ours = mean_variance(mu, cov, risk_aversion=4.0, bounds=(0.0, 1.0), budget=1.0)
    ef = EfficientFrontier(mu, cov, weight_bounds=(0, 1))
    theirs = pd.Series(ef.max_quadratic_utility(risk_aversion=4.0))
    np.testing.assert_allclose(ours, theirs[cov.index], atol=1e-5)
    # unconstrained: the closed form (δΣ)⁻¹μ
    free = mean_variance(mu, cov, risk_aversion=4.0, bounds=(-100.0, 100.0))
    np.testing.assert_allclose(free, np.linalg.solve(4.0 * cov, mu), rtol=1e-6, atol=1e-8)


def test_kelly_is_the_growth_optimal_fraction():
    cov = pd.DataFrame([[0.04]], index=["X"], columns=["X"])
    assert kelly(pd.Series({"X": 0.06}), cov, fraction=1.0)["X"] == pytest.approx(1.5)
    assert kelly(pd.Series({"X": 0.06}), cov)["X"] == pytest.approx(0.75)
    with pytest.raises(PortfolioError, match="fraction"):
        kelly(pd.Series({"X": 0.06}), cov, fraction=2.0)


def test_optimizers_refuse_bad_covariance():
    bad = pd.DataFrame([[1.0, 2.0], [2.0, 1.0]], index=["X", "Y"], columns=["X", "Y"])
    for fn in (erc, hrp):
        with pytest.raises(PortfolioError, match="positive semi-definite"):
            fn(bad)
    nan = bad.copy()
    nan.iloc[0, 0] = np.nan
    with pytest.raises(PortfolioError, match="NaN"):
        erc(nan)
    with pytest.raises(PortfolioError, match="not in the covariance"):
        black_litterman(bad * 0 + np.eye(2), pd.Series({"Z": 0.1}), pd.Series({"Z": 0.5}))


IDS = ["DI1.2Y", "DI1.5Y", "IBOV.FUT", "ES.FUT"]
COV = pd.DataFrame(np.diag([1e-4, 1e-4, 4e-4, 1e-4]), index=IDS, columns=IDS)


def test_every_binding_constraint_says_why():
    target = pd.Series({"DI1.2Y": 3.0, "DI1.5Y": 2.5, "IBOV.FUT": 0.5, "ES.FUT": 1.0})
    lim = RiskLimits(position=2, asset_class=3, gross_leverage=4, net_leverage=3, var_99=1)
    cons = Constraints(limits=lim, var_headroom=1.0)
    w, binding = apply_constraints(target, COV, cons)
    names = [b.constraint for b in binding]
    assert names == ["concentration", "asset class", "gross leverage", "net leverage"]
    assert "DI1.2Y +3.00" in binding[0].reason
    assert w.abs().max() <= 2.0 + 1e-12
    assert w[["DI1.2Y", "DI1.5Y"]].abs().sum() <= 3.0 + 1e-12
    assert w.abs().sum() <= 4.0 + 1e-12 and abs(w.sum()) <= 3.0 + 1e-12
    loose_var = RiskLimits(var_99=0.02)
    _, risky = apply_constraints(target, COV * 100, Constraints(limits=loose_var, var_headroom=1))
    assert risky[-1].constraint == "risk budget" and "VaR" in risky[-1].reason


def test_construction_and_the_risk_report_share_one_set_of_limits():
    """Constraints carry RiskLimits: the defaults are the monitored limits (gross 8, net 4,
    position 2, asset class 4; VaR cap 0.75 × the 2 % VaR limit = 1.5 %), and a tighter
    position limit there clips the constructed book to it."""
    cons = Constraints()
    assert cons.limits == RiskLimits()
    lim = cons.limits
    assert (lim.gross_leverage, lim.net_leverage, lim.position, lim.asset_class) == (8, 4, 2, 4)
    assert cons.max_var_99 == pytest.approx(0.015)
    tight = Constraints(limits=RiskLimits(position=0.5, var_99=1.0))
    w, binding = apply_constraints(pd.Series({"DI1.2Y": 0.9, "ES.FUT": -0.7}), COV, tight)
    assert w.to_dict() == {"DI1.2Y": 0.5, "ES.FUT": -0.5}
    assert [b.constraint for b in binding] == ["concentration"]


def test_net_cut_cannot_push_var_back_over_the_cap():
    """A hedged book (short IBOV, long ES, corr 0.95): cutting the longs for the net limit
    un-hedges it, VaR 1.47 % → 1.73 % (by hand below). The VaR cap used to run first, so
    the book ended over it, unrecorded; now it holds and both limits are recorded."""
    ids = ["IBOV.FUT", "ES.FUT"]
    vol, rho = np.array([0.02, 0.01]), 0.95
    cov = pd.DataFrame(np.outer(vol, vol) * [[1, rho], [rho, 1]], index=ids, columns=ids)
    target = pd.Series({"IBOV.FUT": -1.0, "ES.FUT": 2.0})
    z99 = 2.3263478740408408  # standard normal 99 % quantile (published tables)
    # by hand: σ² = 4e-4 + 4·1e-4 − 2·2·0.95·2e-4 = 0.4e-4 → VaR 1.471 %;
    # after the net cut to +0.5 (ES 1.5): σ² = 4e-4 + 2.25e-4 − 2·1.5·0.95·2e-4 = 0.55e-4
    assert z99 * np.sqrt(0.4e-4) < 0.016 < z99 * np.sqrt(0.55e-4)
    cons = Constraints(limits=RiskLimits(net_leverage=0.5, var_99=0.016), var_headroom=1.0)
    w, binding = apply_constraints(target, cov, cons)
    assert [b.constraint for b in binding] == ["net leverage", "risk budget"]
    scale = 0.016 / (z99 * np.sqrt(0.55e-4))
    assert w["IBOV.FUT"] == pytest.approx(-1.0 * scale, rel=1e-9)
    assert w["ES.FUT"] == pytest.approx(1.5 * scale, rel=1e-9)
    x = w.to_numpy()
    assert z99 * np.sqrt(x @ cov.to_numpy() @ x) <= 0.016 * (1 + 1e-9)
    assert abs(w.sum()) <= 0.5


def test_turnover_and_drift_bands_against_the_current_book():
    current = pd.Series({"DI1.2Y": 1.0, "DI1.5Y": 0.5, "IBOV.FUT": 0.0, "ES.FUT": 0.2})
    target = pd.Series({"DI1.2Y": 1.01, "DI1.5Y": -0.5, "IBOV.FUT": 0.4, "ES.FUT": 0.2})
    cons = Constraints(max_turnover=0.7, drift_band=0.02, limits=RiskLimits(var_99=1.0))
    w, binding = apply_constraints(target, COV, cons, current)
    assert w["DI1.2Y"] == 1.0  # inside the drift band: no trade
    assert (w - current).abs().sum() == pytest.approx(0.7)
    assert [b.constraint for b in binding] == ["drift band", "turnover"]
    # limits outrank turnover: a current book over the gross cap must still be cut
    over = pd.Series({"DI1.2Y": 2.0, "DI1.5Y": 2.0, "IBOV.FUT": 0.0, "ES.FUT": 0.0})
    w, binding = apply_constraints(
        over,
        COV,
        Constraints(max_turnover=0.1, limits=RiskLimits(gross_leverage=2.0, var_99=1.0)),
        over,
    )
    assert w.abs().sum() <= 2.0 + 1e-12
    assert any("limits outrank turnover" in b.reason for b in binding)


def test_erc_finishes_where_trust_exact_stalls_short_of_the_tolerance():
    # A covariance on which scipy's trust-exact stops with "a bad approximation" before
    # the risk contributions are within 1e-8 of their budgets: erc raised here, and the
    # book backtest held its book instead of rebuilding it (whether it raised turned on
    # the last bit of the inputs). ERC's definition (Maillard, Roncalli and Teiletche
    # 2010): every asset's risk contribution w_i (Σw)_i is the same, wᵀΣw / n.
    c = np.array(
        [
            [8.805708257118198, -1.4456467902632983, 0.7509229670619423],
            [-1.4456467902632983, 12.932871872841861, -0.6548236754472585],
            [0.7509229670619423, -0.6548236754472585, 0.195482153690098],
        ]
    )
    names = list("abc")
    w = erc(pd.DataFrame(c, index=names, columns=names)).to_numpy()
    rc = w * (c @ w)
    np.testing.assert_allclose(rc, np.full(3, rc.sum() / 3), rtol=1e-9)
    assert np.all(w > 0) and abs(w.sum() - 1.0) < 1e-15

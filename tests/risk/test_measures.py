"""Known answers for VaR/ES, their components and the VaR backtests."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from research_core.errors import RiskError
from research_core.risk import (
    backtest_var,
    christoffersen,
    cornish_fisher,
    historical,
    kupiec,
    monte_carlo,
    parametric,
)
from research_core.risk.measures import DF_BOUNDS, fit_student_t
from tests.risk.conftest import statsmodels_t_fit

IDS = ["A", "B", "C"]
COV = pd.DataFrame(
    [[4.0e-4, 1.0e-4, -0.5e-4], [1.0e-4, 2.25e-4, 0.3e-4], [-0.5e-4, 0.3e-4, 1.0e-4]],
    index=IDS,
    columns=IDS,
)
W = pd.Series({"A": 0.5, "B": -1.0, "C": 2.0})


def _returns(n: int = 4000, seed: int = 1, fat: bool = False) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    z = rng.standard_t(4, size=(n, 3)) / np.sqrt(2.0) if fat else rng.standard_normal((n, 3))
    x = z @ np.linalg.cholesky(COV.to_numpy()).T
    return pd.DataFrame(x, columns=IDS, index=pd.bdate_range("2010-01-01", periods=n))


def test_parametric_normal_equals_the_closed_form():
    sd = float(np.sqrt(W @ COV @ W))
    for res in parametric(W, COV, (0.95, 0.99)):
        z = stats.norm.ppf(res.alpha)
        assert res.var == pytest.approx(z * sd, rel=1e-12)
        assert res.es == pytest.approx(stats.norm.pdf(z) / (1 - res.alpha) * sd, rel=1e-12)
        # Euler: component_i = w_i (Σw)_i / σ · z
        expect = W * (COV @ W) / sd * z
        np.testing.assert_allclose(res.component_var, expect, rtol=1e-12)


def test_student_t_matches_scipy_and_tends_to_normal():
    sd = float(np.sqrt(W @ COV @ W))
    (t5,) = parametric(W, COV, (0.99,), dist="student_t", df=5)
    assert t5.var == pytest.approx(-stats.t.ppf(0.01, 5) * np.sqrt(3 / 5) * sd, rel=1e-12)
    # ES of a unit-variance t(5) by numerical integration of the tail quantiles
    u = np.linspace(0, 0.01, 200_001)[1:]
    es = -np.mean(stats.t.ppf(u, 5)) * np.sqrt(3 / 5) * sd
    assert t5.es == pytest.approx(es, rel=2e-3)
    (big,) = parametric(W, COV, (0.99,), dist="student_t", df=1e6)
    (norm,) = parametric(W, COV, (0.99,))
    assert big.var == pytest.approx(norm.var, rel=1e-4)


@pytest.mark.parametrize(
    "run",
    [
        lambda r: historical(W, r),
        lambda r: parametric(W, COV),
        lambda r: parametric(W, COV, dist="student_t", df=6),
        lambda r: cornish_fisher(W, r),
        lambda r: monte_carlo(W, COV, n=50_000),
        lambda r: monte_carlo(W, COV, n=50_000, copula="t", df=4),
    ],
    ids=["historical", "normal", "student_t", "cornish_fisher", "mc_normal", "mc_t"],
)
def test_components_sum_to_the_total(run):
    for res in run(_returns(fat=True)):
        assert res.component_var.sum() == pytest.approx(res.var, rel=1e-9)
        assert res.component_es.sum() == pytest.approx(res.es, rel=1e-9)
        assert res.es >= res.var > 0
        frame = res.to_frame()
        assert frame["pct_var"].sum() == pytest.approx(1.0)


def test_cornish_fisher_components_are_the_euler_gradient():
    r = _returns(fat=True)
    for res in cornish_fisher(W, r):
        h = 1e-6
        for name in IDS:
            up, dn = W.copy(), W.copy()
            up[name] += h
            dn[name] -= h
            grad = (
                cornish_fisher(up, r, (res.alpha,))[0].var
                - cornish_fisher(dn, r, (res.alpha,))[0].var
            ) / (2 * h)
            assert res.component_var[name] == pytest.approx(W[name] * grad, rel=1e-5, abs=1e-10)


def test_simulation_methods_agree_with_the_closed_form_on_normal_data():
    (exact,) = parametric(W, COV, (0.99,))
    (mc,) = monte_carlo(W, COV, (0.99,), n=400_000, seed=3)
    assert mc.var == pytest.approx(exact.var, rel=0.02)
    assert mc.es == pytest.approx(exact.es, rel=0.02)
    np.testing.assert_allclose(mc.component_es, exact.component_es, atol=0.03 * exact.es)
    (hist,) = historical(W, _returns(n=100_000, seed=4), (0.99,))
    assert hist.var == pytest.approx(exact.var, rel=0.03)
    (cf,) = cornish_fisher(W, _returns(n=100_000, seed=5), (0.99,))
    assert cf.var == pytest.approx(exact.var, rel=0.03)


def test_fat_tails_raise_the_t_copula_and_cornish_fisher_tail():
    r = _returns(n=20_000, fat=True)
    (normal,) = parametric(W, COV, (0.99,))
    (cf,) = cornish_fisher(W, r, (0.99,))
    assert cf.es > normal.es * 1.05
    (mc_n,) = monte_carlo(W, COV, (0.99,), seed=1)
    (mc_t,) = monte_carlo(W, COV, (0.99,), seed=1, copula="t", df=3)
    assert mc_t.es > mc_n.es  # joint crashes put more in the tail
    assert 2.5 <= fit_student_t(W, r).df < 10  # the data are t(4)


@pytest.mark.parametrize("nu", [5.0, 30.0])
def test_student_t_fit_is_the_statsmodels_fit_and_covers_the_true_df(nu):
    """Daily returns of 0.4 % of NAV drawn from a t(ν): ν, location, scale and the
    log-likelihood are statsmodels' maximum-likelihood fit, and the true ν lies in the 99 %
    likelihood-ratio interval (χ²₁ 99 % = 6.63) — by statsmodels alone. The ν = 5 sample is
    one where ``scipy.stats.t.fit`` stops at ν ≈ 2.1 (the old code clipped it to 2.5)."""
    rng = np.random.default_rng(int(nu))
    x = 2e-4 + 4e-3 * rng.standard_t(nu, 3000)
    fit = fit_student_t(pd.Series({"A": 1.0}), pd.DataFrame({"A": x}))
    peer = statsmodels_t_fit(x)
    assert fit.converged and not fit.at_bound
    assert fit.df == pytest.approx(peer["df"], rel=1e-3)
    assert fit.loc == pytest.approx(peer["loc"], abs=1e-7)  # 0.001 bp
    assert fit.scale == pytest.approx(peer["scale"], rel=1e-5)
    assert fit.loglik == pytest.approx(peer["loglik"], abs=1e-5)
    assert 2 * (peer["loglik"] - statsmodels_t_fit(x, fix_df=nu)["loglik"]) < stats.chi2.ppf(
        0.99, 1
    )
    assert f"ν {peer['df']:.1f} " in fit.summary() and "converged" in fit.summary()


def test_student_t_fit_of_normal_and_cauchy_data_names_its_bound():
    """Gaussian returns whose likelihood (statsmodels) peaks beyond ν = 1000: the fit stops
    at that bound with statsmodels' profile likelihood there; Cauchy returns (no variance):
    ν stops at the lower bound 2.5. Both say so."""
    rng = np.random.default_rng(2)
    x = 1e-2 * rng.standard_normal(2000)
    fit = fit_student_t(pd.Series({"A": 1.0}), pd.DataFrame({"A": x}))
    assert statsmodels_t_fit(x)["df"] > DF_BOUNDS[1]
    assert fit.at_bound and fit.df == pytest.approx(DF_BOUNDS[1])
    at_bound = statsmodels_t_fit(x, fix_df=DF_BOUNDS[1])
    assert fit.loglik == pytest.approx(at_bound["loglik"], abs=1e-5)
    assert fit.scale == pytest.approx(at_bound["scale"], rel=1e-5)
    assert "ν at its upper bound 1000.0" in fit.summary()
    cauchy = fit_student_t(pd.Series({"A": 1.0}), pd.DataFrame({"A": rng.standard_cauchy(500)}))
    assert cauchy.at_bound and cauchy.df == pytest.approx(DF_BOUNDS[0])
    assert "ν at its lower bound 2.5" in cauchy.summary()
    with pytest.raises(RiskError, match="zero variance"):
        fit_student_t(pd.Series({"A": 1.0}), pd.DataFrame({"A": np.full(100, 1e-3)}))


def test_bad_input_is_named():
    with pytest.raises(RiskError, match="not positive semi-definite"):
        parametric(W, pd.DataFrame(np.diag([1.0, -1e-3, 1.0]), index=IDS, columns=IDS))
    with pytest.raises(RiskError, match="not symmetric"):
        bad = COV.copy()
        bad.iloc[0, 1] += 1e-3
        parametric(W, bad)
    r = _returns()
    r.iloc[5, 1] = np.nan
    with pytest.raises(RiskError, match=r"NaN/inf for \['B'\]"):
        historical(W, r)
    with pytest.raises(RiskError, match="empty book"):
        parametric(pd.Series({"A": 0.0}), COV)
    with pytest.raises(RiskError, match=r"unknown instruments.*'ZZ'"):
        parametric(pd.Series({"ZZ": 1.0}), COV)
    with pytest.raises(RiskError, match="NaN/inf"):
        parametric(pd.Series({"A": np.nan}), COV)
    with pytest.raises(RiskError, match="confidence level"):
        parametric(W, COV, (99.0,))


def test_kupiec_known_values_and_simulated_exceedances():
    hits = np.zeros(250)
    hits[:10] = 1  # 10 exceedances of a 99% VaR in 250 days (Basel red zone)
    lr, p = kupiec(hits, 0.99)
    phat = 10 / 250
    expect = -2 * (
        240 * np.log(0.99) + 10 * np.log(0.01) - 240 * np.log(1 - phat) - 10 * np.log(phat)
    )
    assert lr == pytest.approx(expect, rel=1e-12)
    assert p < 0.01
    rng = np.random.default_rng(7)
    right = rng.random(2000) < 0.01
    assert kupiec(right, 0.99)[1] > 0.05
    wrong = rng.random(2000) < 0.03
    assert kupiec(wrong, 0.99)[1] < 1e-4
    # Christoffersen: the same count, clustered, fails independence; scattered does not
    clustered = np.zeros(1000)
    clustered[[100, 101, 102, 103, 500, 501, 502, 503, 504, 505]] = 1
    assert christoffersen(clustered)[1] < 0.01
    scattered = np.zeros(1000)
    scattered[np.arange(50, 1000, 100)] = 1
    assert christoffersen(scattered)[1] > 0.2


def test_backtest_var_counts_exceedances_of_the_prior_forecast():
    idx = pd.bdate_range("2020-01-01", periods=500)
    rng = np.random.default_rng(0)
    pnl = pd.Series(rng.standard_normal(500) * 0.01, index=idx)
    var = pd.Series(stats.norm.ppf(0.99) * 0.01, index=idx)
    bt = backtest_var(pnl, var, 0.99)
    assert bt.exceedances == int((pnl < -var).sum())
    assert bt.lr_cc == pytest.approx(bt.lr_pof + bt.lr_ind)
    assert bt.p_cc > 0.01
    assert "exceedances" in bt.summary()
    with pytest.raises(RiskError, match="0/1"):
        kupiec(np.array([0, 2, 1]), 0.99)


@pytest.mark.parametrize(
    ("n", "alpha", "k"),
    # k = n(1 − α) worked out by hand; 97.5 % of 500 is 12.5, so the 13th worst
    [
        (100, 0.99, 1),
        (500, 0.99, 5),
        (1000, 0.99, 10),
        (2000, 0.99, 20),
        (100, 0.95, 5),
        (500, 0.95, 25),
        (1000, 0.95, 50),
        (2000, 0.95, 100),
        (500, 0.975, 13),
    ],
)
def test_historical_var_is_the_kth_worst_loss_when_n_times_tail_is_whole(n, alpha, k):
    """Losses 1..n (bp, shuffled): VaR is the k-th worst, k = ⌈n(1−α)⌉, ES the mean of the
    k worst = (n + n−k+1)/2 bp. 1 − 0.99 in floating point made it the 11th of 1,000."""
    rng = np.random.default_rng(n)
    losses = rng.permutation(np.arange(1, n + 1)) * 1e-4
    rets = pd.DataFrame({"A": -losses}, index=pd.bdate_range("2000-01-03", periods=n))
    res = historical(pd.Series({"A": 1.0}), rets, (alpha,))[0]
    assert res.var == pytest.approx((n - k + 1) * 1e-4, abs=1e-15)
    assert res.es == pytest.approx((n + n - k + 1) / 2 * 1e-4, rel=1e-12)

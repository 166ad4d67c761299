"""r* by exact profile likelihood (issue 29): the fixed signal-to-noise fit without an
optimiser, checked against statsmodels' own likelihood, smoother and a numerical Hessian
(the peer), and the Hamilton gap against statsmodels OLS bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from scipy.optimize import minimize
from statsmodels.tools.numdiff import approx_hess
from statsmodels.tsa.statespace.structural import UnobservedComponents

from research_core.errors import ModelError
from research_core.models import hamilton_gap, natural_rate, trend_gap

Q = 0.02  # natural_rate's default signal-to-noise ratio


def simulated(n: int = 240, seed: int = 5) -> tuple[pd.Series, pd.Series]:
    """A random-walk r* (var(w) = Q·var(e)) plus 0.5·gap plus noise of sd 0.3."""
    rng = np.random.default_rng(seed)
    idx = pd.date_range("1995-01-01", periods=n, freq="MS")
    level = 2 + np.cumsum(rng.normal(0, 0.3 * np.sqrt(Q), n))
    gap = rng.normal(0, 1, n)
    return pd.Series(level + 0.5 * gap + rng.normal(0, 0.3, n), idx), pd.Series(gap, idx)


def peer(real: pd.Series, gap: pd.Series | None) -> UnobservedComponents:
    """statsmodels' model of the same data, r* initialised exact diffuse."""
    exog = None if gap is None else gap.to_frame("gap")
    return UnobservedComponents(real, level="llevel", exog=exog, use_exact_diffuse=True)


def full(theta: np.ndarray) -> np.ndarray:
    """(var(e), phi...) -> statsmodels' (var(e), var(w) = Q·var(e), phi...)."""
    return np.r_[theta[0], Q * theta[0], theta[1:]]


@pytest.mark.parametrize("with_gap", [True, False])
def test_profile_fit_is_the_maximum_of_statsmodels_likelihood(with_gap: bool) -> None:
    real, gap = simulated()
    res = natural_rate(real, gap if with_gap else None)
    model = peer(real, gap if with_gap else None)
    theta = res.params.drop("sigma2.level").to_numpy()
    # The peer's maximum, by a derivative-free search over (log var(e), phi) from far away.
    opt = minimize(
        lambda t: -model.loglike(full(np.r_[np.exp(t[0]), t[1:]])),
        np.zeros(len(theta)),
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 4000},
    )
    opt.x[0] = np.exp(opt.x[0])
    np.testing.assert_allclose(theta, opt.x, rtol=1e-6)
    assert res.llf == pytest.approx(model.loglike(res.params.to_numpy()), rel=1e-12)
    assert res.llf >= -opt.fun - 1e-9  # nothing the search found is higher
    assert res.params["sigma2.level"] == pytest.approx(Q * res.params["sigma2.irregular"])
    assert res.converged
    # The states are statsmodels' filter and smoother at those parameters.
    again = model.smooth(res.params.to_numpy())
    np.testing.assert_allclose(res.estimates["filtered"], again.filtered_state[0], rtol=1e-10)
    np.testing.assert_allclose(res.estimates["smoothed"], again.smoothed_state[0], rtol=1e-10)
    np.testing.assert_allclose(
        res.estimates["filtered_se"], np.sqrt(again.filtered_state_cov[0, 0]), rtol=1e-10
    )
    np.testing.assert_allclose(
        res.estimates["smoothed_se"], np.sqrt(again.smoothed_state_cov[0, 0]), rtol=1e-10
    )
    # Standard errors: the inverse of minus the peer's numerical Hessian at the maximum.
    hess = approx_hess(theta, lambda t: model.loglike(full(t)))
    se = np.sqrt(np.diag(np.linalg.inv(-hess)))
    np.testing.assert_allclose(res.bse.drop("sigma2.level").to_numpy(), se, rtol=1e-3)
    assert res.bse["sigma2.level"] == pytest.approx(Q * res.bse["sigma2.irregular"])


def test_profile_and_optimizer_agree_to_the_optimizer_tolerance() -> None:
    """The estimator before issue 29 (L-BFGS-B, approximate-diffuse start) lands at the same
    maximum up to its tolerance: the real-time r* within 1e-3 pp (what the agent reads)."""
    real, gap = simulated(seed=8)
    fast, slow = natural_rate(real, gap), natural_rate(real, gap, method="optimizer")
    assert fast.current == pytest.approx(slow.current, abs=1e-3)
    assert fast.current_se == pytest.approx(slow.current_se, abs=1e-3)
    np.testing.assert_allclose(fast.params, slow.params, rtol=1e-3)
    with pytest.raises(ModelError, match="method 'newton' is not one of"):
        natural_rate(real, gap, method="newton")


def test_a_real_rate_fitted_exactly_by_the_gap_is_refused() -> None:
    gap = simulated()[1]
    with pytest.raises(ModelError, match="fitted exactly"):
        natural_rate(1.0 + 0.5 * gap, gap)


def test_hamilton_and_trend_gaps_equal_statsmodels_ols_bit_for_bit() -> None:
    """The gaps are residuals computed on numpy arrays; statsmodels OLS on the frame of the
    same lags (and on a constant and a trend) gives the very same floats. A missing month
    in the middle: the lags count observations, as ``shift`` does."""
    rng = np.random.default_rng(6)
    idx = pd.date_range("1990-01-01", periods=200, freq="MS").delete(97)
    level = pd.Series(np.exp((0.2 * np.arange(199) + rng.normal(0, 0.5, 199).cumsum()) / 100), idx)
    y = 100 * np.log(level)
    lags = [y.shift(8 + j).rename(f"lag{8 + j}") for j in range(4)]
    frame = pd.concat([y.rename("y"), *lags], axis=1).dropna()
    direct = sm.OLS(frame["y"], sm.add_constant(frame.drop(columns="y"))).fit()
    gap = hamilton_gap(level.rename("ip"), h=8, p=4)
    assert gap.name == "ip_gap" and gap.index.equals(frame.index)
    np.testing.assert_array_equal(gap.to_numpy(), direct.resid.to_numpy())
    trend = sm.OLS(y.to_numpy(), sm.add_constant(np.arange(199.0))).fit()
    np.testing.assert_array_equal(trend_gap(level).to_numpy(), trend.resid)

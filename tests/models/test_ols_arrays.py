"""The numpy OLS (``models._ols``) gives statsmodels' numbers, field by field (issue 29).

statsmodels is the reference here: ``OLS(y, x).fit()`` and ``.fit(cov_type="HAC",
cov_kwds={"maxlags": L})`` on the same arrays, the calls ``ols_arrays`` made before.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS
from statsmodels.tools.tools import pinv_extended as sm_pinv_extended

from research_core.errors import ModelError
from research_core.models._base import ols, ols_arrays, residual_diagnostics
from research_core.models._ols import ols_fit, pinv_extended

FIELDS = ("params", "bse", "tvalues", "pvalues", "resid", "fittedvalues")
# a Regression's field: statsmodels' attribute of the same numbers
PEER_NAMES = dict(
    zip(("params", "bse", "tvalues", "pvalues", "resid", "fitted"), FIELDS, strict=True)
)


def _design(rng: np.random.Generator, n: int, k: int, constant: bool) -> np.ndarray:
    x = rng.normal(size=(n, k)).cumsum(axis=0)  # persistent regressors, as in the models
    if constant:
        x = np.column_stack([np.ones(n), x])
    return np.asfortranarray(x)


def _close(ours: object, theirs: object) -> None:
    """Equal to 1e-14 relative (in practice bit for bit: see the exact check below)."""
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), rtol=1e-14, atol=0)


@pytest.mark.parametrize("n,k", [(30, 1), (60, 3), (200, 5), (481, 8)])
@pytest.mark.parametrize("constant", [True, False])
def test_every_field_matches_statsmodels(n: int, k: int, constant: bool) -> None:
    rng = np.random.default_rng(n * 10 + k + constant)
    x = _design(rng, n, k, constant)
    y = x @ rng.normal(size=x.shape[1]) + rng.normal(size=n) * (1 + rng.random(n))
    for lags in [None, *range(13)]:
        model = OLS(y, x)
        peer = (
            model.fit() if lags is None else model.fit(cov_type="HAC", cov_kwds={"maxlags": lags})
        )
        ours = ols_fit(y, x, lags)
        for name in FIELDS:
            _close(getattr(ours, name), getattr(peer, name))
        _close(ours.cov_params, peer.cov_params())
        for name in ("rsquared", "rsquared_adj", "nobs", "scale"):
            _close(getattr(ours, name), getattr(peer, name))
        assert ours.cov_type == peer.cov_type
        # the same operations in the same order: the same bits
        assert np.array_equal(ours.params, peer.params) and np.array_equal(ours.bse, peer.bse)
        assert np.array_equal(ours.pvalues, peer.pvalues)
        assert ours.rsquared_adj == peer.rsquared_adj


def test_an_implied_constant_counts_as_statsmodels_counts_it() -> None:
    """Month dummies without a constant: statsmodels finds the constant they imply (its
    R² is then centred); two plain regressors imply none (uncentred R²)."""
    rng = np.random.default_rng(7)
    n = 48
    dummies = np.zeros((n, 4))
    dummies[np.arange(n), np.arange(n) % 4] = 1.0
    for x in (np.column_stack([dummies, rng.normal(size=n)]), rng.normal(size=(n, 2)) + 3):
        y = rng.normal(size=n) + 2
        peer, ours = OLS(y, x).fit(), ols_fit(y, x)
        assert peer.k_constant in (0, 1)
        assert ours.rsquared == peer.rsquared and ours.rsquared_adj == peer.rsquared_adj


def test_a_rank_deficient_design_warns_and_keeps_statsmodels_numbers() -> None:
    rng = np.random.default_rng(9)
    a = rng.normal(size=30)
    x = np.asfortranarray(np.column_stack([np.ones(30), a, 2 * a]))
    y = a + rng.normal(size=30)
    with pytest.warns(RuntimeWarning, match="rank-deficient"):
        ours = ols_fit(y, x)
    with pytest.warns(UserWarning):  # statsmodels' SingularMatrixWarning
        peer = OLS(y, x).fit()
    for name in FIELDS:
        _close(getattr(ours, name), getattr(peer, name))
    with pytest.raises(ModelError, match="infinite or missing"):
        ols_fit(y, np.where(x == x[0, 1], np.inf, x))


def test_pinv_extended_is_statsmodels_bit_for_bit() -> None:
    rng = np.random.default_rng(3)
    x = np.asfortranarray(np.column_stack([np.ones(120), rng.normal(size=(120, 12)).cumsum(0)]))
    ours, theirs = pinv_extended(x), sm_pinv_extended(x)
    assert np.array_equal(ours[0], theirs[0]) and np.array_equal(ours[1], theirs[1])


def test_a_small_case_by_hand() -> None:
    """y = 1, 2, 2, 4 on x = 0, 1, 2, 3 with a constant, worked by hand: x̄ = 1.5, ȳ = 2.25,
    Sxy = 4.5, Sxx = 5 so slope 0.9, intercept 0.9; residuals 0.1, 0.2, -0.7, 0.4 (SSR 0.7,
    s² = 0.35 on 2 df); SST 4.75. Student's t with 2 df has the closed form
    P(|T| > t) = 1 - t / sqrt(t² + 2)."""
    index = pd.date_range("2020-01-31", periods=4, freq="ME")
    reg = ols("hand", pd.Series([1.0, 2, 2, 4], index=index), pd.DataFrame({"x": [0.0, 1, 2, 3]}))
    assert list(reg.params.index) == ["const", "x"]
    np.testing.assert_allclose(reg.params.to_numpy(), [0.9, 0.9], rtol=1e-13)
    np.testing.assert_allclose(reg.resid.to_numpy(), [0.1, 0.2, -0.7, 0.4], atol=1e-13)
    assert reg.resid.index.equals(index) and reg.nobs == 4 and reg.cov_type == "nonrobust"
    assert reg.sigma == pytest.approx(math.sqrt(0.35), rel=1e-13)
    assert reg.rsquared == pytest.approx(1 - 0.7 / 4.75, rel=1e-13)
    assert reg.rsquared_adj == pytest.approx(1 - 3 / 2 * 0.7 / 4.75, rel=1e-13)
    se_slope = math.sqrt(0.35 / 5)  # s² / Sxx
    se_const = math.sqrt(0.35 * (1 / 4 + 1.5**2 / 5))  # s² (1/n + x̄² / Sxx)
    np.testing.assert_allclose(reg.bse.to_numpy(), [se_const, se_slope], rtol=1e-13)
    t = 0.9 / se_slope
    assert reg.tvalues["x"] == pytest.approx(t, rel=1e-13)
    assert reg.pvalues["x"] == pytest.approx(1 - t / math.sqrt(t * t + 2), rel=1e-12)
    cov = reg.cov_params
    assert cov.loc["const", "x"] == pytest.approx(-0.35 * 1.5 / 5, rel=1e-13)  # -s² x̄ / Sxx


def test_hac_by_hand_one_lag() -> None:
    """Newey–West with one lag (Bartlett weights 1 and 1/2), no small-sample correction,
    normal p-values: the sandwich (X'X)⁻¹ S (X'X)⁻¹ written out on the scores."""
    rng = np.random.default_rng(11)
    n = 40
    x = np.column_stack([np.ones(n), rng.normal(size=n)])
    y = 1 + 0.5 * x[:, 1] + rng.normal(size=n)
    index = pd.RangeIndex(n)
    reg = ols_arrays("hac", y, x[:, 1:], ["x"], index, hac_lags=1)
    beta = np.linalg.solve(x.T @ x, x.T @ y)
    u = x * (y - x @ beta)[:, None]
    s = u.T @ u + 0.5 * (u[1:].T @ u[:-1] + u[:-1].T @ u[1:])
    bread = np.linalg.inv(x.T @ x)
    se = np.sqrt(np.diag(bread @ s @ bread))
    np.testing.assert_allclose(reg.bse.to_numpy(), se, rtol=1e-10)
    z = np.abs(beta / se)
    p = np.array([math.erfc(v / math.sqrt(2)) for v in z])  # 2 (1 - Φ(z))
    np.testing.assert_allclose(reg.pvalues.to_numpy(), p, rtol=1e-10)
    assert reg.cov_type == "HAC"


def test_regression_fields_match_statsmodels_on_frames() -> None:
    """``ols`` on frames: every field of the :class:`Regression` against statsmodels' fit of
    the same frame (labels from its pandas wrapper)."""
    rng = np.random.default_rng(5)
    index = pd.date_range("2010-01-31", periods=90, freq="ME")
    x = pd.DataFrame(rng.normal(size=(90, 3)).cumsum(0), index=index, columns=["a", "b", "c"])
    y = pd.Series(x.to_numpy() @ [0.3, -0.2, 0.1] + rng.normal(size=90), index=index)
    exog = pd.concat([pd.Series(1.0, index=index, name="const"), x], axis=1)
    for lags in (0, 6):
        reg = ols("frame", y, x, hac_lags=lags)
        fit = OLS(y, exog)
        peer = fit.fit(cov_type="HAC", cov_kwds={"maxlags": lags}) if lags else fit.fit()
        for ours, theirs in PEER_NAMES.items():
            got, want = getattr(reg, ours), getattr(peer, theirs)
            pd.testing.assert_series_equal(got, want, check_names=False, rtol=1e-14)
        pd.testing.assert_frame_equal(reg.cov_params, peer.cov_params(), rtol=1e-14)
        assert (reg.nobs, reg.cov_type) == (int(peer.nobs), peer.cov_type)
        assert reg.sigma == pytest.approx(math.sqrt(peer.scale), rel=1e-14)
        assert reg.rsquared == pytest.approx(peer.rsquared, rel=1e-14)
        diag = residual_diagnostics(np.asarray(peer.resid), exog.to_numpy(), lags=max(lags, 4))
        pd.testing.assert_series_equal(reg.diagnostics, diag, rtol=1e-14)

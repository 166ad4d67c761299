"""The residual tests every regression reports, against statsmodels (the peer library)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS
from statsmodels.stats.diagnostic import acorr_ljungbox, het_breuschpagan
from statsmodels.stats.stattools import durbin_watson, jarque_bera
from statsmodels.tools.tools import add_constant

from research_core.models._base import ols, residual_diagnostics


def _sample(n: int, k: int, seed: int) -> tuple[pd.Series, pd.DataFrame]:
    """A monthly regression of agent size: AR(1), heteroskedastic, fat-tailed errors."""
    rng = np.random.default_rng(seed)
    index = pd.date_range("2004-01-01", periods=n, freq="MS")
    x = pd.DataFrame(rng.normal(size=(n, k)), index=index, columns=[f"x{i}" for i in range(k)])
    shock = rng.standard_t(5, size=n) * (1 + np.abs(x.iloc[:, 0].to_numpy()))
    err = np.zeros(n)
    for t in range(1, n):
        err[t] = 0.6 * err[t - 1] + shock[t]
    y = pd.Series(0.3 + x.to_numpy() @ np.linspace(1, -1, k) + err, index=index, name="y")
    return y, x


@pytest.mark.parametrize(("n", "k", "lags"), [(262, 3, 4), (120, 1, 12), (40, 5, 4)])
def test_diagnostics_match_statsmodels(n: int, k: int, lags: int) -> None:
    y, x = _sample(n, k, seed=n + k)
    res = OLS(y, add_constant(x)).fit(cov_type="HAC", cov_kwds={"maxlags": lags})
    e, exog = np.asarray(res.resid), np.asarray(res.model.exog)
    got = residual_diagnostics(e, exog, lags=lags)
    used = max(1, min(lags, n // 4))
    _, jb_p, skew, kurt = jarque_bera(e)
    lb = acorr_ljungbox(e, lags=[used], return_df=True)["lb_pvalue"].iloc[0]
    expected = {
        "durbin_watson": durbin_watson(e),
        f"ljung_box_p({used})": lb,
        "jarque_bera_p": jb_p,
        "skew": skew,
        "kurtosis": kurt,
        "breusch_pagan_p": het_breuschpagan(e, exog)[1],
    }
    assert list(got.index) == list(expected)
    for name, value in expected.items():
        assert got[name] == pytest.approx(float(value), rel=1e-10, abs=1e-14), name
    assert 0.0 < got["ljung_box_p(4)" if used == 4 else f"ljung_box_p({used})"] < 1.0


def test_a_constant_alone_has_no_breusch_pagan() -> None:
    e = _sample(60, 1, seed=3)[0].to_numpy() - 0.3
    got = residual_diagnostics(e, np.ones((60, 1)), lags=4)
    assert "breusch_pagan_p" not in got.index
    assert got["durbin_watson"] == pytest.approx(durbin_watson(e), rel=1e-12)


def test_ols_matches_statsmodels_with_its_own_constant() -> None:
    """``ols`` adds the constant itself: coefficients, HAC errors and fit as statsmodels'
    ``add_constant`` + ``OLS(...).fit(cov_type="HAC")`` give them."""
    y, x = _sample(262, 3, seed=7)
    reg = ols("m", y, x, hac_lags=6)
    res = OLS(y, add_constant(x, has_constant="add")).fit(cov_type="HAC", cov_kwds={"maxlags": 6})
    assert list(reg.params.index) == ["const", "x0", "x1", "x2"]
    for ours, theirs in [(reg.params, res.params), (reg.bse, res.bse), (reg.pvalues, res.pvalues)]:
        np.testing.assert_allclose(ours.to_numpy(), theirs.to_numpy(), rtol=1e-12, atol=0)
    assert reg.rsquared == pytest.approx(res.rsquared, rel=1e-12)
    assert reg.nobs == 262 and reg.cov_type == "HAC"

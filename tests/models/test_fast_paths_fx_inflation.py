"""The numpy paths of the Phillips curve, BEER and the fiscal features (issue 29) against
the peer they replace: statsmodels' RollingOLS, coint and OLS, and pandas' resampling."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from statsmodels.regression.rolling import RollingOLS
from statsmodels.tsa.stattools import coint

from research_core.agents.fiscal import FiscalAgent
from research_core.models import beer, phillips_curve
from research_core.models.equilibrium_fx import engle_granger

IDX = pd.date_range("2004-01-01", periods=200, freq="MS")


def _phillips_inputs(seed: int = 5) -> dict[str, pd.Series]:
    """Real-sized monthly inputs; the gap is exactly zero for the first 70 months, so the
    rolling windows inside them are singular (RollingOLS leaves those out)."""
    rng = np.random.default_rng(seed)
    n = len(IDX)
    gap = rng.normal(0, 1, n)
    gap[:70] = 0.0
    expect = 0.4 + 0.1 * rng.standard_normal(n)
    fx = rng.normal(0, 2, n)
    pi = np.zeros(n)
    for t in range(1, n):
        pi[t] = 0.1 + 0.5 * pi[t - 1] + 0.3 * expect[t] + 0.05 * gap[t - 1] + 0.02 * fx[t - 1]
        pi[t] += 0.05 * np.sin(2 * np.pi * IDX[t].month / 12) + rng.normal(0, 0.1)
    series = {"inflation": pi, "expectations": expect, "gap": gap, "fx": fx}
    return {k: pd.Series(v, IDX) for k, v in series.items()}


def _design_by_pandas(d: dict[str, pd.Series]) -> pd.DataFrame:
    """The curve's regressors built the plain pandas way: lags by shift, month dummies by
    get_dummies, centred on the sample, January left out."""
    frame = pd.DataFrame(
        {
            "inflation": d["inflation"],
            "inflation_lag": d["inflation"].shift(1),
            "expectations": d["expectations"],
            "gap_lag": d["gap"].shift(1),
            "fx_lag": d["fx"].shift(1),
        }
    ).dropna()
    months = pd.get_dummies(frame.index.month, prefix="m", dtype=float).set_index(frame.index)
    return frame.join((months - months.mean()).drop(columns="m_1"))


def test_rolling_coefficients_equal_statsmodels_rolling_ols_singular_windows_left_out() -> None:
    d = _phillips_inputs()
    res = phillips_curve(d["inflation"], d["expectations"], d["gap"], d["fx"])
    frame = _design_by_pandas(d)
    exog = frame.drop(columns="inflation").assign(const=1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RollingOLS' note on the singular windows
        peer = RollingOLS(frame["inflation"], exog, window=60).fit(params_only=True).params
    peer = peer[list(res.rolling.columns)].dropna()
    assert res.rolling.index.equals(peer.index)
    # the lagged gap is zero in the frame's first 70 rows: windows ending there are singular
    assert res.rolling.index[0] == frame.index[70]
    np.testing.assert_allclose(res.rolling.to_numpy(), peer.to_numpy(), rtol=0, atol=1e-10)


def test_rank_deficient_windows_are_left_out_even_when_the_inverse_goes_through() -> None:
    # the gap is a constant 0.3 for 70 months: collinear with the constant, yet rounding
    # lets the cross-product's inverse through (the old batched path returned ~1e15)
    d = _phillips_inputs()
    d["gap"] = d["gap"].where(np.arange(len(IDX)) >= 70, 0.3)
    res = phillips_curve(d["inflation"], d["expectations"], d["gap"], d["fx"])
    frame = _design_by_pandas(d)
    # gap_lag is constant in the frame's first 70 rows: windows of 60 ending there are
    # rank-deficient; every later window has full rank and equals least squares
    assert res.rolling.index[0] == frame.index[70]
    y, x = frame["inflation"].to_numpy(), frame.drop(columns="inflation").assign(const=1.0)
    for end in (70, 100, len(frame) - 1):
        beta = np.linalg.lstsq(x.to_numpy()[end - 59 : end + 1], y[end - 59 : end + 1])[0]
        got = res.rolling.loc[frame.index[end]].to_numpy()
        want = pd.Series(beta, x.columns)[list(res.rolling.columns)].to_numpy()
        np.testing.assert_allclose(got, want, rtol=1e-8, atol=1e-10)
    assert np.abs(res.rolling.to_numpy()).max() < 100


def test_forecast_path_by_hand() -> None:
    d = _phillips_inputs(seed=6)
    res = phillips_curve(d["inflation"], d["expectations"], d["gap"], d["fx"])
    p = res.regression.params
    future = pd.date_range("2020-09-01", periods=12, freq="MS")  # after the sample's 2020-08
    # dummies centred over the sample and the twelve forecast months together
    months = pd.Index(list(_design_by_pandas(d).index.month) + list(future.month))
    dummies = pd.get_dummies(months, prefix="m", dtype=float)
    centred = (dummies - dummies.mean()).iloc[-12:]
    level, path = float(d["inflation"].iloc[-1]), []
    held = p["expectations"] * d["expectations"].iloc[-1] + p["gap_lag"] * d["gap"].iloc[-1]
    for i in range(12):
        season = sum(p[f"m_{k}"] * centred[f"m_{k}"].iloc[i] for k in range(2, 13))
        fx = p["fx_lag"] * d["fx"].iloc[-1] if i == 0 else 0.0  # the last move, once
        level = p["const"] + held + fx + p["inflation_lag"] * level + season
        path.append(level)
    assert res.forecast_path.index.equals(future)
    np.testing.assert_allclose(res.forecast_path.to_numpy(), path, rtol=0, atol=1e-12)


@pytest.mark.parametrize("seed", range(12))
def test_engle_granger_equals_statsmodels_coint(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, k = int(rng.integers(48, 400)), int(rng.integers(1, 4))
    x = np.cumsum(rng.normal(size=(n, k)), axis=0)
    phi = [0.0, 0.6, 0.95, 1.0][seed % 4]  # from cointegrated to none
    u = np.zeros(n)
    for t in range(1, n):
        u[t] = phi * u[t - 1] + rng.normal()
    y = x @ rng.normal(size=k) + u
    stat, pvalue, _ = coint(y, x, trend="c", autolag="aic")
    ours = engle_granger(y, x)
    assert ours[0] == pytest.approx(stat, rel=1e-10, abs=1e-10)
    assert ours[1] == pytest.approx(pvalue, rel=1e-10, abs=1e-12)


def test_engle_granger_collinear_is_minus_infinity_as_statsmodels() -> None:
    y = np.cumsum(np.random.default_rng(1).normal(size=100))
    x = (2 * y + 1)[:, None]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # statsmodels' CollinearityWarning
        stat, pvalue, _ = coint(y, x, trend="c", autolag="aic")
    assert engle_granger(y, x) == (stat, pvalue) == (-np.inf, 0.0)


def test_beer_dols_equals_statsmodels_on_the_pandas_design() -> None:
    rng = np.random.default_rng(8)
    n = 180
    fund = pd.DataFrame(
        {"tot": np.cumsum(rng.normal(0, 0.05, n)), "rates": np.cumsum(rng.normal(0, 0.5, n))},
        index=IDX[:n],
    )
    log_fx = 1 + 0.8 * fund["tot"] - 0.03 * fund["rates"] + rng.normal(0, 0.02, n)
    res = beer(np.exp(log_fx), fund)
    dx = fund.diff()
    leads = {f"d_{c}({j:+d})": dx[c].shift(-j) for c in fund for j in range(-2, 3)}
    design = pd.concat([fund, pd.DataFrame(leads)], axis=1).dropna()
    peer = sm.OLS(log_fx.loc[design.index], sm.add_constant(design)).fit(
        cov_type="HAC", cov_kwds={"maxlags": 6}
    )
    assert list(res.regression.params.index) == list(peer.params.index)
    np.testing.assert_allclose(res.regression.params, peer.params, rtol=1e-10)
    np.testing.assert_allclose(res.regression.bse, peer.bse, rtol=1e-10)
    fair = peer.params["const"] + fund @ peer.params[["tot", "rates"]]
    np.testing.assert_allclose(res.misalignment, 100 * (log_fx - fair), rtol=0, atol=1e-10)


def test_fiscal_nominal_growth_carries_each_quarter_over_its_months() -> None:
    quarters = pd.date_range("2010-01-01", periods=12, freq="QS")  # to 2012-10
    gdp = pd.Series(np.linspace(0.5, 1.6, 12), quarters)
    months = pd.date_range("2010-01-01", "2013-06-01", freq="MS")  # past the last quarter
    ipca = pd.Series(0.4, months)
    data = {
        "BR.GROSS.DEBT.GDP": pd.Series(70.0 + np.arange(len(months)) / 10, months),
        "BR.PRIMARY.12M.GDP": pd.Series(1.0, months),
        "BR.NOMINAL.12M.GDP": pd.Series(-4.0, months),
        "BR.GDP.QOQ": gdp,
        "BR.IPCA.MOM": ipca,
        "BR.CDS.5Y": pd.Series(150.0, pd.date_range("2010-01-01", "2013-06-28", freq="B")),
    }
    growth = FiscalAgent().features(data, [])["nominal_growth"]
    inflation = ((1.004**12) - 1) * 100  # IPCA 0.4% a month, compounded over 12
    yearly = (np.prod(1 + gdp.to_numpy()[:4] / 100) - 1) * 100  # 2010-Q1..Q4
    assert growth.index[0] == pd.Timestamp("2010-12-01")  # the first 12-month IPCA
    # December 2010 carries 2010-Q4's four-quarter growth (Q1..Q4 2010)
    assert growth.iloc[0] == pytest.approx(((1 + yearly / 100) * (1 + inflation / 100) - 1) * 100)
    last_year = (np.prod(1 + gdp.to_numpy()[-4:] / 100) - 1) * 100  # 2012-Q1..Q4
    expected = ((1 + last_year / 100) * (1 + inflation / 100) - 1) * 100
    # every month from 2012-10 on (past the last quarter too) carries 2012-Q4
    np.testing.assert_allclose(growth.loc["2012-10-01":], expected, rtol=1e-12)
    assert growth.index[-1] == months[-1]

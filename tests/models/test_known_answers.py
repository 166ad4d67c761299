"""Known-answer tests: each model against the library it wraps, simulated data with known
parameters, and published findings on real data."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm
from hmmlearn.hmm import GaussianHMM
from scipy.stats import multivariate_normal
from sklearn.covariance import LedoitWolf
from statsmodels.tsa.statespace.structural import UnobservedComponents
from statsmodels.tsa.stattools import coint

from research_core.models import (
    MACRO_STATES,
    beer,
    debt_dynamics,
    hamilton_gap,
    ledoit_wolf,
    macro_regimes,
    natural_rate,
    phillips_curve,
    risk_regimes,
    stabilizing_primary,
    taylor_rule,
)

FRED_MD = (
    Path(__file__).resolve().parents[2].parent
    / "shared/data/real/fred_md_vintage/fred_md_2019-10_current.csv"
)


def months(n: int, start: str = "1990-01-01") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS")


# ---- Phillips curve ---------------------------------------------------------------------
def simulated_phillips(n: int = 600, seed: int = 1) -> dict[str, pd.Series]:
    rng = np.random.default_rng(seed)
    idx = months(n)
    expect = pd.Series(0.4 + 0.1 * rng.standard_normal(n), idx)
    gap = pd.Series(np.cumsum(rng.normal(0, 0.3, n)) * 0.2, idx)
    fx = pd.Series(rng.normal(0, 2.0, n), idx)
    pi = np.zeros(n)
    for t in range(1, n):
        pi[t] = (
            0.05
            + 0.5 * pi[t - 1]
            + 0.4 * expect.iloc[t]
            + 0.1 * gap.iloc[t - 1]
            + 0.03 * fx.iloc[t - 1]
            + rng.normal(0, 0.1)
        )
    return {"inflation": pd.Series(pi, idx), "expectations": expect, "gap": gap, "fx": fx}


def test_phillips_curve_recovers_simulated_coefficients_and_matches_statsmodels() -> None:
    d = simulated_phillips()
    res = phillips_curve(d["inflation"], d["expectations"], d["gap"], d["fx"], seasonal=False)
    truth = {"inflation_lag": 0.5, "expectations": 0.4, "gap_lag": 0.1, "fx_lag": 0.03}
    for name, value in truth.items():
        assert abs(res.regression.params[name] - value) < 3 * res.regression.bse[name], name
    # The same regression called directly in statsmodels.
    x = pd.DataFrame(
        {
            "inflation_lag": d["inflation"].shift(1),
            "expectations": d["expectations"],
            "gap_lag": d["gap"].shift(1),
            "fx_lag": d["fx"].shift(1),
        }
    )
    frame = pd.concat([d["inflation"].rename("y"), x], axis=1).dropna()
    direct = sm.OLS(frame["y"], sm.add_constant(frame.drop(columns="y"))).fit(
        cov_type="HAC", cov_kwds={"maxlags": 6}
    )
    np.testing.assert_allclose(res.regression.params, direct.params, rtol=1e-10)
    np.testing.assert_allclose(res.regression.bse, direct.bse, rtol=1e-10)
    assert res.pass_through == pytest.approx(
        direct.params["fx_lag"] / (1 - direct.params["inflation_lag"])
    )
    assert not res.rolling.empty and res.rolling.columns[0] == "inflation_lag"
    # 12m forecast: compounding the monthly path.
    expected = (np.prod(1 + res.forecast_path / 100) - 1) * 100
    assert res.forecast_12m == pytest.approx(expected)
    assert res.forecast_12m_se > res.regression.sigma


# ---- Taylor rule ------------------------------------------------------------------------
def test_taylor_rule_matches_statsmodels_and_delta_method() -> None:
    rng = np.random.default_rng(3)
    n = 400
    idx = months(n)
    pi = pd.Series(3 + np.cumsum(rng.normal(0, 0.2, n)) * 0.3, idx)
    gap = pd.Series(rng.normal(0, 1, n), idx)
    i = np.zeros(n)
    i[0] = 5
    for t in range(1, n):
        target = 1.0 + 1.5 * pi.iloc[t] + 0.5 * gap.iloc[t]
        i[t] = 0.8 * i[t - 1] + 0.2 * target + rng.normal(0, 0.1)
    rate = pd.Series(i, idx)
    res = taylor_rule(rate, pi, gap)
    lr = res.long_run
    assert res.rho == pytest.approx(0.8, abs=0.03)
    assert lr.loc["inflation", "coef"] == pytest.approx(1.5, abs=3 * lr.loc["inflation", "std_err"])
    assert lr.loc["gap", "coef"] == pytest.approx(0.5, abs=3 * lr.loc["gap", "std_err"])
    frame = pd.DataFrame({"y": rate, "rate_lag": rate.shift(1), "inflation": pi, "gap": gap})
    direct = sm.OLS(frame["y"], sm.add_constant(frame.drop(columns="y")), missing="drop").fit(
        cov_type="HAC", cov_kwds={"maxlags": 6}
    )
    np.testing.assert_allclose(res.regression.params, direct.params, rtol=1e-10)
    # Long-run inflation response and its delta-method variance.
    a, rho = direct.params["inflation"], direct.params["rate_lag"]
    grad = np.zeros(4)
    grad[list(direct.params.index).index("inflation")] = 1 / (1 - rho)
    grad[list(direct.params.index).index("rate_lag")] = a / (1 - rho) ** 2
    se = np.sqrt(grad @ direct.cov_params().to_numpy() @ grad)
    assert lr.loc["inflation", "coef"] == pytest.approx(a / (1 - rho))
    assert lr.loc["inflation", "std_err"] == pytest.approx(se)
    # The path moves from today's rate toward the prescription at speed rho.
    path = res.path(1.0)
    assert path.iloc[0] == pytest.approx(rho * res.last_rate + (1 - rho) * res.rule_rate)
    assert abs(path.iloc[-1] - res.rule_rate) < abs(path.iloc[0] - res.rule_rate)
    assert res.market_gap(5.0) == pytest.approx(path.mean() - 5.0)


def _macrodata() -> tuple[pd.Series, pd.Series, pd.Series]:
    md = sm.datasets.macrodata.load_pandas().data
    idx = pd.period_range("1959Q1", periods=len(md), freq="Q").to_timestamp()
    gap = hamilton_gap(pd.Series(md["realgdp"].to_numpy(), idx), h=8, p=4)
    return pd.Series(md["tbilrate"].to_numpy(), idx), pd.Series(md["infl"].to_numpy(), idx), gap


def test_taylor_principle_before_and_after_volcker_on_us_macrodata() -> None:
    """Clarida, Galí and Gertler (2000, QJE, Table II): the long-run inflation response was
    below one before Volcker (0.83) and above one after (2.15). statsmodels' macrodata
    (T-bill rate, CPI inflation, real GDP 1959-2009) shows the same break."""
    rate, infl, gap = _macrodata()
    kw = {"periods_per_year": 4, "hac_lags": 4, "min_obs": 30}
    before = taylor_rule(rate["1960":"1979-06-30"], infl, gap, **kw).long_run.loc["inflation"]
    after = taylor_rule(rate["1979-10-01":"2007-12-31"], infl, gap, **kw).long_run.loc["inflation"]
    assert before["coef"] + 1.96 * before["std_err"] < 1.0
    assert after["coef"] > 1.0
    assert after["coef"] - before["coef"] > 0.5


def test_taylor_principle_on_fred_md_vintage() -> None:
    """The same finding on real monthly data: FRED-MD (2019-10 vintage, ../shared): fed
    funds on CPI inflation (y/y) and the Hamilton gap of industrial production."""
    if not FRED_MD.exists():
        pytest.fail(f"{FRED_MD} is missing (../shared must sit beside the repository)")
    f = pd.read_csv(FRED_MD, skiprows=[1]).dropna(subset=["sasdate"])
    f.index = pd.to_datetime(f["sasdate"], format="%m/%d/%Y")
    cpi = 100 * (f["CPIAUCSL"] / f["CPIAUCSL"].shift(12) - 1)
    gap = hamilton_gap(f["INDPRO"])
    before = taylor_rule(f["FEDFUNDS"]["1960":"1979-06-30"], cpi, gap).long_run
    after = taylor_rule(f["FEDFUNDS"]["1979-10-01":"2007-12-31"], cpi, gap).long_run
    assert before.loc["inflation", "coef"] < 1.0 < after.loc["inflation", "coef"]


# ---- r* ---------------------------------------------------------------------------------
def simulated_rstar(n: int = 300, seed: int = 5) -> tuple[pd.Series, pd.Series, pd.Series]:
    rng = np.random.default_rng(seed)
    idx = months(n)
    level = 2 + np.cumsum(rng.normal(0, 0.3 * np.sqrt(0.02) * 3, n))
    gap = rng.normal(0, 1, n)
    real = level + 0.5 * gap + rng.normal(0, 0.3, n)
    return pd.Series(real, idx), pd.Series(gap, idx), pd.Series(level, idx)


def test_natural_rate_recovers_a_simulated_trend_and_matches_statsmodels() -> None:
    real, gap, level = simulated_rstar()
    res = natural_rate(real, gap, signal_to_noise=None)
    direct = UnobservedComponents(real, level="llevel", exog=gap.to_frame("gap")).fit(disp=False)
    np.testing.assert_allclose(res.params, direct.params, rtol=1e-6)
    np.testing.assert_allclose(res.estimates["smoothed"], direct.smoothed_state[0], rtol=1e-6)
    assert res.params["beta.gap"] == pytest.approx(0.5, abs=0.05)
    fixed = natural_rate(real, gap)
    rmse = float(np.sqrt(((fixed.estimates["smoothed"] - level) ** 2).mean()))
    assert rmse < 0.3 and np.corrcoef(fixed.estimates["smoothed"], level)[0, 1] > 0.95
    # Fixed signal-to-noise: the states are statsmodels' smoother at those parameters (r*
    # initialised exact diffuse, as the default profile fit does; issue 29).
    model = UnobservedComponents(
        real, level="llevel", exog=gap.to_frame("gap"), use_exact_diffuse=True
    )
    again = model.smooth(fixed.params.to_numpy())
    np.testing.assert_allclose(fixed.estimates["filtered"], again.filtered_state[0])
    assert fixed.params["sigma2.level"] == pytest.approx(0.02 * fixed.params["sigma2.irregular"])
    # Filtered uncertainty exceeds smoothed (the smoother sees the future of the sample).
    est = fixed.estimates.iloc[10:-1]
    assert (est["filtered_se"] >= est["smoothed_se"] - 1e-12).all()


# ---- BEER -------------------------------------------------------------------------------
def test_beer_recovers_cointegrating_coefficients() -> None:
    rng = np.random.default_rng(11)
    n = 400
    idx = months(n)
    x1 = np.cumsum(rng.normal(0, 0.05, n))
    x2 = np.cumsum(rng.normal(0, 0.5, n))
    u = np.zeros(n)
    for t in range(1, n):
        u[t] = 0.8 * u[t - 1] + rng.normal(0, 0.02)
    logfx = 1.0 + 0.8 * x1 - 0.03 * x2 + u
    fund = pd.DataFrame({"tot": x1, "rates": x2}, index=idx)
    res = beer(pd.Series(np.exp(logfx), idx), fund)
    assert res.long_run.loc["tot", "coef"] == pytest.approx(0.8, abs=0.05)
    assert res.long_run.loc["rates", "coef"] == pytest.approx(-0.03, abs=0.005)
    assert res.coint_pvalue < 0.01
    stat, p, _ = coint(pd.Series(logfx, idx), fund, trend="c", autolag="aic")
    assert res.coint_stat == pytest.approx(stat) and res.coint_pvalue == pytest.approx(p)
    assert res.half_life == pytest.approx(np.log(0.5) / np.log(0.8), rel=0.3)
    assert res.misalignment.corr(pd.Series(100 * u, idx)) > 0.95


def test_beer_without_cointegration_says_so() -> None:
    rng = np.random.default_rng(12)
    idx = months(300)
    fund = pd.DataFrame({"x": np.cumsum(rng.normal(size=300))}, index=idx)
    fx = pd.Series(np.exp(np.cumsum(rng.normal(0, 0.03, 300))), idx)
    assert beer(fx, fund).coint_pvalue > 0.05


# ---- debt dynamics ----------------------------------------------------------------------
def test_debt_dynamics_by_hand() -> None:
    res = debt_dynamics(80.0, 10.0, 5.0, 1.0, horizon=2, vol=(0.0, 0.0, 0.0), n_paths=10)
    assert res.stabilizing_primary == pytest.approx(80 * 5 / 105)
    assert stabilizing_primary(80.0, 10.0, 5.0) == pytest.approx(3.8095238)
    year1 = 80 * 1.10 / 1.05 - 1
    assert res.baseline.iloc[1] == pytest.approx(year1)
    assert res.baseline.iloc[2] == pytest.approx(year1 * 1.10 / 1.05 - 1)
    np.testing.assert_allclose(res.fan["p50"], res.baseline)  # no shocks: fan collapses
    assert res.primary_gap == pytest.approx(80 * 5 / 105 - 1)
    at_stable = debt_dynamics(80.0, 10.0, 5.0, res.stabilizing_primary, vol=(0, 0, 0))
    np.testing.assert_allclose(at_stable.baseline, 80.0)


def test_debt_fan_is_reproducible_and_ordered() -> None:
    a = debt_dynamics(75.0, 11.0, 8.0, 0.5, seed=3)
    b = debt_dynamics(75.0, 11.0, 8.0, 0.5, seed=3)
    pd.testing.assert_frame_equal(a.fan, b.fan)
    assert (a.fan["p5"] <= a.fan["p50"]).all() and (a.fan["p50"] <= a.fan["p95"]).all()
    assert 0.0 <= a.prob_rising <= 1.0


# ---- regimes ----------------------------------------------------------------------------
def simulated_macro(n: int = 480, seed: int = 2) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    signs = np.array([[1, -1], [1, 1], [-1, 1], [-1, -1]], dtype=float)  # MACRO_STATES order
    states = np.zeros(n, dtype=int)
    for t in range(1, n):
        states[t] = states[t - 1] if rng.random() < 0.96 else rng.integers(4)
    x = signs[states] * 1.5 + rng.normal(0, 0.45, (n, 2))
    return pd.DataFrame(x, index=months(n), columns=["growth", "inflation"]), states


def test_macro_hmm_recovers_and_labels_simulated_regimes() -> None:
    x, states = simulated_macro()
    res = macro_regimes(x["growth"], x["inflation"])
    assert res.method == "hmm" and list(res.probabilities.columns) == list(MACRO_STATES)
    found = res.probabilities.to_numpy().argmax(axis=1)
    assert (found == states).mean() > 0.95
    assert np.allclose(res.transmat.sum(axis=1), 1.0)
    assert (np.diag(res.transmat) > 0.85).all()
    # hmmlearn called directly on the same z-scored data and seed: same probabilities.
    z = ((x - x.mean()) / x.std()).to_numpy()
    hmm = GaussianHMM(4, covariance_type="full", n_iter=200, random_state=0, tol=1e-4).fit(z)
    direct = hmm.predict_proba(z)
    assert np.allclose(np.sort(direct, axis=1), np.sort(res.probabilities.to_numpy(), axis=1))


def test_macro_regimes_rule_fallback_on_short_history() -> None:
    x, _ = simulated_macro(n=30)
    res = macro_regimes(x["growth"], x["inflation"])
    assert res.method == "rule"
    z = (x - x.mean()) / x.std()
    last = z.iloc[-1]
    expected = {(True, False): "Goldilocks", (True, True): "Reflation"}
    expected |= {(False, True): "Stagflation", (False, False): "Deflation"}
    assert res.current == expected[(bool(last["growth"] >= 0), bool(last["inflation"] >= 0))]


def _two_state_returns(n: int = 600) -> tuple[np.ndarray, pd.DataFrame]:
    """Weekly returns of two assets from a known two-state chain: calm (1.5 % a week) and
    risk-off (5 %, entered with p = 0.02, left with p = 0.05); the true states and returns."""
    rng = np.random.default_rng(8)
    off = np.zeros(n, dtype=bool)
    for t in range(1, n):
        off[t] = (rng.random() < 0.95) if off[t - 1] else (rng.random() < 0.02)
    vol = np.where(off, 0.05, 0.015)
    rets = pd.DataFrame(
        rng.standard_normal((n, 2)) * vol[:, None], pd.date_range("2000", periods=n, freq="W-FRI")
    )
    return off, rets


def test_risk_hmm_finds_the_volatile_state() -> None:
    off, rets = _two_state_returns()
    rets.columns = ["eq", "fx"]
    res = risk_regimes(rets)
    assert res.method == "hmm"
    found = res.probabilities["risk_off"].to_numpy() > 0.5
    assert (found == off).mean() > 0.9
    assert res.means.index.tolist() == ["risk_on", "risk_off"]
    short = risk_regimes(rets.iloc[:50])
    assert short.method == "rule" and set(short.probabilities.columns) == {"risk_on", "risk_off"}


def _forward_filter(
    x: np.ndarray, start: np.ndarray, trans: np.ndarray, means: np.ndarray, covs: np.ndarray
) -> np.ndarray:
    """P(state at the last row | every row), by the textbook forward recursion
    (Hamilton 1989) with scipy's Gaussian densities: independent of hmmlearn."""
    alpha = start.copy()
    for t, row in enumerate(x):
        if t:
            alpha = alpha @ trans
        dens = [multivariate_normal(m, c).pdf(row) for m, c in zip(means, covs, strict=True)]
        alpha = alpha * np.array(dens)
        alpha = alpha / alpha.sum()
    return alpha


def test_risk_hmm_filters_later_data_with_an_earlier_fit() -> None:
    # Fit on the first 400 weeks; the next 200 are filtered with those parameters: the
    # returns scaled by the fit sample's standard deviation, the last row's probabilities
    # the forward filter's (issue 29: refit on a schedule, filter in between).
    off, rets = _two_state_returns()
    first = risk_regimes(rets.iloc[:400])
    assert first.fit is not None and first.refitted and first.fit.through == rets.index[399]
    # The fit's own sample through the fit: the fitted result, to the last bit.
    same = risk_regimes(rets.iloc[:400], fit=first.fit)
    assert same.probabilities.equals(first.probabilities) and same.loglik == first.loglik
    later = risk_regimes(rets, fit=first.fit)
    assert not later.refitted and later.transmat.equals(first.transmat)
    hmm, order = first.fit.hmm, first.fit.order
    x = (rets / rets.iloc[:400].std()).to_numpy()
    filtered = _forward_filter(x, hmm.startprob_, hmm.transmat_, hmm.means_, hmm.covars_)
    np.testing.assert_allclose(later.probabilities.iloc[-1], filtered[order], atol=1e-10)
    found = later.probabilities["risk_off"].to_numpy() > 0.5
    assert (found[400:] == off[400:]).mean() > 0.9  # the fit still finds the volatile weeks


# ---- covariance and gap -----------------------------------------------------------------
def test_ledoit_wolf_matches_scikit_learn() -> None:
    rng = np.random.default_rng(4)
    rets = pd.DataFrame(rng.normal(0, 0.01, (60, 30)))
    rets.iloc[3, 2] = np.nan  # incomplete rows are dropped, as documented
    res = ledoit_wolf(rets)
    fit = LedoitWolf().fit(rets.dropna().to_numpy())
    np.testing.assert_allclose(res.covariance.to_numpy(), fit.covariance_)
    assert res.shrinkage == pytest.approx(fit.shrinkage_) and res.nobs == 59
    np.testing.assert_allclose(np.diag(res.correlation), 1.0)


def test_hamilton_gap_is_the_regression_residual() -> None:
    rng = np.random.default_rng(6)
    n = 300
    cycle = np.zeros(n)
    for t in range(1, n):
        cycle[t] = 0.95 * cycle[t - 1] + rng.normal(0, 0.5)
    level = pd.Series(np.exp((0.2 * np.arange(n) + cycle) / 100), months(n))
    gap = hamilton_gap(level)
    y = 100 * np.log(level)
    frame = pd.concat([y.rename("y")] + [y.shift(24 + j).rename(j) for j in range(12)], axis=1)
    frame = frame.dropna()
    direct = sm.OLS(frame["y"], sm.add_constant(frame.drop(columns="y"))).fit()
    np.testing.assert_allclose(gap.to_numpy(), direct.resid.to_numpy())
    assert gap.corr(pd.Series(cycle, level.index)) > 0.6

"""Fits reused across as-of dates are keyed by the content of their inputs (issue 29).

Each test fits once, then revises one value in a month well inside the sample (a lake
revision of a complete month: same dates, same length) and fits again: the second fit
must be the revised data's, checked against statsmodels on the revised data (the peer),
so a key that ignored the values would hand back the first fit and fail. A caller that
writes into what it got must not change what the next caller gets.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from statsmodels.regression.linear_model import OLS
from statsmodels.tsa.statespace.structural import UnobservedComponents

from research_core.models import hamilton_gap, natural_rate, phillips_curve, taylor_rule

MONTHS = pd.date_range("2001-01-01", periods=150, freq="MS")


def rule_inputs(seed: int) -> tuple[pd.Series, pd.Series, pd.Series]:
    """A smoothed rule with noise: rate, inflation, gap (monthly, % p.a. and %)."""
    rng = np.random.default_rng(seed)
    inflation = 4 + np.cumsum(rng.normal(0, 0.2, len(MONTHS)))
    gap = rng.normal(0, 1, len(MONTHS))
    rate = np.empty(len(MONTHS))
    rate[0] = 8.0
    for t in range(1, len(MONTHS)):
        target = 2 + 1.5 * inflation[t] + 0.5 * gap[t]
        rate[t] = 0.8 * rate[t - 1] + 0.2 * target + rng.normal(0, 0.25)
    return (pd.Series(v, MONTHS) for v in (rate, inflation, gap))  # type: ignore[return-value]


def statsmodels_rule_params(rate: pd.Series, inflation: pd.Series, gap: pd.Series) -> np.ndarray:
    """The peer: OLS of the rate on a constant, its lag, inflation and the gap."""
    x = np.column_stack([np.ones(len(rate) - 1), rate[:-1], inflation[1:], gap[1:]])
    return OLS(rate.to_numpy()[1:], x).fit().params


def test_a_revised_month_gives_a_new_regression() -> None:
    rate, inflation, gap = rule_inputs(1)
    first = taylor_rule(rate, inflation, gap).regression.fit.params
    revised = inflation.copy()
    revised.iloc[70] += 0.75  # a complete month inside the sample, revised
    again = taylor_rule(rate, revised, gap).regression.fit.params
    np.testing.assert_allclose(again, statsmodels_rule_params(rate, revised, gap), rtol=1e-12)
    assert not np.allclose(again, first)
    # and the unrevised inputs (new objects, the same numbers) still give the first fit
    same = taylor_rule(rate.copy(), inflation.copy(), gap.copy()).regression.fit.params
    np.testing.assert_allclose(same, statsmodels_rule_params(rate, inflation, gap), rtol=1e-12)


def test_writing_into_a_fit_changes_no_later_fit() -> None:
    rate, inflation, gap = rule_inputs(2)
    expected = statsmodels_rule_params(rate, inflation, gap)
    rule = taylor_rule(rate, inflation, gap)
    rule.regression.fit.params[:] = 0.0
    rule.regression.fit.resid[:] = 0.0
    again = taylor_rule(rate, inflation, gap).regression
    np.testing.assert_allclose(again.fit.params, expected, rtol=1e-12)
    assert again.fit.resid.any()


def test_a_revised_activity_month_gives_a_new_hamilton_gap() -> None:
    rng = np.random.default_rng(3)
    level = pd.Series(100 * np.exp(np.cumsum(rng.normal(0.002, 0.01, 150))), MONTHS)
    hamilton_gap(level)
    revised = level.copy()
    revised.iloc[60] *= 1.02
    gap = hamilton_gap(revised)
    # the peer: y[t] on a constant and y[t-24], ..., y[t-35] (Hamilton 2018), by OLS
    y = 100 * np.log(revised.to_numpy())
    x = np.column_stack([np.ones(150 - 35)] + [y[35 - 24 - j : 150 - 24 - j] for j in range(12)])
    np.testing.assert_allclose(gap.to_numpy(), OLS(y[35:], x).fit().resid, rtol=1e-9, atol=1e-12)
    gap.iloc[:] = 0.0  # the caller's series: the next call is unaffected
    assert hamilton_gap(revised).abs().sum() > 0


def test_a_revised_real_rate_gives_a_new_rstar() -> None:
    rate, inflation, gap = rule_inputs(4)
    real = rate - inflation
    first = natural_rate(real, gap)
    first.estimates.iloc[:, :] = 0.0  # writing into a result changes no later one
    revised = real.copy()
    revised.iloc[90] += 1.0
    res = natural_rate(revised, gap)
    # the peer: statsmodels' exact diffuse likelihood and smoother at the fitted parameters
    model = UnobservedComponents(
        revised, level="llevel", exog=gap.to_frame("gap"), use_exact_diffuse=True
    )
    assert res.llf == pytest.approx(model.loglike(res.params.to_numpy()), rel=1e-12)
    smoothed = model.smooth(res.params.to_numpy()).smoothed_state[0]
    np.testing.assert_allclose(res.estimates["smoothed"], smoothed, rtol=1e-10)
    assert natural_rate(real, gap).estimates["filtered"].abs().sum() > 0


def test_a_revised_print_gives_new_rolling_coefficients() -> None:
    rng = np.random.default_rng(5)
    inflation = pd.Series(0.4 + rng.normal(0, 0.2, 150), MONTHS)
    expectations = pd.Series(0.35 + rng.normal(0, 0.05, 150), MONTHS)
    gap, fx = (pd.Series(rng.normal(0, 1, 150), MONTHS) for _ in range(2))
    phillips_curve(inflation, expectations, gap, fx, seasonal=False)
    revised = inflation.copy()
    revised.iloc[100] += 0.5
    rolling = phillips_curve(revised, expectations, gap, fx, seasonal=False).rolling
    # the peer: each 60-month window's OLS (statsmodels) on the revised data; the window
    # ending at month t regresses inflation[t-59..t] on its lag, expectations, gap and FX lags
    y = revised.to_numpy()
    x = np.column_stack(
        [np.ones(149), y[:-1], expectations.to_numpy()[1:], gap.to_numpy()[:-1], fx.to_numpy()[:-1]]
    )
    for end in (59, 100, 148):  # windows before, across and after the revised month
        peer = OLS(y[1:][end - 59 : end + 1], x[end - 59 : end + 1]).fit().params[1:]
        np.testing.assert_allclose(rolling.loc[MONTHS[end + 1]].to_numpy(), peer, rtol=1e-8)

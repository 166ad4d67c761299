"""Simulation core and metrics: known answers, library cross-checks, bad input."""

from __future__ import annotations

import empyrical as ep
import numpy as np
import pandas as pd
import pytest

from research_core.backtest import CostModel, simulate
from research_core.backtest import metrics as m
from research_core.errors import BacktestError


def test_core_matches_hand_arithmetic():
    prices = np.array([[100.0, 50.0], [110.0, 50.0], [110.0, 40.0], [121.0, 40.0]])
    sim = simulate(prices, np.array([[0.5, 0.5], [0.0, 1.0]]), np.array([0, 2]), fee=0.01)
    # row 0: buy 0.5 of each, cost 1% of 1.0 → cash -0.01
    assert sim.equity[0, 0] == pytest.approx(0.99)
    # row 1: asset A +10% → 0.99 + 0.05
    assert sim.equity[1, 0] == pytest.approx(1.04)
    # row 2: B -20% → value 1.04 - 0.1 = 0.94; sell A (0.55), buy B to 0.94 (from 0.4): 1.09 traded
    assert sim.value_before[1, 0] == pytest.approx(0.94)
    assert sim.costs[1, 0].sum() == pytest.approx(0.01 * (0.55 + 0.54))
    v2 = 0.94 - 0.01 * 1.09
    assert sim.equity[2, 0] == pytest.approx(v2)
    assert sim.equity[3, 0] == pytest.approx(v2)  # all in B, which did not move
    drift = sim.weights(prices, np.array([0, 2]))
    assert drift[1, 0] == pytest.approx([0.55 / 1.04, 0.5 / 1.04])


def test_impact_grows_with_order_size_and_thin_markets():
    prices = np.full((3, 1), 100.0)
    small = simulate(prices, np.array([[0.1]]), np.array([1]), fee=0.0, impact=0.01)
    large = simulate(prices, np.array([[1.0]]), np.array([1]), fee=0.0, impact=0.01)
    per_unit_small = small.costs.sum() / 0.1
    per_unit_large = large.costs.sum() / 1.0
    assert per_unit_large == pytest.approx(per_unit_small * np.sqrt(10))
    cm = CostModel(nav=1e9)
    vol, fx = np.array([0.01, 0.01]), 5.0
    coef = cm.impact_coefficients(["DI1.1Y", "DI1.10Y"], vol, np.array([10.0, 10.0]), fx)
    assert coef[1] > coef[0]  # 30k contracts a day against 400k: a thinner market costs more
    assert CostModel(impact=0).impact_coefficients(["DI1.1Y"], vol[:1], vol[:1], fx)[0] == 0
    assert cm.fees(["DI1.1Y"])[0] == pytest.approx(0.3 / 2 / 1e4)
    assert CostModel(fee_bps=5).fees(["DI1.1Y", "ES.FUT"]).tolist() == [5e-4, 5e-4]


@pytest.mark.parametrize(
    ("weights", "rows", "message"),
    [
        (np.array([[np.nan, 0.5]]), np.array([0]), "non-finite target weight"),
        (np.array([[0.5, 0.5], [0.5, 0.5]]), np.array([1, 1]), "strictly increasing"),
        (np.array([[0.5, 0.5, 0.0]]), np.array([0]), "shapes do not match"),
        (np.array([[0.5, 0.5]]), np.array([0, 1]), "2 rebalance rows for 1"),
    ],
)
def test_core_rejects_bad_input(weights, rows, message):
    with pytest.raises(BacktestError, match=message):
        simulate(np.full((3, 2), 10.0), weights, rows)


def test_core_rejects_bad_prices():
    with pytest.raises(BacktestError, match="finite and positive"):
        simulate(np.array([[1.0], [np.nan]]), np.array([[1.0]]), np.array([0]))


@pytest.fixture(scope="module")
def returns() -> pd.Series:
    rng = np.random.default_rng(11)
    r = rng.standard_t(4, 2500) * 0.008 + 0.0004
    return pd.Series(r, index=pd.bdate_range("2012-01-02", periods=2500))


@pytest.mark.parametrize("rf", [0.0, 0.00015])
def test_metrics_match_empyrical(returns, rf):
    assert m.sharpe_ratio(returns, rf) == pytest.approx(ep.sharpe_ratio(returns, rf), rel=1e-12)
    assert m.sortino_ratio(returns, rf) == pytest.approx(ep.sortino_ratio(returns, rf), rel=1e-12)
    assert m.annual_return(returns) == pytest.approx(ep.annual_return(returns), rel=1e-12)
    assert m.annual_volatility(returns) == pytest.approx(ep.annual_volatility(returns), rel=1e-12)
    assert m.max_drawdown(returns) == pytest.approx(ep.max_drawdown(returns), rel=1e-12)
    assert m.calmar_ratio(returns) == pytest.approx(ep.calmar_ratio(returns), rel=1e-12)
    assert m.tail_ratio(returns) == pytest.approx(ep.tail_ratio(returns), rel=1e-12)


def test_metrics_with_a_risk_free_series_match_empyrical(returns):
    rf = pd.Series(np.linspace(0.0001, 0.0005, len(returns)), index=returns.index)
    assert m.sharpe_ratio(returns, rf) == pytest.approx(ep.sharpe_ratio(returns, rf), rel=1e-12)
    assert m.sortino_ratio(returns, rf) == pytest.approx(ep.sortino_ratio(returns, rf), rel=1e-12)
    # risk-free lowers the Sharpe by mean(rf)/sd
    shift = rf.mean() / (returns - rf).std() * np.sqrt(252)
    assert m.sharpe_ratio(returns) - m.sharpe_ratio(returns, rf) == pytest.approx(shift, rel=0.05)


def test_metrics_known_answers():
    idx = pd.bdate_range("2020-01-01", periods=8)
    r = pd.Series([0.1, -0.5, 0.0, 0.2, 0.25, 0.6, -0.1, 0.0], index=idx)
    assert m.max_drawdown(r) == pytest.approx(-0.5)  # 1.1 → 0.55
    assert m.max_drawdown_duration(r) == 4  # below 1.1 from day 2 to day 5 (0.825 on day 5)
    assert m.win_rate(r) == pytest.approx(4 / 6)  # zeros are not counted
    assert m.profit_factor(r) == pytest.approx(1.15 / 0.6)
    rebal = pd.DatetimeIndex([idx[0], idx[3], idx[6]])
    # periods: days 0-2 (1.1*0.5 → -45%), days 3-5 (+), days 6-7 (-10%)
    assert m.hit_ratio(r, rebal) == pytest.approx(1 / 3)
    perf = m.performance(r, turnover=3.0, rebalances=rebal)
    assert perf["turnover"] == 3.0 and perf["periods"] == 8
    with pytest.raises(BacktestError, match="at least 2 returns"):
        m.sharpe_ratio(pd.Series([0.01]))

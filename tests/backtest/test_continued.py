"""Issue 29: the daily book's drift and drawdown ladder continue from the last date instead
of starting over; the continued run must equal the run from scratch, bit for bit."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.backtest.core import Continued, simulate
from research_core.errors import BacktestError
from research_core.risk import breakers
from research_core.risk.breakers import DrawdownLadder


def _market(seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    prices = np.cumprod(1.0 + rng.normal(0.0, 0.02, size=(60, 3)), axis=0)
    weights = rng.normal(0.0, 0.6, size=(7, 3))
    rows = np.array([2, 5, 6, 17, 30, 31, 44])
    impact = rng.uniform(0.0, 1e-3, size=(7, 3))
    return prices, weights, rows, impact


def test_continued_equals_simulate_on_every_prefix() -> None:
    prices, weights, rows, impact = _market()
    fee = np.array([1e-4, 2e-4, 5e-5])
    run = Continued(prices, fee)
    for row in range(rows[0], len(prices)):
        done = int(np.searchsorted(rows, row, side="right"))
        for j in range(len(run.rows), done):
            run.rebalance(int(rows[j]), weights[j], impact[j])
        full = simulate(prices[: row + 1], weights[:done], rows[:done], fee, impact[:done])
        assert np.array_equal(run.equity(row), full.equity[:, 0])  # 0.0, not a tolerance
        assert np.array_equal(run.units[0], full.units[-1, 0])


def test_continued_by_hand() -> None:
    # one instrument, no cost: 1.0 of cash buys 0.5 at price 2 -> 0.25 units, cash 0.5;
    # the price goes to 4 -> equity 0.5 + 0.25 * 4 = 1.5 (hand-computed).
    run = Continued(np.array([[1.0], [2.0], [4.0]]))
    run.rebalance(1, np.array([0.5]), 0.0)
    assert run.equity(2).tolist() == [1.0, 1.0, 1.5]
    with pytest.raises(BacktestError, match="rebalance row 1"):
        run.rebalance(1, np.array([0.5]), 0.0)


def test_ladder_continues_like_a_walk_from_scratch() -> None:
    # a path through every level: a 20 % fall (flatten), a review, a recovery and a ramp
    rng = np.random.default_rng(7)
    steps = np.concatenate([rng.normal(-0.012, 0.004, 25), rng.normal(0.004, 0.006, 80)])
    days = pd.bdate_range("2016-01-04", periods=len(steps) + 1)
    nav = pd.Series(np.cumprod(np.concatenate([[1.0], 1.0 + steps])), index=days)
    ladder, reviews = DrawdownLadder(), [days[40]]
    levels = set()
    for n in range(1, len(nav) + 1):
        continued = ladder.state(nav.iloc[:n], reviews)
        breakers._LAST[0] = None  # the walk from scratch
        assert continued == ladder.state(nav.iloc[:n], reviews)
        levels.add(continued.level)
    assert levels == {0, 1, 2, 3, 4}


def test_ladder_starts_over_on_a_revised_history() -> None:
    days = pd.bdate_range("2016-01-04", periods=4)
    ladder = DrawdownLadder()
    assert ladder.state(pd.Series([1.0, 0.97, 0.94, 0.93], index=days)).level == 1  # 7 %
    revised = pd.Series([1.0, 0.97, 0.80, 0.93], index=days)  # a revised past: 20 % fall
    assert ladder.state(revised).level == 4  # flat: the new history was walked


def test_continued_refuses_what_simulate_refuses_naming_where() -> None:
    prices = np.array([[1.0, 2.0], [1.1, 2.0], [1.2, 2.2]])
    run = Continued(prices)
    with pytest.raises(BacktestError, match="rebalance 0, instrument 1"):
        run.rebalance(0, np.array([0.5, np.nan]), 0.0)
    with pytest.raises(BacktestError, match="finite and positive"):
        Continued(np.array([[1.0, -2.0]]))

"""Point-in-time backtesting: engine, simulation core, metrics, vintage grids, validation."""

from research_core.backtest.core import Simulation, simulate
from research_core.backtest.engine import (
    BacktestResult,
    CostModel,
    rebalance_dates,
    run_backtest,
)
from research_core.backtest.vintage import VINTAGES, VintageView, view_at

__all__ = [
    "VINTAGES",
    "BacktestResult",
    "CostModel",
    "Simulation",
    "VintageView",
    "rebalance_dates",
    "run_backtest",
    "simulate",
    "view_at",
]

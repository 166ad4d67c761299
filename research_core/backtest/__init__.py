"""Point-in-time backtesting: engine, simulation core, metrics, vintage grids, validation."""

from research_core.backtest.core import Simulation, simulate
from research_core.backtest.engine import (
    BacktestResult,
    CostModel,
    Sizing,
    StrategySizing,
    rebalance_dates,
    run_backtest,
    run_engine,
)
from research_core.backtest.market import MarketData
from research_core.backtest.vintage import VINTAGES, VintageView, view_at

__all__ = [
    "VINTAGES",
    "BacktestResult",
    "CostModel",
    "MarketData",
    "Simulation",
    "Sizing",
    "StrategySizing",
    "VintageView",
    "rebalance_dates",
    "run_backtest",
    "run_engine",
    "simulate",
    "view_at",
]

"""Public names of ``research_core.backtest``: the one list, read by type checkers and by
``lazy_loader`` (each name imports its module on first use)."""

from .core import Simulation as Simulation, simulate as simulate
from .engine import (
    BacktestResult as BacktestResult,
    CostModel as CostModel,
    EngineOptions as EngineOptions,
    Sizing as Sizing,
    StrategySizing as StrategySizing,
    rebalance_dates as rebalance_dates,
    run_backtest as run_backtest,
    run_engine as run_engine,
)
from .market import MarketData as MarketData
from .vintage import VINTAGES as VINTAGES, VintageView as VintageView, view_at as view_at

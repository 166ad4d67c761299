"""The risk engine: VaR/ES with components, VaR backtests, stresses, limits and breakers."""

from research_core.risk.backtesting import VaRBacktest, backtest_var, christoffersen, kupiec
from research_core.risk.breakers import DrawdownLadder
from research_core.risk.correlation import CorrelationMonitor, correlation_monitor
from research_core.risk.limits import RiskLimits, limit_table
from research_core.risk.measures import (
    VaRResult,
    cornish_fisher,
    historical,
    monte_carlo,
    parametric,
)
from research_core.risk.report import RiskReport, book_returns, risk_report
from research_core.risk.stress import EPISODES, SHOCKS, Episode, Shock, StressResult, stress_test

__all__ = [
    "EPISODES",
    "SHOCKS",
    "CorrelationMonitor",
    "DrawdownLadder",
    "Episode",
    "RiskLimits",
    "RiskReport",
    "Shock",
    "StressResult",
    "VaRBacktest",
    "VaRResult",
    "backtest_var",
    "book_returns",
    "christoffersen",
    "cornish_fisher",
    "correlation_monitor",
    "historical",
    "kupiec",
    "limit_table",
    "monte_carlo",
    "parametric",
    "risk_report",
    "stress_test",
]

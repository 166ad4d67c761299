"""The risk engine: VaR/ES with components, VaR backtests, stresses, limits and breakers.

Public names load on first use: a caller of one function does not import the others'
dependencies (statsmodels, scikit-learn, hmmlearn).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from research_core._lazy import lazy_exports

if TYPE_CHECKING:
    from research_core.risk.backtesting import VaRBacktest, backtest_var, christoffersen, kupiec
    from research_core.risk.breakers import DrawdownLadder
    from research_core.risk.correlation import CorrelationMonitor, correlation_monitor
    from research_core.risk.limits import RiskLimits, current_limits, limit_table, read_limits
    from research_core.risk.measures import (
        StudentTFit,
        VaRResult,
        cornish_fisher,
        fit_student_t,
        historical,
        monte_carlo,
        parametric,
    )
    from research_core.risk.report import RiskReport, book_returns, risk_report
    from research_core.risk.stress import (
        EPISODES,
        SHOCKS,
        Episode,
        Shock,
        StressResult,
        stress_test,
    )

_WHERE = {
    "VaRBacktest": "backtesting",
    "backtest_var": "backtesting",
    "christoffersen": "backtesting",
    "kupiec": "backtesting",
    "DrawdownLadder": "breakers",
    "CorrelationMonitor": "correlation",
    "correlation_monitor": "correlation",
    "RiskLimits": "limits",
    "limit_table": "limits",
    "current_limits": "limits",
    "read_limits": "limits",
    "StudentTFit": "measures",
    "VaRResult": "measures",
    "cornish_fisher": "measures",
    "fit_student_t": "measures",
    "historical": "measures",
    "monte_carlo": "measures",
    "parametric": "measures",
    "RiskReport": "report",
    "book_returns": "report",
    "risk_report": "report",
    "EPISODES": "stress",
    "SHOCKS": "stress",
    "Episode": "stress",
    "Shock": "stress",
    "StressResult": "stress",
    "stress_test": "stress",
}
__getattr__ = lazy_exports(__name__, _WHERE)

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
    "StudentTFit",
    "VaRBacktest",
    "VaRResult",
    "backtest_var",
    "book_returns",
    "christoffersen",
    "cornish_fisher",
    "correlation_monitor",
    "current_limits",
    "fit_student_t",
    "historical",
    "kupiec",
    "limit_table",
    "monte_carlo",
    "parametric",
    "read_limits",
    "risk_report",
    "stress_test",
]

"""Public names of ``research_core.risk``: the one list, read by type checkers and by
``lazy_loader`` (each name imports its module on first use)."""

from .backtesting import (
    VaRBacktest as VaRBacktest,
    backtest_var as backtest_var,
    christoffersen as christoffersen,
    kupiec as kupiec,
)
from .breakers import DrawdownLadder as DrawdownLadder
from .correlation import (
    CorrelationMonitor as CorrelationMonitor,
    correlation_monitor as correlation_monitor,
)
from .curve_shocks import (
    CURVE_SHOCKS as CURVE_SHOCKS,
    CurveShock as CurveShock,
    book_curve_stress as book_curve_stress,
    curve_stress as curve_stress,
)
from .key_rates import (
    KEY_TENORS as KEY_TENORS,
    book_key_rates as book_key_rates,
    key_rate_dv01 as key_rate_dv01,
)
from .limits import (
    RiskLimits as RiskLimits,
    current_limits as current_limits,
    limit_table as limit_table,
    read_limits as read_limits,
)
from .measures import (
    StudentTFit as StudentTFit,
    VaRResult as VaRResult,
    cornish_fisher as cornish_fisher,
    fit_student_t as fit_student_t,
    historical as historical,
    monte_carlo as monte_carlo,
    parametric as parametric,
    risk_contributions as risk_contributions,
)
from .report import (
    RiskOptions as RiskOptions,
    RiskReport as RiskReport,
    book_returns as book_returns,
    risk_report as risk_report,
)
from .stress import (
    EPISODES as EPISODES,
    SHOCKS as SHOCKS,
    Episode as Episode,
    Shock as Shock,
    StressResult as StressResult,
    stress_test as stress_test,
)

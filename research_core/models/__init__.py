"""Econometric models as plain functions on pandas objects, returning frozen results.

Each result has ``to_frame()`` and ``summary()``; none does I/O. Agents compose them.
"""

from research_core.models._base import Regression, clean_frame, ols
from research_core.models.beer import BeerResult, beer
from research_core.models.covariance import ShrunkCovariance, ledoit_wolf
from research_core.models.debt import DebtDynamicsResult, debt_dynamics, stabilizing_primary
from research_core.models.gap import hamilton_gap, output_gap, trend_gap
from research_core.models.phillips import PhillipsCurveResult, phillips_curve
from research_core.models.regimes import (
    MACRO_STATES,
    RISK_STATES,
    RegimeResult,
    macro_regimes,
    risk_regimes,
)
from research_core.models.rstar import NaturalRateResult, natural_rate
from research_core.models.taylor import TaylorRuleResult, taylor_rule
from research_core.models.zscore import standardize, zscore, zscore_last

__all__ = [
    "MACRO_STATES",
    "RISK_STATES",
    "BeerResult",
    "DebtDynamicsResult",
    "NaturalRateResult",
    "PhillipsCurveResult",
    "RegimeResult",
    "Regression",
    "ShrunkCovariance",
    "TaylorRuleResult",
    "beer",
    "clean_frame",
    "debt_dynamics",
    "hamilton_gap",
    "ledoit_wolf",
    "macro_regimes",
    "natural_rate",
    "ols",
    "output_gap",
    "phillips_curve",
    "risk_regimes",
    "stabilizing_primary",
    "standardize",
    "taylor_rule",
    "trend_gap",
    "zscore",
    "zscore_last",
]

"""Econometric models as plain functions on pandas objects, returning frozen results.

Each result has ``to_frame()`` and ``summary()``; none does I/O. Agents compose them.

Public names load on first use: a caller of one function does not import the others'
dependencies (statsmodels, scikit-learn, hmmlearn).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from research_core._lazy import lazy_exports

if TYPE_CHECKING:
    from research_core.models._base import Regression, ols
    from research_core.models.covariance import ShrunkCovariance, ledoit_wolf
    from research_core.models.debt import DebtDynamicsResult, debt_dynamics, stabilizing_primary
    from research_core.models.equilibrium_fx import BeerResult, beer
    from research_core.models.gap import hamilton_gap, output_gap, trend_gap
    from research_core.models.inputs import clean_frame
    from research_core.models.phillips import PhillipsCurveResult, phillips_curve
    from research_core.models.regimes import (
        MACRO_STATES,
        RISK_STATES,
        RegimeFit,
        RegimeResult,
        macro_regimes,
        risk_regimes,
    )
    from research_core.models.rstar import NaturalRateResult, natural_rate
    from research_core.models.scores import standardize, zscore, zscore_last
    from research_core.models.taylor import TaylorRuleResult, taylor_rule

_WHERE = {
    "Regression": "_base",
    "clean_frame": "inputs",
    "ols": "_base",
    "BeerResult": "equilibrium_fx",
    "beer": "equilibrium_fx",
    "ShrunkCovariance": "covariance",
    "ledoit_wolf": "covariance",
    "DebtDynamicsResult": "debt",
    "debt_dynamics": "debt",
    "stabilizing_primary": "debt",
    "hamilton_gap": "gap",
    "output_gap": "gap",
    "trend_gap": "gap",
    "PhillipsCurveResult": "phillips",
    "phillips_curve": "phillips",
    "MACRO_STATES": "regimes",
    "RISK_STATES": "regimes",
    "RegimeFit": "regimes",
    "RegimeResult": "regimes",
    "macro_regimes": "regimes",
    "risk_regimes": "regimes",
    "NaturalRateResult": "rstar",
    "natural_rate": "rstar",
    "TaylorRuleResult": "taylor",
    "taylor_rule": "taylor",
    "standardize": "scores",
    "zscore": "scores",
    "zscore_last": "scores",
}
__getattr__ = lazy_exports(__name__, _WHERE)

__all__ = [
    "MACRO_STATES",
    "RISK_STATES",
    "BeerResult",
    "DebtDynamicsResult",
    "NaturalRateResult",
    "PhillipsCurveResult",
    "RegimeFit",
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

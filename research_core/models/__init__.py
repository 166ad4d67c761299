"""Econometric models as plain functions on pandas objects, returning frozen results.

Each result has ``to_frame()`` and ``summary()``; none does I/O. Agents compose them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the real imports, for type checkers; at runtime they load on first use
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

_WHERE = {
    "Regression": "_base",
    "clean_frame": "_base",
    "ols": "_base",
    "BeerResult": "beer",
    "beer": "beer",
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
    "RegimeResult": "regimes",
    "macro_regimes": "regimes",
    "risk_regimes": "regimes",
    "NaturalRateResult": "rstar",
    "natural_rate": "rstar",
    "TaylorRuleResult": "taylor",
    "taylor_rule": "taylor",
    "standardize": "zscore",
    "zscore": "zscore",
    "zscore_last": "zscore",
}


def __getattr__(name: str) -> Any:
    """Load models lazily: a light consumer (the risk engine's covariance, the PMS) need
    not import statsmodels, hmmlearn and every model."""
    if name in _WHERE:
        return getattr(importlib.import_module(f"research_core.models.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'research_core.models' has no attribute {name!r}")


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

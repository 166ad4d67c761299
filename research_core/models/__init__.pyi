"""Public names of ``research_core.models``: the one list, read by type checkers and by
``lazy_loader`` (each name imports its module on first use)."""

from ._base import Regression as Regression, ols as ols
from .covariance import ShrunkCovariance as ShrunkCovariance, ledoit_wolf as ledoit_wolf
from .debt import (
    DebtDynamicsResult as DebtDynamicsResult,
    debt_dynamics as debt_dynamics,
    stabilizing_primary as stabilizing_primary,
)
from .equilibrium_fx import BeerResult as BeerResult, beer as beer
from .gap import hamilton_gap as hamilton_gap, output_gap as output_gap, trend_gap as trend_gap
from .inputs import clean_frame as clean_frame
from .phillips import PhillipsCurveResult as PhillipsCurveResult, phillips_curve as phillips_curve
from .regimes import (
    MACRO_STATES as MACRO_STATES,
    RISK_STATES as RISK_STATES,
    RegimeFit as RegimeFit,
    RegimeResult as RegimeResult,
    macro_regimes as macro_regimes,
    risk_regimes as risk_regimes,
)
from .rstar import NaturalRateResult as NaturalRateResult, natural_rate as natural_rate
from .scores import standardize as standardize, zscore as zscore, zscore_last as zscore_last
from .taylor import TaylorRuleResult as TaylorRuleResult, taylor_rule as taylor_rule

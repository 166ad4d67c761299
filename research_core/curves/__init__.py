"""Term structures from the lake: DI, NTN-B, UST and TIPS curves, the market-implied
Copom path and breakevens, and rates instruments priced on them (see each module)."""

from research_core.curves.build import (
    CurveHistory,
    CurveSpec,
    build_curve,
    curve_history,
    curve_specs,
    fit_curve,
)
from research_core.curves.curve import Curve, bootstrap, reprice
from research_core.curves.nss import NSSFit, fit_nss, nss_yield
from research_core.curves.pricing import CarryRoll, carry_roll, price_on_curve

__all__ = [
    "CarryRoll",
    "Curve",
    "CurveHistory",
    "CurveSpec",
    "NSSFit",
    "bootstrap",
    "build_curve",
    "carry_roll",
    "curve_history",
    "curve_specs",
    "fit_curve",
    "fit_nss",
    "nss_yield",
    "price_on_curve",
    "reprice",
]

"""Pre-trade risk: what executing a trade does to the book's VaR, ES, components and limits.

Both books are measured by ``research_core.risk.report.limit_check`` on the same
point-in-time view (historical 1-day 99 % VaR/ES, the measure the limits use, and the
limit table, as in the full risk report), so a proposal and a discretionary trade are
judged the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research_core.errors import RiskError
from research_core.lake.pit import PITView

if TYPE_CHECKING:
    from research_core.risk.limits import RiskLimits
    from research_core.risk.report import LimitCheck

METHOD, ALPHA = "historical", 0.99


def book_risk(
    weights: pd.Series,
    view: PITView,
    *,
    nav: float,
    equity: pd.Series | None = None,
    limits: RiskLimits | None = None,
) -> LimitCheck | None:
    """VaR/ES, components and limits of ``weights`` (None for an empty book); ``limits``
    default to the fund's limits file."""
    from research_core.risk.report import limit_check  # scikit-learn: only when pricing

    w = weights[weights != 0.0]
    if w.empty:
        return None
    eq = equity if equity is not None and len(equity) else None
    return limit_check(w, view, nav=nav, equity=eq, limits=limits)


def _var_es(report: LimitCheck | None) -> tuple[float, float]:
    if report is None:
        return 0.0, 0.0
    return float(report.historical.var), float(report.historical.es)


def _component(report: LimitCheck | None, instrument_id: str) -> float:
    if report is None:
        return 0.0
    return float(report.historical.component_var.get(instrument_id, 0.0))


def trade_impact(
    view: PITView,
    current: pd.Series,
    instrument_id: str,
    delta_weight: float,
    *,
    nav: float,
    equity: pd.Series | None = None,
    before: LimitCheck | None = None,
    limits: RiskLimits | None = None,
) -> dict[str, Any]:
    """ΔVaR and ΔES of the book (fraction of NAV and BRL), the instrument's component VaR
    before/after, and headroom on every limit after the trade. ``before`` reuses a report
    of ``current`` already computed (proposals share one); each limit line says whether
    the limit is hard or soft."""
    if not np.isfinite(delta_weight) or delta_weight == 0.0:
        raise RiskError(f"trade weight for {instrument_id} must be finite and non-zero")
    if before is None:
        before = book_risk(current, view, nav=nav, equity=equity, limits=limits)
    after_w = current.add(pd.Series({instrument_id: delta_weight}), fill_value=0.0)
    after = book_risk(after_w, view, nav=nav, equity=equity, limits=limits)
    var0, es0 = _var_es(before)
    var1, es1 = _var_es(after)
    lines: dict[str, Any] = {}
    if after is not None:
        old = before.limits if before is not None else None
        for name, row in after.limits.iterrows():
            prior = old["value"].get(name) if old is not None else None
            lines[str(name)] = {
                "before": None if prior is None or pd.isna(prior) else float(prior),
                "after": None if pd.isna(row["value"]) else float(row["value"]),
                "max": float(row["max"]),
                "headroom": None if pd.isna(row["value"]) else float(row["max"] - row["value"]),
                "status": str(row["status"]),
                "kind": str(row["kind"]),
                "key": str(row["key"]),  # the limit's field: its unit (risk.limits.UNITS)
            }
    return {
        "method": f"{METHOD} {ALPHA:.0%} 1-day",
        "nav": nav,
        "delta_weight": delta_weight,
        "var_before": var0,
        "var_after": var1,
        "delta_var": var1 - var0,
        "delta_var_brl": (var1 - var0) * nav,
        "es_before": es0,
        "es_after": es1,
        "delta_es": es1 - es0,
        "delta_es_brl": (es1 - es0) * nav,
        "component_var_before": _component(before, instrument_id),
        "component_var_after": _component(after, instrument_id),
        "limits": lines,
        "breaches": sorted(k for k, v in lines.items() if v["status"] == "breach"),
    }

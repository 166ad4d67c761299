"""The tables the curves step writes for the Curves page and the Morning Pack.

Each curve (DI, NTN-B, UST) today, 1 week (5 sessions) and 1 month (21 sessions) ago on a
maturity grid — each as known then, the same dates :func:`curve_moves` compares — and the
:class:`CurvesReport`'s own tables (DI by tenor, the Copom path against Focus,
breakevens, the largest moves), so the page, the pack and ``workbench curves --as-of D``
show the same numbers. Rates in % a.a., changes in bp.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from research_core.calendars import business_days
from research_core.curves.build import build_curve, spec_of
from research_core.curves.report import TENORS, CurvesReport, curves_report
from research_core.lake.pit import PITView

CURVES = ("DI", "NTNB", "UST")
LAGS = (("today", 0), ("1 week ago", 5), ("1 month ago", 21))  # sessions back, as in moves
GRID_POINTS = 40


def lagged_views(view: PITView, name: str) -> list[tuple[str, PITView]]:
    """The view at the curve's last quote date and 5 and 21 sessions (B3 for DI and
    NTN-B, NYSE for UST) before it, labelled as the page shows them."""
    day = build_curve(view, name).as_of
    sessions = business_days("B3" if name in ("DI", "NTNB") else "NYSE")
    i = int(np.searchsorted(sessions.values, day.to_datetime64()))
    return [(label, view if lag == 0 else view.at(str(sessions[i - lag].date())))
            for label, lag in LAGS]  # fmt: skip


def curve_lines(view: PITView, names: tuple[str, ...] = CURVES) -> pd.DataFrame:
    """Zero rates (% a.a.) of each curve today, 1 week and 1 month ago from its first to
    its last pillar: the pillars, the report's tenors and an even grid (years)."""
    rows = []
    for name in names:
        spec = spec_of(name)
        t0, t1 = float(spec.times[0]), float(spec.times[-1])
        tenors = [t for _, t in TENORS if t0 - 1e-9 <= t <= t1]
        grid = np.unique(np.r_[spec.times, tenors, np.linspace(t0, t1, GRID_POINTS)])
        for when, past in lagged_views(view, name):
            curve = build_curve(past, name)
            rows.append(pd.DataFrame({"curve": name, "label": spec.label, "when": when,
                                      "day": curve.as_of, "years": grid,
                                      "zero_pct": curve.zero(grid)}))  # fmt: skip
    return pd.concat(rows, ignore_index=True)


def report_tables(report: CurvesReport) -> dict[str, pd.DataFrame]:
    """The report's tables by artifact name (``curves/<name>.parquet``)."""
    return {
        "di": report.di_table(),
        "copom_path": report.path.to_frame(),
        "breakevens": report.breakevens.reset_index(drop=True),
        "moves": report.moves,
    }


def report_summary(report: CurvesReport) -> dict[str, Any]:
    """What the tables' titles say: the date, conventions, the fit, the policy anchor."""
    fit = report.di_fit.nss
    return {
        "day": str(report.day.date()),
        "di_basis": report.di.basis,
        "di_compounding": report.di.compounding,
        "di_fit": fit.summary() if fit is not None else "",
        "path_label": report.path.label,
        "policy_rate_pct": report.path.policy_rate_pct,
        "spread_bp": report.path.spread_bp,
    }


def curve_tables(view: PITView) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """Everything the curves step writes: the tables by name and the summary record."""
    report = curves_report(view)
    tables = {**report_tables(report), "lines": curve_lines(view)}
    return tables, report_summary(report)

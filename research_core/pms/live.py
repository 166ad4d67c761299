"""The held book's risk and attribution computed from the PMS now, with the pipeline's own
functions: what the pages show when the PMS was traded and marked after the last run.

``report_tables`` and ``headline`` are the tables and comparison numbers the daily ``risk``
step writes; ``attribution_table`` is the ``attribution`` step's table. The pipeline and the
pages call the same functions, so a live figure and a run's figure of the same book agree.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import pandas as pd

from research_core.calendars import roll_forward

if TYPE_CHECKING:
    from research_core.pms.system import PMS
    from research_core.risk.report import RiskReport

LIVE_SIMS = 20_000
"""Monte Carlo draws of a risk report computed while a page loads (the run uses more)."""

UNITS = {
    "positions": "count",
    "gross": "× NAV",
    "net": "× NAV",
    "var99": "fraction of NAV",
    "es99": "fraction of NAV",
    "var99_brl": "BRL",
    "worst_stress": "fraction of NAV",
    "breaches": "count",
    "warnings": "count",
    "drawdown": "fraction of the high-water mark",
}


def next_session(day: object, calendar: str = "B3") -> dt.date:
    """The first session of ``calendar`` after ``day`` (the default trade and mark date
    after the last mark)."""
    after = pd.DatetimeIndex([pd.Timestamp(day) + pd.Timedelta(days=1)])  # type: ignore[arg-type]
    return roll_forward(after, calendar)[0].date()


def last_mark(pms: PMS) -> dt.date | None:
    """The PMS's newest mark date, or None before the first mark."""
    hist = pms.nav_history()
    return None if hist.empty else hist.index.max().date()


def headline(rep: RiskReport | None, limits: pd.DataFrame, nav: float) -> dict[str, float]:
    """The numbers compared held vs target (see :data:`UNITS`); an empty book has none of
    them at risk (zero), its limit table still counts (the drawdown row)."""
    dd = float(limits["value"].get("drawdown", float("nan")))
    out = {
        "positions": 0.0, "gross": 0.0, "net": 0.0, "var99": 0.0, "es99": 0.0,
        "var99_brl": 0.0, "worst_stress": 0.0,
        "breaches": float((limits["status"] == "breach").sum()),
        "warnings": float((limits["status"] == "warn").sum()),
        "drawdown": dd,
    }  # fmt: skip
    if rep is not None:
        var = rep.to_frame().loc[("historical", 0.99)]  # type: ignore[index]
        out |= {
            "positions": float(len(rep.weights)),
            "gross": float(rep.weights.abs().sum()),
            "net": float(rep.weights.sum()),
            "var99": float(var["var"]),
            "es99": float(var["es"]),
            "var99_brl": float(var["var_brl"]),
            "worst_stress": float(rep.stress.to_frame()["total"].min()) / nav,
        }
    return out


def report_tables(rep: RiskReport) -> dict[str, pd.DataFrame]:
    """var, components, stress and limits of one book (the run's ``risk/<book>/`` files)."""
    parts = {(r.method, r.alpha): r.to_frame() for r in rep.results}
    return {
        "var": rep.to_frame(),
        "components": pd.concat(parts, names=["method", "alpha", "instrument"]),
        "stress": rep.stress.to_frame(),
        "limits": rep.limits,
    }


def held_risk(pms: PMS, as_of: object, *, n_sims: int = LIVE_SIMS) -> dict[str, Any] | None:
    """The held book's risk at the mark of ``as_of``, as the daily ``risk`` step computes it
    (positions and NAV of that mark, the NAV path for drawdown): ``report_tables`` plus
    ``headline``; None when nothing is held."""
    from research_core.risk.report import risk_report  # scikit-learn: only when asked

    w = pms.exposures(as_of)
    w = w[w != 0.0]
    if w.empty:
        return None
    nav, path = pms.nav(as_of), pms.nav_path(as_of)
    view = pms.view(as_of)
    rep = risk_report(w, view, nav=nav, n_sims=n_sims, equity=path if len(path) else None)
    return report_tables(rep) | {"headline": headline(rep, rep.limits, nav)}


def attribution_table(pms: PMS, as_of: str) -> tuple[pd.DataFrame, dict[str, Any]]:
    """P&L of the day, MTD and YTD (Carino-linked) by strategy, agent, asset class,
    instrument and risk factor (BRL), and the NAV and period returns at ``as_of``."""
    day = pd.Timestamp(as_of)
    starts = {"day": day, "mtd": day.replace(day=1), "ytd": day.replace(month=1, day=1)}
    rows = []
    for by in ("strategy", "agent", "asset_class", "instrument", "factor"):
        daily = pms.attribution(by, start=as_of, end=as_of)
        for group, value in (daily.sum() if not daily.empty else pd.Series(dtype=float)).items():
            rows.append({"by": by, "group": str(group), "period": "day", "value": float(value)})
        for period in ("mtd", "ytd"):
            linked = pms.linked_attribution(by, start=f"{starts[period]:%Y-%m-%d}", end=as_of)
            rows += [
                {"by": by, "group": str(g), "period": period, "value": float(v)}
                for g, v in linked.items()
            ]
    table = pd.DataFrame(rows, columns=["by", "group", "period", "value"])
    nav = pms.nav_history()
    nav = nav[nav.index <= day]
    pnl = {
        "as_of": as_of,
        "nav_brl": float(nav["nav_brl"].iloc[-1]) if len(nav) else float(pms.nav()),
        "pnl_day_brl": float(nav["pnl_brl"].iloc[-1]) if len(nav) else 0.0,
        "mtd": _period_return(nav, starts["mtd"], pms),
        "ytd": _period_return(nav, starts["ytd"], pms),
    }
    return table, pnl


def _period_return(nav: pd.DataFrame, start: pd.Timestamp, pms: PMS) -> float:
    """Compounded return of NAV from the last mark before ``start`` (or the capital)."""
    if nav.empty:
        return 0.0
    before = nav[nav.index < start]
    base = float(before["nav_brl"].iloc[-1]) if len(before) else float(pms.settings()["capital"])
    return float(nav["nav_brl"].iloc[-1]) / base - 1.0

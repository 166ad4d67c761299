"""The Attribution and Agent Hub pages: P&L by strategy, agent, asset class, instrument and
factor (% of NAV); each agent's signals, narrative, regimes, fan charts and real-time r*.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from research_core.formats import points
from research_core.viz import agent_history, theme
from research_core.viz.book_view import (
    LIVE,
    live_day,
    live_note,
)
from research_core.viz.pms_pages import open_pms
from research_core.viz.runs import Item, Page, Problem, Run, missing


def read_attribution(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    """The run's attribution, or the held book's computed live from the PMS
    (``pms.live.attribution_table``) when the PMS was marked after the run."""
    pms, _ = open_pms()
    day = live_day(run, pms)
    if pms is not None and day is not None:
        from research_core.pms.live import attribution_table

        live, pnl = attribution_table(pms, day)
        label = LIVE.format(day=day)
        return {"attribution": live, "pnl": pnl, "label": label}, [live_note(run, day)]
    table = run.table("attribution")
    if table is None:
        return {}, [missing(run, "attribution", "attribution")]
    label = f"held book of the {run.date} run"
    return {"attribution": table, "pnl": run.record("pnl"), "label": label}, []


NO_ATTRIBUTION = (
    "Nothing to attribute yet: the PMS had no marked positions by this run, so there is no "
    "P&L to split by strategy, agent, asset class, instrument or factor. Attribution appears "
    "from the first run after positions are booked and marked."
)
PERIODS = {"day": "yesterday", "mtd": "MTD", "ytd": "YTD"}


def attribution_pct(table: pd.DataFrame, pnl: dict[str, Any] | None) -> pd.DataFrame:
    """``attribution.parquet`` (by, group, period, value: the day in BRL, MTD/YTD as
    Carino-linked contributions) in one unit, % of NAV: the day over the previous NAV."""
    out = table.copy()
    day = out["period"] == "day"
    prev_nav = (pnl["nav_brl"] - pnl["pnl_day_brl"]) if pnl else float("nan")
    out.loc[day, "value"] = out.loc[day, "value"] / prev_nav
    out["value"] = out["value"] * 100
    return out


def render_attribution(page: Page) -> list[Item]:
    """A chart with a dimension selector (buttons) and the periods as legend entries, or
    a message saying why there is nothing to attribute."""
    t = page.data.get("attribution")
    if t is None:
        return []
    if t.empty or not {"by", "group", "period", "value"} <= set(t.columns):
        return [theme.message(NO_ATTRIBUTION, "info", title="No attribution yet")]
    t = attribution_pct(t, page.data.get("pnl"))
    label = page.data.get("label", "")
    title = f"P&L attribution, % of NAV — {label}"
    fig = theme.figure(title, sample=page.run.sample, yaxis="% of NAV")
    dims = list(dict.fromkeys(t["by"]))
    for dim in dims:
        for period, name in PERIODS.items():
            part = t[(t["by"] == dim) & (t["period"] == period)]
            fig.add_bar(x=part["group"], y=part["value"], name=name, visible=dim == dims[0],
                        hovertemplate="%{x}: %{y:.2f}% of NAV")  # fmt: skip
    n = len(PERIODS)
    buttons = [
        {"label": d.replace("_", " "), "method": "update",
         "args": [{"visible": [j // n == i for j in range(n * len(dims))]}]}
        for i, d in enumerate(dims)
    ]  # fmt: skip
    fig.update_layout(height=420, barmode="group", hovermode="closest",
                      updatemenus=[{"buttons": buttons, "direction": "right", "x": 0, "y": 1.12,
                                    "xanchor": "left", "type": "buttons"}])  # fmt: skip
    shown = t.assign(value=t["value"].map(lambda v: points(v, signed=True)))
    shown = shown.rename(columns={"by": "dimension", "value": "% of NAV"})
    table = theme.table(shown, index=False, name="attribution")
    return [fig, theme.grid([theme.card(title, table)])]


def read_agents(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    found = run.record("reports")  # the pipeline's agents/reports.json: {name: report}
    if not isinstance(found, dict):
        found = run.records("agents")
    reports = {k: v for k, v in found.items() if isinstance(v, dict) and "agent" in v}
    data: dict[str, Any] = {"reports": reports, "realtime": run.table("realtime"),
                            "history": run.table("agents/history")}  # fmt: skip
    problems = [] if reports else [missing(run, "agent reports", "agents")]
    return data, problems


def _frame(split: Any) -> pd.DataFrame:
    return pd.DataFrame(split["data"], index=split.get("index"), columns=split["columns"])


FAN = ("p5", "p25", "p50", "p75", "p95")  # percentile columns an agent's fan chart carries


def fan_chart(title: str, frame: pd.DataFrame, sample: bool) -> Item:
    """A fan chart: 5-95 and 25-75 percentile bands, the median and (if given) the baseline
    of an agent's projection (e.g. the fiscal agent's simulated debt paths)."""
    fig = theme.figure(title, sample=sample)
    x = frame.index
    for lo, hi, alpha, label in (("p5", "p95", 0.15, "5-95%"), ("p25", "p75", 0.3, "25-75%")):
        fig.add_scatter(x=x, y=frame[hi], line={"width": 0}, showlegend=False, hoverinfo="skip")
        fig.add_scatter(x=x, y=frame[lo], fill="tonexty", line={"width": 0}, name=label,
                        fillcolor=f"rgba(31,59,115,{alpha})")  # fmt: skip
    fig.add_scatter(x=x, y=frame["p50"], name="median", line={"color": theme.NAVY})
    if "baseline" in frame:
        fig.add_scatter(x=x, y=frame["baseline"], name="baseline",
                        line={"color": theme.SERIES[1], "dash": "dash"})  # fmt: skip
    return fig


def render_agents(page: Page) -> list[Item]:
    reports: dict[str, Any] = page.data["reports"]
    cards = []
    for name, rep in sorted(reports.items()):
        sig = pd.DataFrame(rep.get("signals", []))
        body = "".join(f"<p>{theme.esc(b)}</p>" for b in rep.get("narrative", []))
        if not sig.empty:
            sig = sig.rename(columns={"rationale": "reason", "horizon_days": "horizon (days)"})
            keep = ("instrument", "model", "direction", "strength", "confidence",
                    "horizon (days)", "reason")  # fmt: skip
            fmt = {"strength": "{:+.2f}", "confidence": "{:.2f}"}
            body += theme.table(sig[[c for c in keep if c in sig]], formats=fmt, index=False,
                                name=f"signals-{name}")  # fmt: skip
        body += "".join(f'<p class="wb-sub">note: {theme.esc(n)}</p>' for n in rep.get("notes", []))
        for key, split in rep.get("diagnostics", {}).items():
            if "regime" in key and isinstance(split, dict) and "data" in split:
                body += agent_history.regime_table(key, _frame(split).tail(5), f"{name}-{key}")
        cards.append(theme.card(f"{name.replace('_', ' ')} agent", body, span=6))
    out: list[Item] = [theme.grid(cards)]
    out += agent_history.history_items(page.data.get("history"), page.run.sample)
    for name, rep in sorted(reports.items()):
        for key, split in rep.get("charts", {}).items():
            frame = _frame(split) if isinstance(split, dict) and "data" in split else None
            if frame is not None and set(FAN) <= set(frame.columns):
                out.append(fan_chart(f"{name.replace('_', ' ')}: {key}", frame, page.run.sample))
    rt = page.data.get("realtime")
    if rt is not None and not rt.empty:
        for country, part in rt.groupby("country"):
            fig = theme.figure(
                f"r* real time ({country}), ±1.645 se", sample=page.run.sample, yaxis="% p.a."
            )
            x = pd.to_datetime(part["as_of"])
            fig.add_scatter(
                x=x, y=part["rstar"] + 1.645 * part["rstar_se"], line={"width": 0}, showlegend=False
            )
            fig.add_scatter(
                x=x,
                y=part["rstar"] - 1.645 * part["rstar_se"],
                fill="tonexty",
                fillcolor="rgba(31,59,115,0.18)",
                line={"width": 0},
                name="90% band",
            )
            fig.add_scatter(x=x, y=part["rstar"], name="r*")
            out.append(fig)
    return out

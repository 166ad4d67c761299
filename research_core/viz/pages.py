"""The dashboard pages: one reader (run artifacts → what the page shows) and one renderer each.

A page notebook calls ``read_page(name)`` after ``voila.utils.wait_for_request()`` and then
``render(page)``. Readers only read what the pipeline (and the PMS) already produced; bad
states (no run, failed or stale run, empty book, missing artifact) become messages.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from research_core.catalog import instruments, series_catalog
from research_core.viz import theme
from research_core.viz.pms_pages import blotter, journal_view, open_pms
from research_core.viz.runs import Problem, Run, open_run

Item = Any  # an HTML string, a plotly figure or an ipywidget

# Page kernels import this module while they wait in the pool for a visitor: load the
# catalogs now (YAML, about 0.15 s) rather than while the visitor waits.
series_catalog()
instruments()


@dataclass(frozen=True)
class Page:
    """What one page shows: its run, the data read from it, and its problems."""

    name: str
    run: Run
    data: dict[str, Any] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


Reader = Callable[[Run], tuple[dict[str, Any], list[Problem]]]
Renderer = Callable[[Page], list[Item]]
_READERS: dict[str, Reader] = {}
_RENDERERS: dict[str, Renderer] = {}


def _page(name: str) -> Callable[[Reader], Reader]:
    def register(reader: Reader) -> Reader:
        _READERS[name] = reader
        return reader

    return register


def _renders(name: str) -> Callable[[Renderer], Renderer]:
    def register(renderer: Renderer) -> Renderer:
        _RENDERERS[name] = renderer
        return renderer

    return register


def read_page(name: str, query: str | None = None, **run_options: Any) -> Page:
    """Read page ``name`` for the run in ``query`` (default: the request's QUERY_STRING)."""
    if name not in _READERS:
        raise KeyError(f"unknown page {name!r}; pages: {sorted(_READERS)}")
    if query is None:
        query = os.environ.get("QUERY_STRING", "")
    run = open_run(query, **run_options)
    if not run.usable:
        return Page(name, run, {}, run.problems)
    data, extra = _READERS[name](run)
    return Page(name, run, data, run.problems + tuple(extra))


def items(page: Page) -> list[Item]:
    """Header, messages, then the page's content (none when the run cannot be used)."""
    title = theme.PAGES.get(page.name, "Macro research workbench")
    out: list[Item] = [
        theme.header(
            title,
            as_of=page.run.date,
            sample=page.run.sample,
            status=page.run.status if page.run.path else None,
            runs=page.run.runs,
            page=page.name,
        )
    ]
    out += [theme.message(p.text, p.level, title=p.title) for p in page.problems]
    if page.run.usable:
        out += _RENDERERS[page.name](page)
    return out


def render(page: Page) -> None:
    """Display the page in the notebook (Voilà shows it)."""
    from IPython.display import HTML, display

    for item in items(page):
        display(HTML(item) if isinstance(item, str) else item)


def _missing(run: Run, what: str, step: str) -> Problem:
    return Problem("warn", "Not in this run", f"the {run.date} run has no {what} (step {step})")


# --------------------------------------------------------------------------- formatting


def pct(x: float, digits: int = 2) -> str:
    return f"{x:.{digits}%}"


def brl(x: float) -> str:
    return f"BRL {x:,.0f}"


# --------------------------------------------------------------------------- landing


@_page("index")
def _read_index(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    return {}, []


@_renders("index")
def _render_index(page: Page) -> list[Item]:
    date = page.run.date
    cards = [
        theme.card(
            title,
            f'<a href="{key}.ipynb?date={theme.esc(date)}">Open {theme.esc(title)}</a>',
            span=4,
        )
        for key, title in theme.PAGES.items()
    ]
    return [theme.grid(cards)]


# --------------------------------------------------------------------------- risk


def _var_row(var: pd.DataFrame, method: str, alpha: float) -> pd.Series | None:
    hit = var[(var["method"] == method) & ((var["alpha"] - alpha).abs() < 1e-9)]
    return None if hit.empty else hit.iloc[0]


def _risk_kpis(data: dict[str, Any]) -> list[str]:
    var, stress, limits = data.get("var"), data.get("stress"), data.get("limits")
    out = []
    if var is not None:
        row = _var_row(var, "historical", 0.99)
        if row is not None:
            out.append(theme.kpi("VaR 99% 1d (hist.)", pct(row["var"]), key="var99"))
            out.append(theme.kpi("VaR 99% in BRL", brl(row["var_brl"]), key="var99_brl"))
            out.append(theme.kpi("ES 99% 1d (hist.)", pct(row["es"]), key="es99"))
    if stress is not None and not stress.empty:
        worst = stress.loc[stress["total_pct_nav"].idxmin()]
        out.append(
            theme.kpi(
                f"Worst stress: {worst.iloc[0]}", pct(worst["total_pct_nav"]), key="worst_stress"
            )
        )
    if limits is not None:
        n = int((limits["status"] == "breach").sum())
        out.append(theme.kpi("Limits breached", str(n), key="breaches"))
    return out


def _read_tables(run: Run, names: Sequence[str]) -> dict[str, Any]:
    return {n: run.table(n) for n in names}


@_page("risk_monitor")
def _read_risk(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    data = _read_tables(
        run, ["var", "components", "stress", "limits", "drawdown", "correlation", "weights"]
    )
    problems = [_missing(run, n, "risk") for n in ("var", "stress", "limits") if data[n] is None]
    if data["drawdown"] is None:
        pms, _ = open_pms()  # the ladder reads the PMS NAV history when there is one
        data["pms_drawdown"] = pms.drawdown() if pms is not None else None
    return data, problems


@_renders("risk_monitor")
def _render_risk(page: Page) -> list[Item]:
    d = page.data
    out: list[Item] = [theme.grid(_risk_kpis(d))]
    blocks = []
    if d["var"] is not None:
        cols = ["method", "alpha", "var", "es", "var_brl", "es_brl", "fit"]  # fit: Student-t ν
        shown = d["var"][[c for c in cols if c in d["var"].columns]]
        fmt = {"var": "{:.2%}", "es": "{:.2%}", "var_brl": "{:,.0f}", "es_brl": "{:,.0f}"}
        blocks.append(
            theme.card(
                "VaR and ES by method",
                theme.table(shown, formats=fmt, index=False, name="var"),
                span=6,
            )
        )
    if d["limits"] is not None:
        fmt = {"value": "{:.4g}", "max": "{:.4g}", "utilization": "{:.0%}"}
        body = theme.table(
            d["limits"], formats=fmt, status_column="status", index=False, name="limits"
        )
        blocks.append(theme.card("Limit use", body, span=6))
    if d["stress"] is not None:
        shown = (
            d["stress"]
            .iloc[:, [0, 1]]
            .assign(total=d["stress"]["total"], total_pct_nav=d["stress"]["total_pct_nav"])
        )
        shown.columns = ["scenario", "kind", "P&L (BRL)", "% NAV"]
        fmt = {"P&L (BRL)": "{:,.0f}", "% NAV": "{:.2%}"}
        blocks.append(
            theme.card(
                "Stress scenarios",
                theme.table(shown, formats=fmt, index=False, name="stress"),
                span=6,
            )
        )
    if d["drawdown"] is not None and not d["drawdown"].empty:
        body = theme.table(d["drawdown"], index=False, name="drawdown")
    elif d.get("pms_drawdown") is not None:
        dd, level, state = d["pms_drawdown"]
        body = theme.grid(
            [
                theme.kpi("Drawdown (PMS NAV)", pct(dd), span=6, key="drawdown"),
                theme.kpi("Ladder level", f"{level} · {state}", span=6, key="ladder"),
            ]
        )
    else:
        text = "no NAV history (PMS not marked yet): drawdown level not available"
        body = theme.message(text, "info")
    blocks.append(theme.card("Drawdown ladder", body, span=6))
    if d["correlation"] is not None:
        blocks.append(
            theme.card(
                "Correlation monitor",
                theme.table(d["correlation"], index=False, name="correlation"),
                span=12,
            )
        )
    out.append(theme.grid(blocks))
    comp = d["components"]
    if comp is not None:
        sel = comp[(comp["method"] == "historical") & ((comp["alpha"] - 0.99).abs() < 1e-9)]
        if not sel.empty:
            fig = theme.figure("Component VaR 99% (historical), % NAV", sample=page.run.sample)
            sel = sel.sort_values("component_var")
            fig.add_bar(
                x=sel["component_var"], y=sel["instrument"], orientation="h", name="component VaR"
            )
            fig.update_layout(height=420, xaxis_tickformat=".2%", hovermode="y")
            out.append(fig)
    return out


# --------------------------------------------------------------------------- positions


@_page("position_book")
def _read_positions(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    weights = run.table("positions")
    source = "positions"
    if weights is None:
        weights, source = run.table("weights"), "weights"
    if weights is None:
        return {}, [_missing(run, "book", "book")]
    if "weight" in weights:
        weights = weights[weights["weight"].fillna(0.0) != 0.0]
    if weights.empty:
        return {"weights": weights, "source": source}, [
            Problem("info", "Empty book", f"the book of {run.date} has no positions")
        ]
    return {"weights": weights, "source": source, "var": run.table("var")}, []


@_renders("position_book")
def _render_positions(page: Page) -> list[Item]:
    w = page.data.get("weights")
    if w is None or w.empty:
        return []
    out: list[Item] = []
    if "weight" in w:
        gross, net = float(w["weight"].abs().sum()), float(w["weight"].sum())
        out.append(
            theme.grid(
                [
                    theme.kpi("Positions", str(len(w)), key="positions"),
                    theme.kpi("Gross (× NAV)", f"{gross:.2f}", key="gross"),
                    theme.kpi("Net (× NAV)", f"{net:+.2f}", key="net"),
                ]
            )
        )
    fmt = {c: "{:+.4f}" for c in ("weight", "target", "current", "trade")}
    fmt.update({"risk_contribution": "{:.2%}", "expected_return": "{:.2%}"})
    out.append(
        theme.grid([theme.card("Book", theme.table(w, formats=fmt, index=False, name="book"))])
    )
    if "weight" in w and "instrument" in w:
        s = w.sort_values("weight")
        fig = theme.figure("Weights (× NAV)", sample=page.run.sample)
        colors = [theme.POSITIVE if v >= 0 else theme.NEGATIVE for v in s["weight"]]
        fig.add_bar(
            x=s["weight"], y=s["instrument"], orientation="h", marker_color=colors, name="weight"
        )
        fig.update_layout(height=440, hovermode="y")
        out.append(fig)
    return out


# --------------------------------------------------------------------------- morning pack


@_page("morning_pack")
def _read_pack(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    data = _read_tables(run, ["var", "stress", "limits"])
    data["pack"] = run.text("morning_pack")
    problems = []
    if data["pack"] is None:
        problems.append(_missing(run, "Morning Pack", "morning_pack"))
    return data, problems


@_renders("morning_pack")
def _render_pack(page: Page) -> list[Item]:
    out: list[Item] = [theme.grid(_risk_kpis(page.data))]
    pack = page.data.get("pack")
    if pack:
        frame = (
            '<iframe class="wb-pack" title="Morning Pack" sandbox="" '
            f'style="width:100%;height:1400px;border:0" srcdoc="{theme.esc(pack)}"></iframe>'
        )
        out.append(theme.grid([theme.card("", frame)]))
    return out


# --------------------------------------------------------------------------- attribution


@_page("attribution")
def _read_attribution(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    table = run.table("attribution")
    if table is None:
        return {}, [_missing(run, "attribution", "attribution")]
    return {"attribution": table}, []


@_renders("attribution")
def _render_attribution(page: Page) -> list[Item]:
    t = page.data.get("attribution")
    if t is None:
        return []
    out: list[Item] = [
        theme.grid([theme.card("P&L attribution", theme.table(t, index=False, name="attribution"))])
    ]
    if {"dimension", "key", "pnl"} <= set(t.columns):
        for dim, part in t.groupby("dimension", sort=False):
            fig = theme.figure(f"P&L by {dim}", sample=page.run.sample, yaxis="BRL")
            fig.add_bar(x=part["key"], y=part["pnl"], name=str(dim))
            fig.update_layout(height=320)
            out.append(fig)
    return out


# --------------------------------------------------------------------------- agents


@_page("agent_hub")
def _read_agents(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    found = run.record("reports")  # the pipeline's agents/reports.json: {name: report}
    if not isinstance(found, dict):
        found = run.records("agents")
    reports = {k: v for k, v in found.items() if isinstance(v, dict) and "agent" in v}
    data: dict[str, Any] = {"reports": reports, "realtime": run.table("realtime")}
    problems = [] if reports else [_missing(run, "agent reports", "agents")]
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


@_renders("agent_hub")
def _render_agents(page: Page) -> list[Item]:
    reports: dict[str, Any] = page.data["reports"]
    cards = []
    for name, rep in sorted(reports.items()):
        sig = pd.DataFrame(rep.get("signals", []))
        body = "".join(f"<p>{theme.esc(b)}</p>" for b in rep.get("narrative", []))
        if not sig.empty:
            cols = [
                c
                for c in ("instrument", "direction", "strength", "confidence", "horizon_days")
                if c in sig
            ]
            fmt = {"strength": "{:+.2f}", "confidence": "{:.2f}"}
            body += theme.table(sig[cols], formats=fmt, index=False, name=f"signals-{name}")
        body += "".join(f'<p class="wb-sub">note: {theme.esc(n)}</p>' for n in rep.get("notes", []))
        for key, split in rep.get("diagnostics", {}).items():
            if "regime" in key and isinstance(split, dict) and "data" in split:
                body += f"<h2>{theme.esc(key)}</h2>" + theme.table(
                    _frame(split).tail(5), name=f"{name}-{key}"
                )
        cards.append(theme.card(f"{name.replace('_', ' ')} agent", body, span=6))
    out: list[Item] = [theme.grid(cards)]
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


def page_names() -> list[str]:
    """Every page with a reader (landing page first)."""
    return sorted(_READERS, key=lambda n: (n != "index", n))


# --------------------------------------------------------------------------- PMS pages


@_page("trade_blotter")
def _read_blotter(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    pms, problem = open_pms()
    return {"pms": pms}, [problem] if problem else []


@_renders("trade_blotter")
def _render_blotter(page: Page) -> list[Item]:
    pms = page.data.get("pms")
    return [] if pms is None else [blotter(pms, str(page.run.date))]


@_page("decision_journal")
def _read_journal(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    pms, problem = open_pms()
    return {"pms": pms}, [problem] if problem else []


@_renders("decision_journal")
def _render_journal(page: Page) -> list[Item]:
    pms = page.data.get("pms")
    return [] if pms is None else [journal_view(pms)]

"""The dashboard pages: one reader (run artifacts → what the page shows) and one renderer each.

A page notebook calls ``read_page(name)`` after ``voila.utils.wait_for_request()`` and then
``render(page)``. Readers only read what the pipeline (and the PMS) already produced; bad
states (no run, failed or stale run, empty book, missing artifact) become messages.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from research_core.catalog import instruments, series_catalog
from research_core.formats import money, pct, points  # the one number format
from research_core.viz import agent_history, curves_page, health_page, risk_cards, theme
from research_core.viz.pms_pages import (
    blotter,
    journal_view,
    mark_dates,
    mark_form,
    open_pms,
    position_book,
)
from research_core.viz.runs import Problem, Run, open_run

Item = Any  # an HTML string, a plotly figure or an ipywidget


def preload() -> None:
    """Load the catalogs (YAML, about 0.15 s) and make the house plot theme the default: a
    page kernel calls this while it waits in the pool, so the visitor does not wait for it
    (never done on import)."""
    theme.use()
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
    run = page.run
    if run.date and len(run.versions) > 1:
        out.append(theme.revision_note(page.name, run.date, run.version, run.versions))
    out += [theme.message(p.text, p.level, title=p.title) for p in page.problems]
    if page.run.usable:
        out += _RENDERERS[page.name](page)
    elif page.name == "index":  # no usable run (a failed one): the open alerts matter most
        from research_core.viz.alerts_view import open_alerts_card, read_open_alerts

        card = open_alerts_card(read_open_alerts()["alerts"])
        out += [] if card is None else [theme.grid([card])]
    return out


def render(page: Page) -> None:
    """Display the page in the notebook (Voilà shows it)."""
    from IPython.display import HTML, display

    for item in items(page):
        display(HTML(item) if isinstance(item, str) else item)


def _missing(run: Run, what: str, step: str) -> Problem:
    return Problem("warn", "Not in this run", f"the {run.date} run has no {what} (step {step})")


# --------------------------------------------------------------------------- formatting


# --------------------------------------------------------------------------- landing


@_page("index")
def _read_index(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    from research_core.viz.alerts_view import read_open_alerts
    from research_core.viz.landing import read_landing

    return read_open_alerts() | read_landing(run), []


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
    from research_core.viz.alerts_view import open_alerts_card
    from research_core.viz.landing import landing_tiles

    alerts = open_alerts_card(page.data.get("alerts"))  # open alerts at the top
    head = [landing_tiles(page.run, page.data)]  # status, freshness, breaches, proposals
    return head + ([] if alerts is None else [theme.grid([alerts])]) + [theme.grid(cards)]


# --------------------------------------------------------------------------- risk


def _var_row(var: pd.DataFrame, method: str, alpha: float) -> pd.Series | None:
    hit = var[(var["method"] == method) & ((var["alpha"] - alpha).abs() < 1e-9)]
    return None if hit.empty else hit.iloc[0]


BOOKS = ("held", "target")  # the run folder's risk/held/... and risk/target/...
LABEL = {"held": "Held book", "target": "Target book (optimizer)"}
NONE_HELD = "no positions held; target shown"
RISK_TABLES = ("var", "components", "stress", "limits")


def _book_kpis(data: dict[str, Any], book: str) -> list[str]:
    """One book's headline tiles (one row of the grid), each titled with its book."""
    var, stress = data.get(f"{book}_var"), data.get(f"{book}_stress")
    limits, label, out = data.get(f"{book}_limits"), _label(data, book), []
    if var is not None:
        row = _var_row(var, "historical", 0.99)
        if row is not None:
            out.append(theme.kpi(f"{label} · VaR 99% 1d (hist.)", pct(row["var"]), span=2,
                                 key=f"{book}_var99"))  # fmt: skip
            out.append(theme.kpi(f"{label} · VaR 99% in BRL mn", money(row["var_brl"]), span=3,
                                 key=f"{book}_var99_brl"))  # fmt: skip
            out.append(theme.kpi(f"{label} · ES 99% 1d (hist.)", pct(row["es"]), span=2,
                                 key=f"{book}_es99"))  # fmt: skip
    if stress is not None and not stress.empty:
        worst = stress.loc[stress["total_pct_nav"].idxmin()]
        title = f"{label} · worst stress: {worst.iloc[0]}"
        out.append(theme.kpi(title, pct(worst["total_pct_nav"]), span=3,
                             key=f"{book}_worst_stress"))  # fmt: skip
    if limits is not None:
        n = int((limits["status"] == "breach").sum())
        out.append(theme.kpi(f"{label} · limits breached", str(n), span=2,
                             key=f"{book}_breaches"))  # fmt: skip
    return out


def _label(data: dict[str, Any], book: str) -> str:
    """How a book is titled: the held book computed live says so (``held_label``)."""
    return str(data.get(f"{book}_label") or LABEL[book])


def _risk_kpis(data: dict[str, Any]) -> list[str]:
    """The held book's tiles first (or the line saying none is held), then the target's."""
    held = _book_kpis(data, "held") if not data.get("held_empty") else []
    if data.get("held_empty"):
        held = [theme.kpi("Held book", NONE_HELD, span=12, key="held_none")]
    return [*held, *_book_kpis(data, "target")]


def _read_books(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    """Both books' risk tables (``risk/held/...``, ``risk/target/...``), the comparison,
    and whether the PMS held nothing (then the page says so and shows the target)."""
    data: dict[str, Any] = {
        f"{b}_{t}": run.table(f"risk/{b}/{t}") for b in BOOKS for t in RISK_TABLES
    }
    data["compare"] = run.table("risk/compare")
    summary = run.record("risk/summary") or {}
    for b in BOOKS:  # the run's VaR backtest and correlation monitor (not recomputed live)
        data[f"{b}_backtest"] = run.table(f"risk/{b}/backtest")
        data[f"{b}_correlation"] = run.table(f"risk/{b}/correlation")
        data[f"{b}_var_history"] = run.table(f"risk/{b}/var_history")
        data[f"{b}_jennrich"] = (summary.get(b) or {}).get("correlation")
    data["held_empty"] = bool(summary.get("held_empty", data["held_var"] is None))
    problems = [
        _missing(run, f"target book {t}", "risk")
        for t in ("var", "stress", "limits")
        if data[f"target_{t}"] is None
    ]
    if data["held_empty"]:
        problems.append(Problem("info", "Held book", f"the PMS holds nothing: {NONE_HELD}"))
    return data, problems


@_page("risk_monitor")
def _read_risk(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    data, problems = _read_books(run)
    pms, _ = open_pms()  # the ladder reads the PMS NAV history when there is one
    data["pms_drawdown"] = pms.drawdown() if pms is not None else None
    day = live_day(run, pms)
    if pms is not None and day is not None:
        problems = [p for p in problems if p.title != "Held book"] + [_live_note(run, day)]
        data |= _live_books(pms, day, data.get("compare"))
    return data, problems


def live_day(run: Run, pms: Any) -> str | None:
    """The PMS's newest mark when it is later than this run and no later run exists: the
    run's held-book figures are out of date, so the pages compute the held book live."""
    marks = mark_dates(pms) if pms is not None else []
    newest_run = not run.runs or str(run.date) >= run.runs[-1]
    return marks[0] if marks and marks[0] > str(run.date) and newest_run else None


def _live_note(run: Run, day: str) -> Problem:
    text = (f"{LIVE.format(day=day)}: the PMS was traded and marked after the {run.date} "
            "run; the target book is the run's")  # fmt: skip
    return Problem("info", "Held book", text)


LIVE = "held book, live from PMS as of {day}"


def _live_books(pms: Any, day: str, compare: pd.DataFrame | None) -> dict[str, Any]:
    """The held book's risk tables at the mark of ``day`` computed now from the PMS
    (``pms.live.held_risk``), in the run's table layout, and the comparison's held column."""
    from research_core.pms.live import held_risk

    held = held_risk(pms, day)
    label = LIVE.format(day=day)
    out: dict[str, Any] = {"held_label": label[0].upper() + label[1:], "held_empty": held is None}
    for t in RISK_TABLES:
        out[f"held_{t}"] = None if held is None else held[t].reset_index()
    if compare is not None and held is not None:
        compare = compare.copy()
        compare["held"] = compare["measure"].map(held["headline"])
        compare["difference"] = compare["target"] - compare["held"]
        out["compare"] = compare
    return out


def _side_by_side(data: dict[str, Any], table: str, columns: dict[str, str]) -> pd.DataFrame:
    """``columns`` (name → shown as) of one risk table for each book, joined on its key:
    "held VaR", "target VaR", "held ES", ..."""
    parts = []
    for book in BOOKS:
        frame = data.get(f"{book}_{table}")
        if frame is not None:  # stress: the first column names the scenario
            keys = ["method", "alpha"] if table == "var" else [frame.columns[0], "kind"]
            names = ["method", "level"] if table == "var" else ["scenario", "kind"]
            part = frame.set_index(keys).rename_axis(names)[list(columns)]
            parts.append(part.rename(columns=lambda c, b=book: f"{b} {columns[c]}"))
    both = pd.concat(parts, axis=1) if parts else pd.DataFrame()
    order = [f"{b} {c}" for c in columns.values() for b in BOOKS if f"{b} {c}" in both]
    return both[order].reset_index()


def _fits(data: dict[str, Any]) -> str:
    """The Student-t fit behind each book's student_t rows (``fit`` of its VaR table)."""
    lines = []
    for book in BOOKS:
        var = data.get(f"{book}_var")
        if var is not None and "fit" in var:
            fit = var.loc[var["method"] == "student_t", "fit"]
            if len(fit):
                text = f"Student-t fit, {_label(data, book)}: {fit.iloc[0]}"
                lines.append(f'<p class="wb-sub" data-fit="{book}">{theme.esc(text)}</p>')
    return "".join(lines)


def _compare_card(data: dict[str, Any]) -> str:
    from research_core.narrative.pack import compare_table

    compare = data["compare"]
    compare = compare.set_index("measure") if "measure" in compare else compare
    body = theme.table(compare_table(compare), index=False, name="compare")
    note = theme.message(NONE_HELD, "info") if data.get("held_empty") else ""
    return theme.card("Held book, target book (optimizer), difference (target − held)",
                      note + body, span=12)  # fmt: skip


def _risk_cards(data: dict[str, Any]) -> list[str]:
    blocks = [_compare_card(data)] if data.get("compare") is not None else []
    if data.get("target_var") is not None:
        shown = _side_by_side(data, "var", {"var": "VaR", "es": "ES", "var_brl": "VaR BRL"})
        fmt: dict[str, Any] = {c: money if c.endswith("BRL") else pct for c in shown.columns[2:]}
        title = "VaR and ES by method (% of NAV; BRL mn): held book, target book (optimizer)"
        fmt["level"] = "{:.0%}"
        body = theme.table(shown, formats=fmt, index=False, name="var") + _fits(data)
        blocks.append(theme.card(title, body))
    for book in BOOKS:
        limits = data.get(f"{book}_limits")
        if limits is None:
            continue
        body = theme.table(risk_cards.limit_view(limits), status_column="status", index=False,
                           name=f"limits-{book}")  # fmt: skip
        title = f"Limit use, highest first — {_label(data, book)}" + (
            f" ({NONE_HELD})" if book == "held" and data.get("held_empty") else "")  # fmt: skip
        blocks.append(theme.card(title, body, span=6))
    blocks += _monitor_cards(data)
    if data.get("target_stress") is not None:
        shown = _side_by_side(data, "stress", {"total_pct_nav": "(% NAV)"})
        if "held (% NAV)" in shown:
            shown["difference (% NAV)"] = shown["target (% NAV)"] - shown["held (% NAV)"]
        fmt = {c: "{:+.2%}" for c in shown.columns[2:]}
        title = "Stress scenarios: held book, target book (optimizer), difference"
        blocks.append(theme.card(title, theme.table(shown, formats=fmt, index=False,
                                                    name="stress"), span=12))  # fmt: skip
    return blocks


def _monitor_cards(data: dict[str, Any]) -> list[str]:
    """Each book's VaR backtest and correlation monitor as the run's risk step wrote them."""
    out = []
    for book in BOOKS:
        title = LABEL[book] + (" (as of the run)" if data.get("held_label") and
                               book == "held" else "")  # fmt: skip
        if data.get(f"{book}_backtest") is not None:
            out.append(risk_cards.backtest_card(data[f"{book}_backtest"], title, book))
        if data.get(f"{book}_correlation") is not None:
            pairs, test = data[f"{book}_correlation"], data.get(f"{book}_jennrich")
            out.append(risk_cards.correlation_card(pairs, test, title, book))
    return out


@_renders("risk_monitor")
def _render_risk(page: Page) -> list[Item]:
    d = page.data
    blocks = _risk_cards(d)
    if d.get("pms_drawdown") is not None:
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
    blocks.append(theme.card("Drawdown ladder (the fund's NAV)", body, span=6))
    out: list[Item] = [theme.grid(_risk_kpis(d)), *_var_history(d, page.run.sample)]
    out.append(theme.grid(blocks))
    fig = _component_figure(d, page.run.sample)
    if fig is not None:
        out.append(fig)
    return out


def _var_history(d: dict[str, Any], sample: bool) -> list[Item]:
    """The held book's VaR history against its limit (the target's when none is held)."""
    for book in BOOKS:
        hist = d.get(f"{book}_var_history")
        if hist is not None and not hist.empty:
            title = LABEL[book] + (" (as of the run)" if d.get("held_label") and
                                   book == "held" else "")  # fmt: skip
            return [risk_cards.var_history_figure(hist, title, sample)]
    return []


def _component_figure(d: dict[str, Any], sample: bool) -> Item | None:
    """Component VaR 99% (historical) of each book, held and target bars side by side."""
    fig = theme.figure("Component VaR 99% (historical), % NAV: held vs target", sample=sample)
    drawn = False
    for book in BOOKS:
        comp = d.get(f"{book}_components")
        if comp is None:
            continue
        sel = comp[(comp["method"] == "historical") & ((comp["alpha"] - 0.99).abs() < 1e-9)]
        if sel.empty:
            continue
        sel = sel.sort_values("component_var")
        fig.add_bar(x=sel["component_var"], y=sel["instrument"], orientation="h",
                    name=_label(d, book))  # fmt: skip
        drawn = True
    if not drawn:
        return None
    fig.update_layout(height=460, xaxis_tickformat=".2%", hovermode="y", barmode="group")
    return fig


# --------------------------------------------------------------------------- positions


@_page("position_book")
def _read_positions(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    """The PMS, read live (held book per mark date), and the run's target book."""
    pms, problem = open_pms()
    target = _target(run)
    problems = [problem] if problem else []
    day = live_day(run, pms)
    marks = [] if pms is None else [d for d in mark_dates(pms) if d <= (day or str(run.date))]
    if day is not None:
        problems.append(_live_note(run, day))
    if not marks:
        what = f"the PMS has no mark on or before {run.date}" if pms is not None else "no PMS"
        if target is None:
            problems.append(_missing(run, "book", "book"))
        elif target.empty:
            problems.append(
                Problem("info", "Empty book", f"the book of {run.date} has no positions")
            )
        problems.append(Problem("info", "Held book", f"{what}: {NONE_HELD}"))
    return {"pms": pms, "marks": marks, "target": target}, problems


def _target(run: Run) -> pd.Series | None:
    """The target book (optimizer) of a run: its non-zero weights, or None without one."""
    weights = run.table("book/weights")
    if weights is None:
        return None
    w = weights.set_index("instrument")["weight"] if "instrument" in weights else weights["weight"]
    return w[w.fillna(0.0) != 0.0]


def _target_at(day: str) -> pd.Series | None:
    """The target book of the pipeline run of ``day``, if there is one."""
    run = open_run(f"date={day}")
    return _target(run) if run.path is not None else None


@_renders("position_book")
def _render_positions(page: Page) -> list[Item]:
    pms, target, marks = page.data.get("pms"), page.data.get("target"), page.data.get("marks")
    date = str(page.run.date)
    if pms is not None and marks:  # the newest mark shown (see _read_positions), all selectable
        return [position_book(pms, marks[0], _target_at, run_date=date)]
    form: list[Item] = [] if pms is None else [mark_form(pms, lambda _: None, run_date=date)]
    if target is None or target.empty:
        return form
    frame = target.rename("target % NAV").reset_index()
    tiles = [
        theme.kpi("Target book (optimizer) · positions", str(len(target)), key="target_positions"),
        theme.kpi("Target book (optimizer) · gross (× NAV)", f"{target.abs().sum():.2f}",
                  key="target_gross"),
        theme.kpi("Target book (optimizer) · net (× NAV)", f"{target.sum():+.2f}",
                  key="target_net"),
    ]  # fmt: skip
    body = theme.table(frame, formats={"target % NAV": "{:+.2%}"}, index=False, name="target")
    title = f"Target book (optimizer) of the {page.run.date} run — {NONE_HELD}"
    out: list[Item] = [theme.grid(tiles), theme.grid([theme.card(title, body)])]
    s = target.sort_values()
    fig = theme.figure("Target book (optimizer) weights (× NAV)", sample=page.run.sample)
    colors = [theme.POSITIVE if v >= 0 else theme.NEGATIVE for v in s]
    fig.add_bar(x=s, y=s.index, orientation="h", marker_color=colors, name="target weight")
    fig.update_layout(height=440, hovermode="y")
    out.append(fig)
    return out + form


# --------------------------------------------------------------------------- morning pack


@_page("morning_pack")
def _read_pack(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    data, _ = _read_books(run)
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
        out.append(native_pack(pack))
    return out


def native_pack(pack: str) -> str:
    """The static pack's banners and sections inside the page (no iframe, no second
    header): its style sheet scoped to ``.wb-pack`` so it styles nothing else."""
    css = re.search(r"<style>(.*?)</style>", pack, re.S)
    start, end = pack.find("</header>"), pack.rfind("</main>")
    if css is None or start < 0 or end < 0:
        return theme.message("the Morning Pack file is not in the pack's layout", "warn")
    body = pack[start + len("</header>") : end].replace("<main>", "", 1)
    return f'<style>{_scoped(css.group(1), ".wb-pack")}</style><div class="wb-pack">{body}</div>'


def _scoped(css: str, scope: str) -> str:
    """Each rule's selectors prefixed with ``scope`` (``body`` becomes the scope itself);
    the pack's style sheet has plain rules only (no @media)."""
    rules = []
    for rule in css.split("}"):
        if "{" not in rule:
            continue
        selectors, decls = rule.split("{", 1)
        scoped = ",".join(
            scope if s.strip() == "body" else f"{scope} {s.strip()}" for s in selectors.split(",")
        )
        rules.append(f"{scoped}{{{decls}}}")
    return "".join(rules)


# --------------------------------------------------------------------------- attribution


@_page("attribution")
def _read_attribution(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    """The run's attribution, or the held book's computed live from the PMS
    (``pms.live.attribution_table``) when the PMS was marked after the run."""
    pms, _ = open_pms()
    day = live_day(run, pms)
    if pms is not None and day is not None:
        from research_core.pms.live import attribution_table

        live, pnl = attribution_table(pms, day)
        label = LIVE.format(day=day)
        return {"attribution": live, "pnl": pnl, "label": label}, [_live_note(run, day)]
    table = run.table("attribution")
    if table is None:
        return {}, [_missing(run, "attribution", "attribution")]
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


@_renders("attribution")
def _render_attribution(page: Page) -> list[Item]:
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


# --------------------------------------------------------------------------- agents


@_page("agent_hub")
def _read_agents(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    found = run.record("reports")  # the pipeline's agents/reports.json: {name: report}
    if not isinstance(found, dict):
        found = run.records("agents")
    reports = {k: v for k, v in found.items() if isinstance(v, dict) and "agent" in v}
    data: dict[str, Any] = {"reports": reports, "realtime": run.table("realtime"),
                            "history": run.table("agents/history")}  # fmt: skip
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


_page("strategy_health")(health_page.read_health)  # the page's code: viz/health_page.py
_renders("strategy_health")(health_page.render_health)

# --------------------------------------------------------------------------- curves

_page("curves")(curves_page.read_curves)
_renders("curves")(curves_page.render_curves)


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

"""The Risk Monitor and the Morning Pack pages: each book's risk (held first, the target
beside it, labelled) as the run's risk step wrote it, or the held book's computed live from
the PMS when it was marked after the run; the pack's sections inside the page.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from research_core.formats import money, pct
from research_core.viz import risk_cards, theme
from research_core.viz.book_view import (
    LIVE,
    NONE_HELD,
    live_day,
    live_note,
)
from research_core.viz.pms_pages import open_pms
from research_core.viz.runs import Item, Page, Problem, Run, missing


def _var_row(var: pd.DataFrame, method: str, alpha: float) -> pd.Series | None:
    hit = var[(var["method"] == method) & ((var["alpha"] - alpha).abs() < 1e-9)]
    return None if hit.empty else hit.iloc[0]


BOOKS = ("held", "target")  # the run folder's risk/held/... and risk/target/...
LABEL = {"held": "Held book", "target": "Target book (optimizer)"}
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


def risk_kpis(data: dict[str, Any]) -> list[str]:
    """The held book's tiles first (or the line saying none is held), then the target's."""
    held = _book_kpis(data, "held") if not data.get("held_empty") else []
    if data.get("held_empty"):
        held = [theme.kpi("Held book", NONE_HELD, span=12, key="held_none")]
    return [*held, *_book_kpis(data, "target")]


def read_books(run: Run) -> tuple[dict[str, Any], list[Problem]]:
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
        missing(run, f"target book {t}", "risk")
        for t in ("var", "stress", "limits")
        if data[f"target_{t}"] is None
    ]
    if data["held_empty"]:
        problems.append(Problem("info", "Held book", f"the PMS holds nothing: {NONE_HELD}"))
    return data, problems


def read_risk(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    data, problems = read_books(run)
    pms, _ = open_pms()  # the ladder reads the PMS NAV history when there is one
    data["pms_drawdown"] = pms.drawdown() if pms is not None else None
    day = live_day(run, pms)
    if pms is not None and day is not None:
        problems = [p for p in problems if p.title != "Held book"] + [live_note(run, day)]
        data |= _live_books(pms, day, data.get("compare"))
    return data, problems


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


def render_risk(page: Page) -> list[Item]:
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
    out: list[Item] = [theme.grid(risk_kpis(d)), *_var_history(d, page.run.sample)]
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


def read_pack(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    data, _ = read_books(run)
    data["pack"] = run.text("morning_pack")
    problems = []
    if data["pack"] is None:
        problems.append(missing(run, "Morning Pack", "morning_pack"))
    return data, problems


def render_pack(page: Page) -> list[Item]:
    out: list[Item] = [theme.grid(risk_kpis(page.data))]
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

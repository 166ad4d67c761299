"""Trade Blotter and Decision Journal: PMS pages with ipywidgets.

Every write goes through the PMS workflow (``PMS.approve/reject/modify/submit/execute``),
which validates, journals and audits it in one transaction. Widget entries are parsed here
first (a size "abc", a negative price): a bad entry shows a one-line message and nothing is
called. The database URL is shown only with its password masked.

Who acts is the served session's user (``served_user``), never a name typed on the page:
``workbench serve`` forwards it to the page's kernel (``research_core/serve_auth.py``).
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from research_core.config import get_settings
from research_core.errors import DatabaseURLError, WorkbenchError
from research_core.identity import served_user
from research_core.pms import PMS
from research_core.pms.db import safe_url
from research_core.pms.positions import check_size
from research_core.viz import theme
from research_core.viz.runs import Problem

PENDING = ("PROPOSED",)
EXECUTABLE = ("APPROVED", "MODIFIED")


def open_pms(url: str | None = None) -> tuple[PMS | None, Problem | None]:
    """The PMS at ``url`` (default WORKBENCH_DB_URL) for reading and workflow writes, or a
    Problem: a missing SQLite file, an unreachable server, a schema to upgrade. Never
    creates a database or changes a schema."""
    url = url or get_settings().db_url
    shown = safe_url(url)
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        text = f"no PMS database at {shown}: run `workbench pms init`"
        return None, Problem("error", "No PMS database", text)
    try:
        return PMS.open(url, create=False, actor=served_user() or "dashboard"), None
    except (SQLAlchemyError, OSError, DatabaseURLError) as err:
        cause = err.__cause__ if isinstance(err, DatabaseURLError) else err
        if not isinstance(cause, SQLAlchemyError | OSError):  # a malformed URL
            return None, Problem("error", "PMS database", str(err).replace(url, shown))
        text = f"the PMS database {shown} cannot be reached ({type(cause).__name__})"
        return None, Problem("error", "Database unreachable", text)
    except WorkbenchError as err:
        return None, Problem("error", "PMS database", str(err).replace(url, shown))


def parse_size(text: str) -> float:
    """A positive size typed in a widget (``1e8``, ``150,000,000``); TradeInputError else."""
    return check_size(text.replace(",", "").replace("_", "").strip() or text)


def parse_price(text: str) -> float | None:
    """An optional positive price typed in a widget (blank: the day's market quote)."""
    if not text.strip():
        return None
    return check_size(text.replace(",", "").strip(), "price")


def _impact_html(impact: dict[str, Any]) -> str:
    def f(key: str) -> str:
        v = impact.get(key)
        return "–" if v is None else f"{float(v):+.4%}" if "delta" in key else f"{float(v):.4%}"

    rows = [
        ("ΔVaR 99% 1d (book)", f("delta_var")),
        ("ΔES 99% 1d (book)", f("delta_es")),
        ("component VaR before", f("component_var_before")),
        ("component VaR after", f("component_var_after")),
    ]
    head = "".join(
        theme.kpi(label, value, span=3, key=f"impact-{i}") for i, (label, value) in enumerate(rows)
    )
    limits = impact.get("limits") or {}
    frame = pd.DataFrame(
        [
            {
                "limit": k,
                "after": v.get("after"),
                "max": v.get("max"),
                "headroom": v.get("headroom"),
            }
            for k, v in limits.items()
        ]
    )
    if not frame.empty:
        for c in ("after", "max", "headroom"):
            frame[c] = pd.to_numeric(frame[c], errors="coerce")
    breaches = impact.get("breaches") or []
    warn = (
        theme.message(f"breaches after the trade: {', '.join(map(str, breaches))}", "warn")
        if breaches
        else ""
    )
    body = theme.table(
        frame,
        index=False,
        formats={"after": "{:.4g}", "max": "{:.4g}", "headroom": "{:+.4g}"},
        name="headroom",
    )
    return f'{theme.grid([head])}{warn}<div class="wb">{body}</div>'


class _Action:
    """Runs one workflow call from a button; shows success or the one-line refusal."""

    def __init__(self, out: w.HTML, refresh: Callable[[], None]) -> None:
        self.out, self.refresh = out, refresh

    def __call__(self, fn: Callable[[], str]) -> None:
        try:
            done = fn()
        except WorkbenchError as err:
            self.out.value = theme.message(str(err), "error", title="Not done:")
            return
        self.out.value = theme.message(done, "info", title="Done:")
        self.refresh()


def blotter(pms: PMS, as_of: str) -> w.VBox:
    """Pending proposals with their pre-trade risk and approve / reject / modify; approved
    ones with execute; and a discretionary trade entry with a risk preview."""
    out = w.HTML()
    user = served_user()
    who = w.HTML(
        f"Signed in as <b>{html.escape(user)}</b>: your decisions are recorded under this"
        " name (<a href='/logout'>sign out</a>)"
        if user
        else theme.message(_NoActor.text, "warn")
    )
    who.add_class("wb-who")
    table = w.HTML()
    cards = w.VBox()
    box = w.VBox([w.HTML(theme.style()), w.HBox([who]), out, table, cards, _entry(pms, as_of, out)])

    def refresh() -> None:
        props = pms.proposals()
        shown = props.drop(columns=["agents", "rationale"], errors="ignore").reset_index()
        fmt = {
            "size": "{:,.0f}",
            "approved_size": "{:,.0f}",
            "delta_var": "{:+.4%}",
            "delta_es": "{:+.4%}",
        }
        fmt |= {"component_var_before": "{:.4%}", "component_var_after": "{:.4%}"}
        body = (
            theme.table(shown, formats=fmt, index=False, name="proposals")
            if not props.empty
            else theme.message("no proposals yet", "info")
        )
        table.value = theme.grid([theme.card("Proposals", body)])
        cards.children = [
            _proposal_card(pms, int(str(pid)), row, out, refresh)
            for pid, row in props.iterrows()
            if row["state"] in PENDING + EXECUTABLE
        ]

    refresh()
    return box


def _actor() -> str:
    name = served_user()
    if not name:
        raise _NoActor(_NoActor.text)
    return name


class _NoActor(WorkbenchError):
    """A workflow button was pressed on a page not opened through ``workbench serve``."""

    text = "no signed-in user: open this page through `workbench serve`"


def _proposal_card(
    pms: PMS, pid: int, row: pd.Series, out: w.HTML, refresh: Callable[[], None]
) -> w.VBox:
    act = _Action(out, refresh)
    what = f"{row['side']} {row['size']:,.0f} {row['instrument']}"
    title = f"#{pid} {what} — {row['state']} ({row['strategy']})"
    risk = w.HTML(theme.card(title, _impact_html(pms.proposal(pid)["impact"])))
    reason = w.Text(placeholder="why", description="Reason")
    if row["state"] in PENDING:
        size = w.Text(placeholder="new size", description="Size")
        approve = w.Button(description="Approve", button_style="primary")
        reject = w.Button(description="Reject")
        modify = w.Button(description="Modify")
        for b, name in ((approve, "approve"), (reject, "reject"), (modify, "modify")):
            b.add_class(f"wb-{name}-{pid}")

        def decide(event: str) -> str:
            actor, why = _actor(), reason.value
            if event == "modify":
                state = pms.modify(pid, parse_size(size.value), actor=actor, reason=why)
            elif event == "approve":
                state = pms.approve(pid, actor=actor, reason=why)
            else:
                state = pms.reject(pid, actor=actor, reason=why)
            return f"proposal {pid} is {state}"

        approve.on_click(lambda _: act(lambda: decide("approve")))
        reject.on_click(lambda _: act(lambda: decide("reject")))
        modify.on_click(lambda _: act(lambda: decide("modify")))
        size.add_class(f"wb-size-{pid}")
        controls = w.HBox([reason, size, approve, reject, modify])
    else:
        price = w.Text(placeholder="blank: market", description="Price")
        price.add_class(f"wb-price-{pid}")
        execute = w.Button(description="Execute", button_style="primary")
        execute.add_class(f"wb-execute-{pid}")

        def run() -> str:
            px = parse_price(price.value)
            fill = pms.execute(
                pid,
                idempotency_key=uuid.uuid4().hex,
                actor=_actor(),
                price=px,
                reason=reason.value,
            )
            return f"proposal {pid} executed as trade {fill.trade_id}"

        execute.on_click(lambda _: act(run))
        controls = w.HBox([reason, price, execute])
    reason.add_class(f"wb-reason-{pid}")
    return w.VBox([risk, controls])


def _entry(pms: PMS, as_of: str, out: w.HTML) -> w.VBox:
    from research_core.catalog.catalog import instruments

    inst = w.Dropdown(options=sorted(instruments()), description="Instrument")
    side = w.Dropdown(options=["buy", "sell"], description="Side")
    size = w.Text(placeholder="e.g. 1e8", description="Size")
    size.add_class("wb-entry-size")
    reason = w.Text(placeholder="why", description="Reason")
    preview = w.Button(description="Preview risk")
    submit = w.Button(description="Submit", button_style="primary")
    preview.add_class("wb-entry-preview")
    submit.add_class("wb-entry-submit")
    risk = w.HTML()

    def show_preview(_: object) -> None:
        try:
            impact = pms.impact(inst.value, side.value, parse_size(size.value), as_of=as_of)
        except WorkbenchError as err:
            out.value = theme.message(str(err), "error", title="Not done:")
            return
        risk.value = _impact_html(impact)

    def do_submit() -> str:
        pid = pms.submit(
            inst.value,
            side.value,
            parse_size(size.value),
            as_of=as_of,
            actor=_actor(),
            reason=reason.value,
        )
        return f"discretionary trade stored as proposal {pid}"

    preview.on_click(show_preview)
    submit.on_click(lambda _: _Action(out, lambda: None)(do_submit))
    head = w.HTML(
        theme.grid(
            [
                theme.card(
                    "Discretionary trade",
                    "<p>Pre-trade risk is shown by Preview before you submit.</p>",
                )
            ]
        )
    )
    return w.VBox([head, w.HBox([inst, side, size]), w.HBox([reason, preview, submit]), risk])


NONE_HELD = "no positions held; target shown"


def mark_dates(pms: PMS) -> list[str]:
    """The dates the PMS book was marked, newest first (the Position Book's selector)."""
    return [f"{d:%Y-%m-%d}" for d in reversed(pms.nav_history().index)]


def held_table(pms: PMS, day: str, target: pd.Series | None) -> pd.DataFrame:
    """The book the PMS held at the mark of ``day``, read live: per instrument the quantity
    (local notional), currency, the mark (quote), BRL notional, % of NAV and the day's P&L
    (BRL), with the target book's weight beside it and the trade to it (% of NAV)."""
    held = pms.held(day)
    rows = pms.pnl_history()
    rows = rows[pd.to_datetime(rows["as_of"]) == pd.Timestamp(day)]
    marks = rows.groupby("instrument_id")["quote"].last()
    pnl = rows.groupby("instrument_id")["pnl_brl"].sum()
    ids = held.index.union(target.index if target is not None else pd.Index([]))
    out = pd.DataFrame(index=pd.Index(ids, name="instrument"))
    out["quantity (local)"] = held["quantity"]
    out["currency"] = held["currency"]
    out["mark"] = marks.reindex(ids)
    out["BRL"] = held["notional_brl"]
    out["held % NAV"] = held["weight"].reindex(ids).fillna(0.0)
    if target is not None:
        out["target % NAV"] = target.reindex(ids).fillna(0.0)
        out["trade % NAV (target − held)"] = out["target % NAV"] - out["held % NAV"]
    out["P&L day (BRL)"] = pnl.reindex(ids)
    first = (-out["held % NAV"].abs()).rank(method="first")  # the held book first
    return out.iloc[first.argsort()].reset_index()


HELD_FORMATS = {
    "quantity (local)": "{:,.0f}",
    "mark": "{:,.4f}",
    "BRL": "{:,.0f}",
    "held % NAV": "{:+.2%}",
    "target % NAV": "{:+.2%}",
    "trade % NAV (target − held)": "{:+.2%}",
    "P&L day (BRL)": "{:+,.0f}",
}


def position_html(pms: PMS, day: str, target: pd.Series | None) -> str:
    """Tiles and table of the held book at the mark of ``day`` (target beside it)."""
    table = held_table(pms, day, target)
    held = table[table["held % NAV"] != 0.0]
    nav = pms.nav(day)
    tiles = [
        theme.kpi("Held book · positions", str(len(held)), key="positions"),
        theme.kpi("Held book · gross (× NAV)", f"{held['held % NAV'].abs().sum():.2f}",
                  key="gross"),
        theme.kpi("Held book · net (× NAV)", f"{held['held % NAV'].sum():+.2f}", key="net"),
        theme.kpi(f"NAV at the {day} mark", f"BRL {nav:,.0f}", key="nav"),
    ]  # fmt: skip
    if target is not None:
        t = target[target != 0.0]
        tiles += [
            theme.kpi("Target book (optimizer) · positions", str(len(t)), key="target_positions"),
            theme.kpi("Target book (optimizer) · gross (× NAV)", f"{t.abs().sum():.2f}",
                      key="target_gross"),
        ]  # fmt: skip
    note = theme.message(NONE_HELD, "info") if held.empty else ""
    title = f"Held book at the {day} mark" + (", target book (optimizer) beside it" if
                                              target is not None else "")  # fmt: skip
    body = theme.table(table, formats=HELD_FORMATS, index=False, name="book")
    return theme.grid(tiles) + note + theme.grid([theme.card(title, body)])


def position_book(
    pms: PMS, default: str | None, target_at: Callable[[str], pd.Series | None]
) -> w.VBox:
    """The Position Book, read from the PMS live: a selector over the mark dates (default
    ``default`` when it is one, else the newest) and the held book at that mark, with the
    target book of that date's pipeline run (``target_at``) beside it."""
    dates = mark_dates(pms)
    pick = w.Dropdown(options=dates, description="Mark of")
    pick.add_class("wb-mark-date")
    shown = w.HTML()

    def show(_: object = None) -> None:
        try:
            shown.value = position_html(pms, pick.value, target_at(pick.value))
        except WorkbenchError as err:
            shown.value = theme.message(str(err), "error", title="Not shown:")

    pick.value = default if default in dates else dates[0]
    pick.observe(show, names="value")
    show()
    return w.VBox([w.HTML(theme.style()), pick, shown])


def journal_view(pms: PMS) -> w.VBox:
    """Search decisions (instrument, strategy, outcome), see each one's P&L since, and
    replay a decision from its recorded lake snapshot."""
    inst = w.Text(description="Instrument")
    strat = w.Text(description="Strategy")
    outcome = w.Dropdown(
        options=["", "gain", "loss", "flat", "open", "none"], description="Outcome"
    )
    search = w.Button(description="Search", button_style="primary")
    search.add_class("wb-search")
    table = w.HTML()
    rid = w.Text(description="Decision #")
    rid.add_class("wb-replay-id")
    replay = w.Button(description="Replay")
    replay.add_class("wb-replay")
    result = w.HTML()

    def do_search(_: object = None) -> None:
        try:
            frame = pms.journal(
                instrument=inst.value.strip() or None,
                strategy=strat.value.strip() or None,
                outcome=outcome.value or None,
            )
        except WorkbenchError as err:
            table.value = theme.message(str(err), "error")
            return
        fmt = {"pnl_since": "{:,.0f}"}
        body = (
            theme.table(
                frame.drop(columns=["code_version"], errors="ignore"), formats=fmt, name="journal"
            )
            if not frame.empty
            else theme.message("no decision matches", "info")
        )
        table.value = theme.grid([theme.card(f"Decisions ({len(frame)})", body)])

    def do_replay(_: object) -> None:
        try:
            number = int(rid.value.strip())
        except ValueError:
            result.value = theme.message(
                f"decision number {rid.value!r} is not a whole number", "error"
            )
            return
        try:
            rep = pms.replay(number)
        except WorkbenchError as err:
            result.value = theme.message(str(err), "error")
            return
        result.value = theme.message(
            rep.summary(), "info" if rep.identical else "warn", title="Replay:"
        )

    search.on_click(do_search)
    replay.on_click(do_replay)
    do_search()
    return w.VBox(
        [
            w.HTML(theme.style()),
            w.HBox([inst, strat, outcome, search]),
            table,
            w.HBox([rid, replay]),
            result,
        ]
    )

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
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import ipywidgets as w
import pandas as pd
from sqlalchemy.exc import SQLAlchemyError

from research_core.catalog import instrument as catalog_instrument
from research_core.config import get_settings
from research_core.errors import (
    DatabaseURLError,
    LimitBreachError,
    StaleQuoteError,
    StaleQuoteWarning,
    TradeInputError,
    TransitionError,
    WorkbenchError,
)
from research_core.formats import money, pct
from research_core.identity import served_user
from research_core.pms import PMS
from research_core.pms.db import safe_url
from research_core.pms.live import last_mark, next_session
from research_core.pms.positions import check_size, market_quote
from research_core.pms.system import to_date
from research_core.viz import risk_cards, theme
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
                "key": v.get("key", ""),
            }
            for k, v in limits.items()
        ]
    )
    if not frame.empty:  # each number in its limit's unit (% of NAV, × NAV, days, ...)
        for c in ("after", "max", "headroom"):
            frame[c] = [risk_cards.limit_value(x, k, signed=c == "headroom")
                        for x, k in zip(frame[c], frame["key"], strict=True)]  # fmt: skip
        frame = frame.drop(columns="key")
    breaches = impact.get("breaches") or []
    warn = (
        theme.message(f"breaches after the trade: {', '.join(map(str, breaches))}", "warn")
        if breaches
        else ""
    )
    body = theme.table(frame, index=False, name="headroom")
    return f'{theme.grid([head])}{warn}<div class="wb">{body}</div>'


class _Action:
    """Runs one workflow call from a button and shows success or the one-line refusal in
    ``out``, the line beside that button. A success is kept in ``notes`` under the proposal
    (``key``) so the card rebuilt by ``refresh`` shows it beside the same buttons."""

    def __init__(
        self,
        out: w.HTML,
        refresh: Callable[[], None],
        notes: dict[int, str] | None = None,
        key: int | None = None,
    ) -> None:
        self.out, self.refresh, self.notes, self.key = out, refresh, notes, key

    def __call__(self, fn: Callable[[], str]) -> None:
        self.out.value = theme.message("…", "info", title="Working:")  # shown at once
        try:
            done = fn()
        except WorkbenchError as err:
            self.out.value = theme.message(str(err), "error", title="Not done:")
            return
        said = theme.message(done, "info", title="Done:")
        if self.notes is not None and self.key is not None:
            self.notes[self.key] = said  # shown by the rebuilt card, not the one replaced
        else:
            self.out.value = said
        self.refresh()


def _feedback(name: str, value: str = "") -> w.HTML:
    """The line beside a row of buttons where their result appears (class ``name``)."""
    out = w.HTML(value, layout=w.Layout(flex="1 1 auto", margin="0 0 0 8px"))
    out.add_class(name)
    return out


PACKAGE_SLOT = "wb-package-slot"
"""The blotter's top slot: the newest package's card (ΔVaR/ΔES of the whole package, each
proposal's contribution, the limits after: ``viz/package_view.py``) and its approval."""


def _package_card(
    pms: PMS, slot: w.VBox, notes: dict[int, str], refresh: Callable[[], None]
) -> None:
    """Fill ``slot`` with the newest package priced now and an "Approve package" row (an
    override field for a hard-limit breach; the result beside the button); empty when no
    package has live proposals."""
    from research_core.pms.package import latest
    from research_core.viz.package_view import package_html

    try:
        package = pms.package(latest(pms))
    except TransitionError:  # no package yet, or none of its proposals is still live
        slot.children = []
        return
    pid = int(package.package_id or 0)
    card = w.HTML(theme.card(f"Package #{pid}: the proposals together", package_html(package)))
    reason = w.Text(placeholder="why", description="Reason")
    override = w.Text(placeholder="why breach the hard limit", description="Override")
    override.add_class("wb-package-override")
    button = w.Button(description="Approve package", button_style="primary")
    button.add_class("wb-package-approve")
    out = _feedback("wb-package-feedback", notes.pop(-pid, ""))
    act = _Action(out, refresh, notes, -pid)

    def approve() -> str:
        signed = override.value.strip() or None
        state = pms.approve_package(pid, actor=_actor(), reason=reason.value, override=signed)
        if state in PENDING:
            return f"override signed by {_actor()}: package {pid} waits for a second approver"
        return f"package {pid} is {state}"

    button.on_click(lambda _: act(approve))
    slot.children = [card, w.HBox([reason, override]), w.HBox([button, out])]


def blotter(pms: PMS, as_of: str) -> w.VBox:
    """The package slot on top, the proposals, one card each with its pre-trade risk and
    approve / reject / modify (pending) or execute (approved), each card's result beside
    its buttons; and a discretionary trade entry with a risk preview, whose submitted
    trade appears in the list at once."""
    user = served_user()
    who = w.HTML(
        f"Signed in as <b>{html.escape(user)}</b>: your decisions are recorded under this"
        " name (<a href='/logout'>sign out</a>)"
        if user
        else theme.message(_NoActor.text, "warn")
    )
    who.add_class("wb-who")
    package = w.VBox()
    package.add_class(PACKAGE_SLOT)
    table = w.HTML()
    cards = w.VBox()
    notes: dict[int, str] = {}  # the last result per proposal, kept across refreshes
    built: dict[int, tuple[str, w.VBox]] = {}  # each card as built, and in which state

    def refresh() -> None:
        _package_card(pms, package, notes, refresh)
        props = pms.proposals()
        shown = props.drop(columns=["agents", "rationale"], errors="ignore").reset_index()
        fmt: dict[str, Any] = {
            "size": "{:,.0f}",
            "approved_size": "{:,.0f}",
            "delta_var": "{:+.4%}",
            "delta_es": "{:+.4%}",
            "delta_weight": lambda v: pct(v, signed=True),  # % of NAV, not a bare fraction
        }
        fmt |= {"component_var_before": "{:.4%}", "component_var_after": "{:.4%}"}
        body = (
            theme.table(shown, formats=fmt, index=False, name="proposals")
            if not props.empty
            else theme.message("no proposals yet", "info")
        )
        table.value = theme.grid([theme.card("Proposals", body)])
        children = []
        for pid, row in props.iterrows():
            i = int(str(pid))
            if row["state"] not in PENDING + EXECUTABLE and i not in notes:
                continue
            if i in notes or built.get(i, (None,))[0] != row["state"]:  # changed: rebuild
                built[i] = (str(row["state"]), _proposal_card(pms, i, row, notes, refresh))
            children.append(built[i][1])
        cards.children = children

    refresh()
    entry = _entry(pms, as_of, refresh)
    return w.VBox([w.HTML(theme.style()), w.HBox([who]), package, table, cards, entry])


def _actor() -> str:
    name = served_user()
    if not name:
        raise _NoActor(_NoActor.text)
    return name


class _NoActor(WorkbenchError):
    """A workflow button was pressed on a page not opened through ``workbench serve``."""

    text = "no signed-in user: open this page through `workbench serve`"


def hard_breaches(impact: dict[str, Any]) -> list[str]:
    """The hard limits the proposal's stored pre-trade risk says the book after it breaches."""
    limits = impact.get("limits") or {}
    return sorted(k for k, v in limits.items() if v.get("status") == "breach" and
                  v.get("kind") == "hard")  # fmt: skip


def _proposal_card(
    pms: PMS, pid: int, row: pd.Series, notes: dict[int, str], refresh: Callable[[], None]
) -> w.VBox:
    what = f"{row['side']} {row['size']:,.0f} {row['currency']} {row['instrument']}"
    title = f"#{pid} {what} — {row['state']} ({row['strategy']})"
    impact = pms.proposal(pid)["impact"]
    risk = w.HTML(theme.card(title, _impact_html(impact)))
    out = _feedback(f"wb-feedback-{pid}", notes.pop(pid, ""))
    act = _Action(out, refresh, notes, pid)
    reason = w.Text(placeholder="why", description="Reason")
    reason.add_class(f"wb-reason-{pid}")
    if row["state"] in PENDING:
        fields, buttons = _decide_controls(pms, pid, impact, reason, act, out)
    elif row["state"] in EXECUTABLE:
        fields, buttons = _execute_controls(pms, pid, str(row["instrument"]), reason, act)
    else:  # decided or executed here: its result stays beside where its buttons were
        return w.VBox([risk, w.HBox([out])])
    return w.VBox([risk, w.HBox(fields), w.HBox([*buttons, out])])


def _decide_controls(
    pms: PMS, pid: int, impact: dict[str, Any], reason: w.Text, act: _Action, out: w.HTML
) -> tuple[list[w.Widget], list[w.Button]]:
    """Approve / reject / modify, with the override reason field when the book after the
    trade breaches a hard limit (shown too when an approval is refused for lack of one)."""
    size = w.Text(placeholder="new size", description="Size")
    size.add_class(f"wb-size-{pid}")
    hard = hard_breaches(impact)
    override = w.Text(
        placeholder="why breach the hard limit",
        description="Override",
        layout=w.Layout(display="" if hard else "none"),
    )
    override.add_class(f"wb-override-{pid}")
    buttons = []
    for name, style in (("approve", "primary"), ("reject", ""), ("modify", "")):
        b = w.Button(description=name.capitalize(), button_style=style)
        b.add_class(f"wb-{name}-{pid}")
        buttons.append(b)

    def decide(event: str) -> str:
        actor, why = _actor(), reason.value
        signed = override.value.strip() or None
        try:
            if event == "modify":
                qty = parse_size(size.value)
                state = pms.modify(pid, qty, actor=actor, reason=why, override=signed)
            elif event == "approve":
                state = pms.approve(pid, actor=actor, reason=why, override=signed)
            else:
                state = pms.reject(pid, actor=actor, reason=why)
        except LimitBreachError as err:
            if "needs an override" in str(err):
                override.layout.display = ""
            raise
        if signed is not None and state in PENDING:
            return (
                f"override signed by {actor}: proposal {pid} waits for a second, different "
                f"approver ({state})"
            )
        return f"proposal {pid} is {state}"

    for b, name in zip(buttons, ("approve", "reject", "modify"), strict=True):
        b.on_click(lambda _, n=name: act(lambda: decide(n)))
    if hard:
        out.value = out.value or theme.message(
            f"the book after this trade breaches hard limits ({', '.join(hard)}): an"
            " approval needs an override reason, signed by two different approvers",
            "warn",
        )
    return [reason, override, size], buttons


def _execute_controls(
    pms: PMS, pid: int, instrument_id: str, reason: w.Text, act: _Action
) -> tuple[list[w.Widget], list[w.Button]]:
    """Execute on a trade date (default: the next B3 session after the last mark) at a
    price (default: the market at that date, editable). The idempotency key is made by the
    first click and kept: a second click books nothing more."""
    marked = last_mark(pms)
    day = next_session(marked) if marked is not None else pms.proposal(pid)["as_of"]
    date = w.Text(value=f"{day:%Y-%m-%d}", description="Trade date")
    date.add_class(f"wb-trade-date-{pid}")
    price = w.Text(value=_market_text(pms, instrument_id, date.value), description="Price")
    price.add_class(f"wb-price-{pid}")
    shown = {"market": price.value}

    def follow(_: object) -> None:  # a price nobody typed follows the date
        market = _market_text(pms, instrument_id, date.value)
        if price.value == shown["market"]:
            price.value = market
        shown["market"] = market

    date.observe(follow, names="value")
    execute = w.Button(description="Execute", button_style="primary")
    execute.add_class(f"wb-execute-{pid}")
    click: dict[str, Any] = {"key": None, "done": None}

    def run() -> str:
        if click["done"] is not None:  # a double click: the first one booked it
            return str(click["done"])
        if not date.value.strip():
            raise TradeInputError("execution needs a trade date (YYYY-MM-DD); nothing executed")
        when = to_date(date.value.strip(), "trade date")
        px = parse_price(price.value)
        click["key"] = click["key"] or uuid.uuid4().hex
        fill = pms.execute(pid, idempotency_key=click["key"], actor=_actor(), price=px,
                           trade_date=when, reason=reason.value)  # fmt: skip
        at = "the market" if px is None else f"{px:,.10g}"
        click["done"] = f"proposal {pid} executed as trade {fill.trade_id} on {when} at {at}"
        return str(click["done"])

    execute.on_click(lambda _: act(run))
    return [reason, date, price], [execute]


def _market_text(pms: PMS, instrument_id: str, day: str) -> str:
    """The instrument's market quote known at ``day`` (the lake), as the price field shows
    it; blank when the date is not a date or there is no quote (the execution says why)."""
    try:
        view = pms.view(to_date(day.strip(), "trade date"))
        return f"{market_quote(view, catalog_instrument(instrument_id)):.10g}"
    except WorkbenchError:
        return ""


def _entry(pms: PMS, as_of: str, refresh: Callable[[], None]) -> w.VBox:
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
    inst.add_class("wb-entry-instrument")
    side.add_class("wb-entry-side")
    out = _feedback("wb-feedback-entry")
    risk = w.HTML()

    def show_preview(_: object) -> None:
        try:
            impact = pms.impact(inst.value, side.value, parse_size(size.value), as_of=as_of)
        except WorkbenchError as err:
            out.value = theme.message(str(err), "error", title="Not done:")
            return
        out.value = ""
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
        return f"discretionary trade stored as proposal {pid} (in the list above)"

    preview.on_click(show_preview)
    submit.on_click(lambda _: _Action(out, refresh)(do_submit))
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
    return w.VBox(
        [head, w.HBox([inst, side, size]), w.HBox([reason]), w.HBox([preview, submit, out]), risk]
    )


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
    out["BRL mn"] = held["notional_brl"] / 1e6
    out["held % NAV"] = held["weight"].reindex(ids).fillna(0.0)
    if target is not None:
        out["target % NAV"] = target.reindex(ids).fillna(0.0)
        out["trade % NAV (target − held)"] = out["target % NAV"] - out["held % NAV"]
    out["P&L day (BRL mn)"] = pnl.reindex(ids) / 1e6
    first = (-out["held % NAV"].abs()).rank(method="first")  # the held book first
    return out.iloc[first.argsort()].reset_index()


HELD_FORMATS = {
    "quantity (local)": "{:,.0f}",
    "mark": "{:,.4f}",
    "BRL mn": "{:,.1f}",
    "held % NAV": "{:+.2%}",
    "target % NAV": "{:+.2%}",
    "trade % NAV (target − held)": "{:+.2%}",
    "P&L day (BRL mn)": "{:+,.2f}",
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
        theme.kpi(f"NAV at the {day} mark", money(nav), key="nav"),
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
    pms: PMS,
    default: str | None,
    target_at: Callable[[str], pd.Series | None],
    *,
    run_date: str | None = None,
) -> w.VBox:
    """The Position Book, read from the PMS live: a selector over the mark dates (default
    ``default`` when it is one, else the newest), the held book at that mark with the
    target book of that date's pipeline run (``target_at``) beside it, and a mark form
    (a new mark is selected at once)."""
    dates = mark_dates(pms)
    pick = w.Dropdown(options=dates, description="Mark of")
    pick.add_class("wb-mark-date")
    shown = w.HTML()

    def show(_: object = None) -> None:
        if pick.value is None:
            shown.value = theme.message(f"the PMS has no mark yet: {NONE_HELD}", "info")
            return
        try:
            shown.value = position_html(pms, pick.value, target_at(pick.value))
        except WorkbenchError as err:
            shown.value = theme.message(str(err), "error", title="Not shown:")

    def marked(day: str) -> None:
        pick.options = mark_dates(pms)
        pick.value = day  # observed: shows the new mark

    if dates:
        pick.value = default if default in dates else dates[0]
    pick.observe(show, names="value")
    show()
    form = mark_form(pms, marked, run_date=run_date)
    return w.VBox([w.HTML(theme.style()), pick, shown, form])


STALE_CLI = "mark with --stale-ok (stale_ok=True)"  # the PMS's hint, for the CLI


def mark_form(pms: PMS, marked: Callable[[str], None], *, run_date: str | None = None) -> w.VBox:
    """Mark the book from the lake at a date (default: the next B3 session after the last
    mark, else the run's date). Stale quotes are refused unless "accept stale quotes" is
    ticked (the CLI's ``--stale-ok``); the result shows beside the button."""
    last = last_mark(pms)
    day = f"{next_session(last):%Y-%m-%d}" if last is not None else (run_date or "")
    date = w.Text(value=day, description="Mark date")
    date.add_class("wb-mark-day")
    stale = w.Checkbox(value=False, description="accept stale quotes", indent=False)
    stale.add_class("wb-mark-stale")
    button = w.Button(description="Mark", button_style="primary")
    button.add_class("wb-mark")
    out = _feedback("wb-feedback-mark")

    def do_mark() -> str:
        when = to_date(date.value.strip(), "mark date")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", StaleQuoteWarning)
            try:
                m = pms.mark(when, actor=_actor(), stale_ok=stale.value)
            except StaleQuoteError as err:
                hint = str(err).replace(STALE_CLI, "tick 'accept stale quotes'")
                raise StaleQuoteError(hint) from err
        stale_notes = [c for c in caught if issubclass(c.category, StaleQuoteWarning)]
        note = "".join(f"; {c.message}" for c in stale_notes)
        again = " (already marked: nothing changed)" if m.already_marked else ""
        text = (f"marked {when}: NAV {money(m.nav_brl)}, P&L BRL {m.pnl_brl / 1e6:+,.2f} mn "
                f"({m.lots} lots){again}{note}")  # fmt: skip
        marked(f"{when:%Y-%m-%d}")
        return text

    button.on_click(lambda _: _Action(out, lambda: None)(do_mark))
    text = "<p>Marks every position from the lake as known at the date (a B3 session).</p>"
    head = w.HTML(theme.grid([theme.card("Mark the book", text)]))
    return w.VBox([head, w.HBox([date, stale]), w.HBox([button, out])])


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
    button = w.Button(description="Replay")
    button.add_class("wb-replay")
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
        from research_core.viz.journal_table import journal_table

        body = (
            journal_table(frame)
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
        from research_core.pms.journal import REPLAY_STEPS, replay

        def step(name: str) -> None:  # each step as it starts: a book rebuild takes seconds
            k = REPLAY_STEPS.index(name) + 1
            text = f"decision {number}, step {k} of {len(REPLAY_STEPS)}: {name}…"
            result.value = theme.message(text, "info", title="Replaying:")

        button.disabled = True
        try:
            rep = replay(pms.engine, pms.lake, number, progress=step)
        except WorkbenchError as err:
            result.value = theme.message(str(err), "error")
            return
        finally:
            button.disabled = False
        result.value = theme.message(
            rep.summary(), "info" if rep.identical else "warn", title="Replay:"
        )

    search.on_click(do_search)
    button.on_click(do_replay)
    do_search()
    return w.VBox(
        [
            w.HTML(theme.style()),
            w.HBox([inst, strat, outcome, search]),
            table,
            w.HBox([rid, button]),
            result,
        ]
    )

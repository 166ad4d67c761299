"""The Trade Blotter: the newest package and its approval, each proposal's pre-trade risk
with its workflow buttons (approve, reject, modify; execute), and a new-proposal entry.

Every write goes through the PMS workflow (see :mod:`research_core.viz.pms_common`, whose
parsing and actions this uses): a bad entry shows a one-line message and nothing is called.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable
from typing import Any

import ipywidgets as w
import pandas as pd

from research_core.catalog import instrument as catalog_instrument
from research_core.errors import (
    LimitBreachError,
    TradeInputError,
    TransitionError,
    WorkbenchError,
)
from research_core.formats import pct
from research_core.identity import served_user
from research_core.pms import PMS
from research_core.pms.live import last_mark, next_session
from research_core.pms.positions import market_quote
from research_core.pms.system import to_date
from research_core.viz import risk_cards, theme
from research_core.viz.pms_common import (
    EXECUTABLE,
    PENDING,
    Action,
    NoActorError,
    acting_user,
    feedback,
    parse_price,
    parse_size,
)


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
    out = feedback("wb-package-feedback", notes.pop(-pid, ""))
    act = Action(out, refresh, notes, -pid)

    def approve() -> str:
        signed = override.value.strip() or None
        state = pms.approve_package(pid, actor=acting_user(), reason=reason.value, override=signed)
        if state in PENDING:
            return f"override signed by {acting_user()}: package {pid} waits for a second approver"
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
        else theme.message(NoActorError.text, "warn")
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
    out = feedback(f"wb-feedback-{pid}", notes.pop(pid, ""))
    act = Action(out, refresh, notes, pid)
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
    pms: PMS, pid: int, impact: dict[str, Any], reason: w.Text, act: Action, out: w.HTML
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
        actor, why = acting_user(), reason.value
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
    pms: PMS, pid: int, instrument_id: str, reason: w.Text, act: Action
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
        fill = pms.execute(pid, idempotency_key=click["key"], actor=acting_user(), price=px,
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
    out = feedback("wb-feedback-entry")
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
            actor=acting_user(),
            reason=reason.value,
        )
        return f"discretionary trade stored as proposal {pid} (in the list above)"

    preview.on_click(show_preview)
    submit.on_click(lambda _: Action(out, refresh)(do_submit))
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

"""Deciding proposals, a service of the PMS facade: approve, reject, modify and expire
through the state machine (``pms.workflow``), each approval gated on the limits of the
book it leaves (``pms.gate``), and the execution of an approved proposal into the book.

Each function takes the facade (``pms``) first; ``PMS`` delegates to them.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from research_core.errors import LimitBreachError, TransitionError
from research_core.pms import db, gate
from research_core.pms.book import check_key, check_trade_date, fill_price, required_key, to_date
from research_core.pms.journal import Entry, record_audited
from research_core.pms.models import Proposal
from research_core.pms.positions import Fill, Ticket, book_trade, catalog_instrument
from research_core.pms.workflow import DECIDING, transition

if TYPE_CHECKING:
    from research_core.pms.system import PMS


def decide(
    pms: PMS,
    proposal_id: int,
    event: str,
    *,
    actor: str | None,
    reason: str,
    size: float | None = None,
    override: str | None = None,
) -> Proposal:
    """One decision; an approval (approve, modify) is first priced on the book it would
    leave (``gate.proposal_gate``) and a hard breach needs ``override`` from two
    different people (``gate.override``): the first signature leaves it PROPOSED."""
    who = pms._who(actor)
    four_eyes = bool(pms.settings()["four_eyes"])
    checked = gate.proposal_gate(pms, int(proposal_id), size) if event in DECIDING else None
    if checked is None and override is not None:
        raise LimitBreachError(f"an override belongs to an approval, not to {event}")
    with db.unit_of_work(pms.engine) as s:
        limits: dict[str, Any] = {}
        if checked is not None:
            prop = s.get(Proposal, int(proposal_id), populate_existing=True)
            assert prop is not None  # the gate found it
            qty = prop.quantity if size is None else size
            asked = gate.Approval(event, who, qty, override, four_eyes)
            signed = gate.override(s, prop, asked, checked)
            if signed is None:
                return prop  # the first of two signatures: still PROPOSED
            limits = signed
        row = transition(s, int(proposal_id), event, actor=who, reason=reason, four_eyes=four_eyes)
        if size is not None:
            row.approved_quantity = size
        elif event == "approve":
            row.approved_quantity = row.quantity
        state = {"state": row.state, "size": row.approved_quantity}
        why = reason or str(override or "")
        entry = Entry.on_proposal(
            row, actor=who, action=event, reason=why, detail=state | limits, snapshot=row.snapshot
        )
        record_audited(s, entry, state | {"reason": reason} | limits, entity=("proposal", row.id))
    gate.warn_soft(checked.soft if checked is not None else (), stacklevel=3)
    return row


def execute(
    pms: PMS,
    proposal_id: int,
    *,
    idempotency_key: str,
    actor: str | None,
    price: float | None,
    trade_date: object | None,
    reason: str,
) -> Fill:
    """APPROVED/MODIFIED → EXECUTED: book the trade; see :meth:`PMS.execute`."""
    who = pms._who(actor)
    key = required_key(idempotency_key, "execution needs an idempotency key; nothing executed")
    with db.read_session(pms.engine) as s:
        found = s.get(Proposal, int(proposal_id))
        if found is None:
            raise TransitionError(f"no proposal {proposal_id}")
        prop = found
    inst = catalog_instrument(prop.instrument_id)
    day = prop.as_of if trade_date is None else to_date(trade_date, "trade date")
    view = pms.view(day)
    px = fill_price(view, inst, price)
    qty = prop.side * (prop.approved_quantity or prop.quantity)
    agents = tuple(json.loads(prop.agents))
    ticket = Ticket(inst.id, qty, px, day, who, key, prop.strategy, agents, reason, prop.id)
    with db.unit_of_work(pms.engine) as s:
        check_key(s, key)
        row = transition(s, prop.id, "execute", actor=who, reason=reason)
        check_trade_date(pms, s, day)
        fill = book_trade(s, view, ticket)
        row.trade_id = fill.trade_id
        detail = {"quantity": qty, "price": px}
        entry = Entry(
            who, "execute", reason, day, inst.id, prop.strategy, prop.id, fill.trade_id, detail
        )
        payload = detail | {
            "trade": fill.trade_id,
            "trade_date": day,
            "idempotency_key": key,
            "opened": list(fill.opened),
        }
        record_audited(s, entry, payload, entity=("proposal", prop.id), view=view)
    return fill

"""Proposals, a service of the PMS facade: the target decided against the book held and
stored as one proposal per trade with its pre-trade risk (``propose``), a trade entered
by hand (``submit``), the risk of a trade before it is proposed (``impact``), and the
proposals as stored.

Each function takes the facade (``pms``) first; ``PMS`` delegates to them.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import select

from research_core.errors import (
    DuplicateSubmissionError,
    PMSError,
    TradeInputError,
    TransitionError,
)
from research_core.lake.pit import PITView
from research_core.pms import audit, db, gate
from research_core.pms import package as packages
from research_core.pms.book import to_date
from research_core.pms.impact import book_risk
from research_core.pms.journal import Entry, decide_kept, record_audited, snapshot_of
from research_core.pms.models import Proposal, ProposalEvent
from research_core.pms.positions import (
    catalog_instrument,
    check_size,
    ensure_instrument,
    market_quote,
    side_sign,
    usdbrl,
)
from research_core.pms.proposals import (
    MIN_TRADE,
    ProposalSpec,
    inputs_base,
    inputs_impact,
    inputs_limits,
    inputs_series,
    proposal_specs,
)
from research_core.pms.workflow import pending_key, record_creation

if TYPE_CHECKING:
    from research_core.pms.system import PMS
    from research_core.portfolio.book import Decision as BookDecision
    from research_core.signals.sources import CollectedSignals
    from research_core.strategies.base import BaseStrategy


@dataclass(frozen=True)
class ProposeOptions:
    """How ``propose`` decides: the construction method, the smallest trade proposed
    (fraction of NAV), the simulations recorded, and what was already computed
    (strategies, collected signals, a decision made against the same held book)."""

    method: str = "erc"
    min_trade: float = MIN_TRADE
    n_sims: int = 20_000
    strategies: Mapping[str, BaseStrategy] | None = None
    collected: CollectedSignals | None = None
    decision: BookDecision | None = None


@dataclass(frozen=True)
class Origin:
    """Where a trade entered by hand comes from: its strategy, the agents behind it (sorted)
    and why."""

    strategy: str = "discretionary"
    agents: tuple[str, ...] = ()
    reason: str = ""


def risk_inputs(pms: PMS, as_of: dt.date) -> dict[str, Any]:
    """What a proposal's risk depends on besides the lake: weights held, approved
    proposals not executed (what it is priced on top of), NAV, NAV history, limits."""
    equity = pms.equity()
    equity = equity[equity.index <= pd.Timestamp(as_of)]
    approved = packages.approved_weights(pms, as_of)
    return {
        "weights": {k: float(v) for k, v in pms.exposures(as_of).items()},
        "approved": {str(k): float(v) for k, v in approved.items()},
        "nav": pms.nav(as_of),
        "equity": {f"{k:%Y-%m-%d}": float(v) for k, v in equity.items()},
        "limits": json.loads(pms.limits().model_dump_json()),
    }


def check_decision(decision: BookDecision, held: pd.Series, view: PITView) -> None:
    """A decision handed to :meth:`PMS.propose` must have been made at the view's moment
    against ``held`` (its ``current``), else its trades are not held → target."""
    if decision.portfolio.as_of != view.as_of:
        raise PMSError(
            f"the decision is as of {decision.portfolio.as_of}, the proposals as of {view.as_of}"
        )
    cur = decision.portfolio.current.astype(float)
    ids = cur.index.union(held.index)
    gap = (cur.reindex(ids, fill_value=0.0) - held.reindex(ids, fill_value=0.0)).abs()
    if len(gap) and float(gap.max()) > 1e-12:
        worst = str(gap.idxmax())
        raise PMSError(
            f"the decision was built against another book than the one held ({worst}: "
            f"{cur.get(worst, 0.0):+.6f} vs {held.get(worst, 0.0):+.6f} of NAV)"
        )


def _decide(
    pms: PMS, view: PITView, inputs: dict[str, Any], options: ProposeOptions
) -> tuple[BookDecision, str]:
    """The target (``portfolio.book.decide``, the one decision path) against the book held,
    or the decision given, checked; and the method it was built with."""
    from research_core.portfolio.book import gather  # on use
    from research_core.portfolio.constraints import Constraints

    current, equity = inputs_series(inputs)
    if options.decision is not None:
        check_decision(options.decision, current, view)
        return options.decision, options.decision.portfolio.method
    collected = options.collected
    gathered = None if collected is None else gather(view, collected=collected)
    decision = decide_kept(  # what it reads and collects, kept for a replay
        pms.lake,
        view,
        method=options.method,
        current=current,
        strategies=options.strategies,
        gathered=gathered,
        equity=equity,
        constraints=Constraints(limits=inputs_limits(inputs)),
    )
    return decision, options.method


def propose(pms: PMS, day: dt.date, who: str, options: ProposeOptions) -> pd.DataFrame:
    """Store one proposal per trade from held to target: see :meth:`PMS.propose`."""
    from research_core.portfolio.book import position_sizes  # on use

    view = pms.view(day)
    inputs = risk_inputs(pms, day)
    current, equity = inputs_series(inputs)
    nav, limits = float(inputs["nav"]), inputs_limits(inputs)
    decision, method = _decide(pms, view, inputs, options)
    sizes = position_sizes(decision.portfolio.weights, view, nav)
    specs = proposal_specs(
        decision, current, nav=nav, usdbrl=usdbrl(view), min_trade=options.min_trade, sizes=sizes
    )
    specs, dropped = packages.ticket_floor(specs, limits, nav=nav, fx=usdbrl(view))
    base = inputs_base(inputs)  # held + approved: what each proposal is priced on
    before = book_risk(base, view, nav=nav, equity=equity, limits=limits)
    asked = {"method": method, "n_sims": options.n_sims, "min_trade": options.min_trade}
    snapshot = snapshot_of(view) | asked | {"inputs": inputs}
    with db.read_session(pms.engine) as s:
        pending = set(
            s.scalars(select(Proposal.pending_key).where(Proposal.pending_key.is_not(None)))
        )
    trades: list[tuple[int, str, float]] = []
    for spec in specs:
        if pending_key(spec.instrument_id, spec.side) in pending:
            continue
        impact = inputs_impact(view, inputs, (spec.instrument_id, spec.delta_weight), before)
        pid = store_proposal(pms, day, view, spec, who, impact, snapshot)
        trades.append((pid, spec.instrument_id, spec.delta_weight))
    frame = pd.DataFrame(trades, columns=["id", "instrument", "delta_weight"]).set_index("id")
    priced = None
    if len(frame):
        pricing = packages.Pricing(dropped=tuple(dropped))
        priced = packages.price_package(
            view, base, frame, nav=nav, limits=limits, equity=equity, pricing=pricing
        )
    made = [t[0] for t in trades]
    return record_package(pms, day, made, dropped, priced, actor=who, view=view)


def record_package(
    pms: PMS,
    day: dt.date,
    made: list[int],
    dropped: list[dict[str, Any]],
    priced: packages.Package | None,
    *,
    actor: str,
    view: PITView,
) -> pd.DataFrame:
    """Record one decision's proposals as a package (``pms.package``: priced as one,
    with the trades dropped below the minimum ticket); the proposals, with the
    package id and the dropped trades in ``attrs``."""
    frame = proposals_frame(pms, ids=made)
    frame.attrs["dropped"] = dropped
    if not made and not dropped:
        return frame
    pid = packages.record(pms, day, made, dropped, actor=actor, view=view, priced=priced)
    frame.attrs["package"] = pid
    return frame


def _priced_trade(
    pms: PMS, instrument_id: str, side: str | int, size: float, as_of: object, *, quoted: bool
) -> tuple[ProposalSpec, dict[str, Any], dict[str, Any], PITView]:
    """A trade by hand within the ticket bounds as a spec, its pre-trade risk on held +
    approved, the risk inputs and the view; ``quoted``: a proposal, so not in the future
    and quoted that day."""
    inst = catalog_instrument(instrument_id)
    sign, qty = side_sign(side), check_size(size)
    day = to_date(as_of, "as_of")
    if quoted and day > pms._today():
        raise TradeInputError(f"as_of {day} is in the future (today is {pms._today()})")
    view = pms.view(day)
    if quoted:
        market_quote(view, inst)
    inputs = risk_inputs(pms, day)
    nav = float(inputs["nav"])
    gate.check_ticket(view, inst, qty, nav=nav, limits=inputs_limits(inputs))
    fx = usdbrl(view) if inst.currency == "USD" else 1.0
    dw = sign * qty * fx / nav
    impact = inputs_impact(view, inputs, (inst.id, dw))  # on held + approved not executed
    return ProposalSpec(inst.id, sign, qty, dw, "discretionary", (), ""), impact, inputs, view


def impact(
    pms: PMS, instrument_id: str, side: str | int, size: float, as_of: object
) -> dict[str, Any]:
    """Pre-trade risk of a trade on the current book (what a proposal stores)."""
    return _priced_trade(pms, instrument_id, side, size, as_of, quoted=False)[1]


def submit(
    pms: PMS,
    instrument_id: str,
    side: str | int,
    size: float,
    *,
    as_of: object,
    actor: str | None,
    origin: Origin,
) -> int:
    """A discretionary trade stored as a proposal: see :meth:`PMS.submit`."""
    who = pms._who(actor)
    priced, impact_, inputs, view = _priced_trade(
        pms, instrument_id, side, size, as_of, quoted=True
    )
    view_day = to_date(as_of, "as_of")
    spec = replace(priced, strategy=origin.strategy, agents=origin.agents, rationale=origin.reason)
    snapshot = snapshot_of(view) | {"method": "discretionary", "inputs": inputs}
    return store_proposal(pms, view_day, view, spec, who, impact_, snapshot)


def store_proposal(
    pms: PMS,
    day: dt.date,
    view: PITView,
    spec: ProposalSpec,
    actor: str,
    impact: dict[str, Any],
    snapshot: dict[str, Any],
) -> int:
    """Store one proposal (refused while one for the same instrument and side is
    pending) with its creation event, journal entry and audit record; returns its id."""
    key = pending_key(spec.instrument_id, spec.side)
    with db.unit_of_work(pms.engine) as s:
        clash = s.scalars(select(Proposal.id).where(Proposal.pending_key == key)).first()
        if clash is not None:
            raise DuplicateSubmissionError(
                f"proposal {clash} for {spec.instrument_id} "
                f"{'buy' if spec.side > 0 else 'sell'} is still pending; decide it first"
            )
        ensure_instrument(s, catalog_instrument(spec.instrument_id))
        row = Proposal(
            as_of=day,
            instrument_id=spec.instrument_id,
            side=spec.side,
            quantity=spec.size,
            state="PROPOSED",
            pending_key=key,
            version=1,
            created_by=actor,
            created_at=dt.datetime.now(dt.UTC),
            strategy=spec.strategy,
            agents=json.dumps(list(spec.agents)),
            rationale=spec.rationale,
            impact=audit.canonical(impact),
            snapshot=audit.canonical(snapshot | {"contracts": spec.contracts}),
        )
        s.add(row)
        s.flush()
        record_creation(s, row, actor, spec.rationale)
        detail = {"side": spec.side, "size": spec.size, "delta_var": impact["delta_var"]}
        entry = Entry.on_proposal(
            row, actor=actor, action="propose", reason=spec.rationale, detail=detail
        )
        payload = {
            "instrument": spec.instrument_id,
            "side": spec.side,
            "size": spec.size,
            "strategy": spec.strategy,
            "agents": list(spec.agents),
            "impact": impact,
            "snapshot": snapshot_of(view),
        }
        record_audited(s, entry, payload, entity=("proposal", row.id), view=view)
        return row.id


PROPOSAL_COLUMNS = [
    "id",
    "as_of",
    "instrument",
    "side",
    "size",
    "currency",
    "contracts",
    "approved_size",
    "state",
    "strategy",
    "agents",
    "delta_weight",
    "delta_var",
    "delta_es",
    "component_var_before",
    "component_var_after",
    "breaches",
    "created_by",
    "rationale",
]
_IMPACTS = ("delta_weight", "delta_var", "delta_es", "component_var_before", "component_var_after")


def _listed(r: Proposal) -> dict[str, Any]:
    """One row of :func:`proposals_frame` (``PROPOSAL_COLUMNS``)."""
    impact = json.loads(r.impact)
    contracts = json.loads(r.snapshot).get("contracts")  # canonical JSON: a string
    return {
        "id": r.id,
        "as_of": r.as_of,
        "instrument": r.instrument_id,
        "side": "buy" if r.side > 0 else "sell",
        "size": r.quantity,
        "currency": catalog_instrument(r.instrument_id).currency,
        "contracts": None if contracts is None else int(contracts),
        "approved_size": r.approved_quantity,
        "state": r.state,
        "strategy": r.strategy,
        "agents": json.loads(r.agents),
        **{k: float(impact.get(k, "nan")) for k in _IMPACTS},
        "breaches": impact.get("breaches", []),
        "created_by": r.created_by,
        "rationale": r.rationale,
    }


def proposals_frame(
    pms: PMS, *, state: str | None = None, ids: Sequence[int] | None = None
) -> pd.DataFrame:
    """Proposals with their state and headline pre-trade risk (ΔVaR, ΔES, breaches)."""
    stmt = select(Proposal).order_by(Proposal.id)
    if state is not None:
        stmt = stmt.where(Proposal.state == state.upper())
    if ids is not None:
        stmt = stmt.where(Proposal.id.in_(list(ids)))
    with db.read_session(pms.engine) as s:
        rows = s.scalars(stmt).all()
    frame = pd.DataFrame([_listed(r) for r in rows], columns=PROPOSAL_COLUMNS).set_index("id")
    frame["contracts"] = frame["contracts"].astype("Int64")  # <NA>: traded in notional
    return frame


def proposal_detail(pms: PMS, proposal_id: int) -> dict[str, Any]:
    """One proposal in full: fields, pre-trade impact (limits included) and events."""
    with db.read_session(pms.engine) as s:
        row = s.get(Proposal, int(proposal_id))
        if row is None:
            raise TransitionError(f"no proposal {proposal_id}")
        events = s.scalars(
            select(ProposalEvent)
            .where(ProposalEvent.proposal_id == row.id)
            .order_by(ProposalEvent.id)
        ).all()
        return {
            "id": row.id,
            "as_of": row.as_of,
            "instrument": row.instrument_id,
            "side": row.side,
            "size": row.quantity,
            "approved_size": row.approved_quantity,
            "state": row.state,
            "strategy": row.strategy,
            "agents": json.loads(row.agents),
            "rationale": row.rationale,
            "impact": json.loads(row.impact),
            "snapshot": json.loads(row.snapshot),
            "trade_id": row.trade_id,
            "events": [
                {
                    "event": e.event,
                    "from": e.from_state,
                    "to": e.to_state,
                    "actor": e.actor,
                    "at": e.at,
                    "reason": e.reason,
                }
                for e in events
            ],
        }

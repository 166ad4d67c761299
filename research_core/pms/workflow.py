"""The proposal state machine, as data: ``TRANSITIONS[(state, event)] -> state``.

PROPOSED → APPROVED / REJECTED / MODIFIED (approved at another size) → EXECUTED, and any
pending state → EXPIRED. Code and tests read the same table; every transition writes one
``proposal_events`` row (who, when, why) in the same transaction as the state change,
which is a compare-and-set on (state, version): of two people deciding at once, exactly
one wins and the other is told who decided first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from research_core.errors import ConcurrentDecisionError, FourEyesError, TransitionError
from research_core.pms.models import Proposal, ProposalEvent

STATES = ("PROPOSED", "APPROVED", "REJECTED", "MODIFIED", "EXECUTED", "EXPIRED")
TRANSITIONS: Mapping[tuple[str, str], str] = {
    ("PROPOSED", "approve"): "APPROVED",
    ("PROPOSED", "reject"): "REJECTED",
    ("PROPOSED", "modify"): "MODIFIED",
    ("PROPOSED", "expire"): "EXPIRED",
    ("APPROVED", "execute"): "EXECUTED",
    ("APPROVED", "expire"): "EXPIRED",
    ("MODIFIED", "execute"): "EXECUTED",
    ("MODIFIED", "expire"): "EXPIRED",
}
PENDING = frozenset(s for s, _ in TRANSITIONS)
TERMINAL = frozenset(STATES) - PENDING
EVENTS = frozenset(e for _, e in TRANSITIONS)
DECIDING = frozenset({"approve", "modify"})  # the events four-eyes guards


def pending_key(instrument_id: str, side: int) -> str:
    """The value of ``trade_proposals.pending_key`` while a proposal is pending."""
    return f"{instrument_id}:{side}"


def last_event(session: Session, proposal_id: int) -> ProposalEvent | None:
    """The proposal's most recent transition."""
    return session.scalars(
        select(ProposalEvent)
        .where(ProposalEvent.proposal_id == proposal_id)
        .order_by(ProposalEvent.id.desc())
        .limit(1)
    ).first()


def record_creation(session: Session, proposal: Proposal, actor: str, reason: str) -> None:
    """The event row of a new proposal (from nothing to PROPOSED)."""
    session.add(
        ProposalEvent(
            proposal_id=proposal.id,
            event="propose",
            from_state="",
            to_state="PROPOSED",
            actor=actor,
            at=dt.datetime.now(dt.UTC),
            reason=reason,
        )
    )


def same_user(a: str, b: str) -> bool:
    """Whether two recorded names are one user (names compare stripped and casefolded, so
    rows written before names were normalized still match)."""
    return a.strip().casefold() == b.strip().casefold()


def check_decider(
    session: Session, proposal: Proposal, event: str, actor: str, four_eyes: bool
) -> str:
    """The state ``event`` takes the proposal to, if the table allows it from its state
    and four-eyes allows ``actor``; a one-line refusal otherwise."""
    target = TRANSITIONS.get((proposal.state, event))
    if target is None:
        prior = last_event(session, proposal.id)
        done = f" ({prior.event} by {prior.actor} at {prior.at:%Y-%m-%d %H:%M:%S})" if prior else ""
        decided_by_other = (
            prior is not None
            and prior.event not in ("propose", "override")
            and not same_user(prior.actor, actor)
        )
        error = ConcurrentDecisionError if decided_by_other else TransitionError
        raise error(
            f"proposal {proposal.id} is {proposal.state}{done}; cannot {event} it "
            f"(allowed from {proposal.state}: "
            f"{sorted(e for (s, e) in TRANSITIONS if s == proposal.state) or 'nothing'})"
        )
    if four_eyes and event in DECIDING and same_user(actor, proposal.created_by):
        raise FourEyesError(f"four-eyes: {actor} proposed {proposal.id} and cannot also {event} it")
    return target


def transition(
    session: Session,
    proposal_id: int,
    event: str,
    *,
    actor: str,
    reason: str,
    four_eyes: bool = False,
    expected_version: int | None = None,
) -> Proposal:
    """Apply ``event`` to the proposal if the table allows it; refuse otherwise."""
    if event not in EVENTS:
        raise TransitionError(f"unknown event {event!r}; valid: {sorted(EVENTS)}")
    proposal = session.get(Proposal, proposal_id, populate_existing=True)
    if proposal is None:
        raise TransitionError(f"no proposal {proposal_id}")
    target = check_decider(session, proposal, event, actor, four_eyes)
    version = proposal.version if expected_version is None else expected_version
    done_rows = session.execute(
        update(Proposal)
        .where(
            Proposal.id == proposal_id,
            Proposal.state == proposal.state,
            Proposal.version == version,
        )
        .values(
            state=target,
            version=version + 1,
            pending_key=proposal.pending_key if target in PENDING else None,
        )
        .execution_options(synchronize_session=False)
    )
    if done_rows.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentDecisionError(
            f"proposal {proposal_id} changed while you decided (version {version} is stale)"
        )
    session.add(
        ProposalEvent(
            proposal_id=proposal_id,
            event=event,
            from_state=proposal.state,
            to_state=target,
            actor=actor,
            at=dt.datetime.now(dt.UTC),
            reason=reason,
        )
    )
    session.flush()
    refreshed = session.get(Proposal, proposal_id, populate_existing=True)
    assert refreshed is not None
    return refreshed

"""The decision journal and daily briefings.

A decision row records who, when, why, the proposal/trade, the lake snapshot (as-of,
known-by and ``snapshot_id``) and the code version. Its replay lives in ``pms.replay``
(without the ORM) and is named here too.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from sqlalchemy import Engine, Select, func, select
from sqlalchemy.orm import Session

from research_core._version import code_version
from research_core.errors import DuplicateSubmissionError, PMSError
from research_core.lake.pit import PITView
from research_core.pms import audit, db
from research_core.pms.models import AuditRow, Briefing, Decision, Lot, PnLRow, Proposal
from research_core.pms.replay import (  # noqa: F401  named here for the journal's readers
    REPLAY_STEPS,
    Replay,
    decide_kept,
    kept_gathered,
    replay,
)


@dataclass(frozen=True)
class Entry:
    """One journal entry before it is written: who did what, why, as of which day, on
    which instrument, strategy, proposal and trade, with its detail."""

    actor: str
    action: str
    reason: str
    as_of: dt.date
    instrument_id: str | None = None
    strategy: str | None = None
    proposal_id: int | None = None
    trade_id: int | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    snapshot: str | None = None  # a snapshot already recorded (canonical JSON) to keep

    @classmethod
    def on_proposal(
        cls,
        row: Proposal,
        *,
        actor: str,
        action: str,
        reason: str,
        detail: Mapping[str, Any],
        snapshot: str | None = None,
    ) -> Entry:
        """An entry about a stored proposal (its day, instrument and strategy)."""
        return cls(
            actor,
            action,
            reason,
            row.as_of,
            row.instrument_id,
            row.strategy,
            row.id,
            detail=detail,
            snapshot=snapshot,
        )


def snapshot_of(view: PITView | None) -> dict[str, Any]:
    """What a decision saw of the lake: its as-of instant (and snapshot id when known)."""
    if view is None:
        return {}
    out: dict[str, Any] = {"as_of": view.as_of.isoformat()}
    for attr in ("known_by", "snapshot_id"):
        value = getattr(view, attr, None)
        if value is not None:
            out[attr] = value.isoformat() if isinstance(value, pd.Timestamp) else str(value)
    return out


def record(session: Session, entry: Entry, view: PITView | None = None) -> Decision:
    """Write ``entry`` to the journal in the caller's unit of work, with the lake snapshot
    it saw (``view``; or the one the entry keeps) and the code version."""
    row = Decision(
        at=dt.datetime.now(dt.UTC),
        actor=entry.actor,
        action=entry.action,
        reason=entry.reason,
        as_of=entry.as_of,
        instrument_id=entry.instrument_id,
        strategy=entry.strategy,
        proposal_id=entry.proposal_id,
        trade_id=entry.trade_id,
        snapshot=entry.snapshot or audit.canonical(snapshot_of(view)),
        code_version=code_version(),
        detail=audit.canonical(dict(entry.detail)),
    )
    session.add(row)
    session.flush()
    return row


def record_audited(
    session: Session,
    entry: Entry,
    payload: Mapping[str, Any],
    *,
    entity: tuple[str, object | None],
    view: PITView | None = None,
) -> Decision:
    """:func:`record`, then its audit record (the same actor and action) on ``entity``
    (kind, id; id None: the entry's own id) with ``payload`` and the entry's id."""
    row = record(session, entry, view)
    kind, entity_id = entity
    audit.append(
        session,
        actor=entry.actor,
        action=entry.action,
        entity=kind,
        entity_id=row.id if entity_id is None else entity_id,
        payload=dict(payload) | {"decision": row.id},
    )
    return row


DECISION_ACTIONS = (
    "propose",
    "approve",
    "reject",
    "modify",
    "expire",
    "execute",
    "trade",
    "briefing",
    "override",
    "package",
    "approve_package",
    "control_request",
    "control_approve",
    "control_reject",
)
"""The actions a journal entry (``Decision``) records."""


JOURNAL_COLUMNS = [
    "id",
    "at",
    "actor",
    "action",
    "as_of",
    "instrument",
    "strategy",
    "proposal_id",
    "trade_id",
    "reason",
    "snapshot_id",
    "code_version",
    "pnl_since",
    "outcome",
]


def _decisions(
    instrument: str | None,
    strategy: str | None,
    start: dt.date | None,
    end: dt.date | None,
    action: str | None,
) -> Select[Decision]:
    """The journal query, filtered (empty filters match everything)."""
    if action and action not in DECISION_ACTIONS:
        raise PMSError(
            f"--action {action!r} is not a decision action; valid: {', '.join(DECISION_ACTIONS)}"
        )
    stmt = select(Decision).order_by(Decision.id)
    if instrument:
        stmt = stmt.where(Decision.instrument_id == instrument)
    if strategy:
        stmt = stmt.where(Decision.strategy == strategy)
    if start is not None:
        stmt = stmt.where(Decision.as_of >= start)
    if end is not None:
        stmt = stmt.where(Decision.as_of <= end)
    if action:
        stmt = stmt.where(Decision.action == action)
    return stmt


def _outcome(trade: int | None, since: float | None) -> str:
    """none (no trade), open (no P&L yet), gain, loss or flat."""
    if trade is None:
        return "none"
    if since is None:
        return "open"
    return "gain" if since > 0 else "loss" if since < 0 else "flat"


def _row(r: Decision, trade: int | None, since: float | None) -> dict[str, Any]:
    """One journal row (``JOURNAL_COLUMNS``)."""
    return {
        "id": r.id,
        "at": r.at,
        "actor": r.actor,
        "action": r.action,
        "as_of": r.as_of,
        "instrument": r.instrument_id,
        "strategy": r.strategy,
        "proposal_id": r.proposal_id,
        "trade_id": trade,
        "reason": r.reason,
        "snapshot_id": json.loads(r.snapshot).get("snapshot_id"),
        "code_version": r.code_version,
        "pnl_since": since,
        "outcome": _outcome(trade, since),
    }


def journal_frame(
    engine: Engine,
    *,
    instrument: str | None = None,
    strategy: str | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
    action: str | None = None,
    outcome: str | None = None,
) -> pd.DataFrame:
    """Decisions, newest last, filtered by instrument, strategy, as-of range, action and
    outcome ("gain", "loss", "open" for no P&L yet, "none" for no trade); each with its
    P&L since (BRL, from the lots its trade opened) as the outcome."""
    stmt = _decisions(instrument, strategy, start, end, action)
    with db.read_session(engine) as s:
        rows = s.scalars(stmt).all()
        trade_of = {
            pid: tid
            for pid, tid in s.execute(
                select(Proposal.id, Proposal.trade_id).where(Proposal.trade_id.is_not(None))
            )
        }
        pnl = {
            tid: total
            for tid, total in s.execute(
                select(Lot.trade_id, func.sum(PnLRow.pnl_brl))
                .join(PnLRow, PnLRow.lot_id == Lot.id)
                .group_by(Lot.trade_id)
            )
        }
    records = []
    for r in rows:
        trade = r.trade_id or trade_of.get(r.proposal_id or -1)
        records.append(_row(r, trade, pnl.get(trade) if trade is not None else None))
    frame = pd.DataFrame(records, columns=JOURNAL_COLUMNS).set_index("id")
    if outcome:
        frame = frame[frame["outcome"] == outcome]
    return frame


def store_briefing(
    engine: Engine,
    day: dt.date,
    content: str,
    inputs: Mapping[str, Any],
    *,
    actor: str,
    revise: bool = False,
) -> str:
    """Store the day's Morning Pack with a fingerprint (sha256 of the canonical JSON of
    its inputs) and the audit head it was built at; returns the fingerprint. The same
    content and inputs as the day's newest version is a no-op; other ones are refused,
    unless ``revise`` (a forced re-run of the day), which stores the next version linked
    to the newest one: a stored briefing is never overwritten."""
    fingerprint = hashlib.sha256(audit.canonical(dict(inputs)).encode()).hexdigest()
    with db.unit_of_work(engine) as s:
        latest = s.scalars(
            select(Briefing).where(Briefing.as_of == day).order_by(Briefing.version.desc())
        ).first()
        if latest is not None:
            if latest.fingerprint == fingerprint and latest.content == content:
                return fingerprint
            if not revise:
                raise DuplicateSubmissionError(
                    f"a briefing for {day} is already stored (fingerprint "
                    f"{latest.fingerprint[:12]}…); briefings are not overwritten: a forced "
                    "re-run of the day (`pipeline run --force`) stores a new version"
                )
        head = s.scalars(select(AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)).first()
        row = Briefing(
            as_of=day,
            version=1 if latest is None else latest.version + 1,
            previous_id=None if latest is None else latest.id,
            fingerprint=fingerprint,
            content=content,
            created_at=dt.datetime.now(dt.UTC),
            audit_head=head or audit.GENESIS,
        )
        s.add(row)
        s.flush()
        payload: dict[str, Any] = {
            "as_of": day,
            "fingerprint": fingerprint,
            "content_sha256": hashlib.sha256(content.encode()).hexdigest(),
        }
        if latest is not None:
            payload |= {"version": row.version, "revises": latest.fingerprint}
        audit.append(
            s, actor=actor, action="briefing", entity="briefing", entity_id=day, payload=payload
        )
    return fingerprint


def briefing(engine: Engine, day: dt.date, version: int | None = None) -> dict[str, Any] | None:
    """A stored briefing of a day (content, fingerprint, audit head, version, the version
    it revises): the newest version unless ``version`` is given; None if there is none."""
    stmt = select(Briefing).where(Briefing.as_of == day)
    if version is not None:
        stmt = stmt.where(Briefing.version == int(version))
    with db.read_session(engine) as s:
        row = s.scalars(stmt.order_by(Briefing.version.desc())).first()
        if row is None:
            return None
        return {
            "as_of": row.as_of,
            "version": row.version,
            "previous_version": row.version - 1 if row.previous_id is not None else None,
            "content": row.content,
            "fingerprint": row.fingerprint,
            "audit_head": row.audit_head,
            "created_at": row.created_at,
        }

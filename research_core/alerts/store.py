"""Alerts in the PMS (tables ``alerts`` and ``alert_deliveries``, revision 0005_alerts):
recorded once per subject per day, listed, acknowledged by a person (audited)."""

from __future__ import annotations

import datetime as dt
import getpass
from collections.abc import Callable, Sequence

import pandas as pd
from sqlalchemy import Engine, select

from research_core.alerts.config import AlertsError
from research_core.alerts.kinds import Alert
from research_core.identity import served_user
from research_core.pms import audit, db
from research_core.pms.controls import normalize_user
from research_core.pms.models import AlertDelivery, AlertRow

Clock = Callable[[], dt.datetime]
COLUMNS = [
    "id", "day", "severity", "kind", "subject", "message", "created_at",
    "acknowledged_by", "acknowledged_at", "escalated_at", "delivered", "numbers",
]  # fmt: skip


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def utc(value: dt.datetime) -> dt.datetime:
    """A stored timestamp as aware UTC (SQLite gives it back without a zone)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value.astimezone(dt.UTC)


def record(engine: Engine, alerts: Sequence[Alert], *, now: Clock = utc_now) -> list[int]:
    """Store the alerts not stored yet (by dedupe key: one per subject per day); returns
    the ids of the new ones."""
    new = []
    with db.unit_of_work(engine) as s:
        have = set(
            s.scalars(
                select(AlertRow.dedupe_key).where(
                    AlertRow.dedupe_key.in_([a.dedupe_key for a in alerts])
                )
            )
        )
        for a in alerts:
            if a.dedupe_key in have:
                continue
            have.add(a.dedupe_key)
            row = AlertRow(
                dedupe_key=a.dedupe_key, day=a.day, kind=a.kind, subject=a.subject,
                severity=a.severity, message=a.message, numbers=a.numbers_json(),
                created_at=now(),
            )  # fmt: skip
            s.add(row)
            s.flush()
            new.append(row.id)
    return new


def list_alerts(
    engine: Engine, *, day: str | dt.date | None = None, open_only: bool = False
) -> pd.DataFrame:
    """The alerts (newest day first, most severe first), with the channels each reached
    and ``numbers`` (JSON: the message's template and numbers, for the fact check)."""
    with db.read_session(engine) as s:
        q = select(AlertRow).order_by(AlertRow.day.desc(), AlertRow.id)
        if day is not None:
            q = q.where(AlertRow.day == pd.Timestamp(day).date())
        if open_only:
            q = q.where(AlertRow.acknowledged_at.is_(None))
        rows = s.scalars(q).all()
        sent = s.execute(
            select(AlertDelivery.alert_id, AlertDelivery.channel).where(AlertDelivery.ok.is_(True))
        ).all()
    reached: dict[int, set[str]] = {}
    for alert_id, channel in sent:
        reached.setdefault(alert_id, set()).add(channel)
    frame = pd.DataFrame(
        [
            (r.id, r.day, r.severity, r.kind, r.subject, r.message, r.created_at,
             r.acknowledged_by, r.acknowledged_at, r.escalated_at,
             ", ".join(sorted(reached.get(r.id, ()))) or "-", r.numbers)
            for r in rows
        ],
        columns=COLUMNS,
    )  # fmt: skip
    rank = frame["severity"].map({"critical": 0, "warning": 1, "info": 2})
    order = frame.assign(rank=rank).sort_values(
        ["day", "rank"], ascending=[False, True], kind="stable"
    )
    return frame.loc[order.index].reset_index(drop=True)


def acting_user() -> str:
    """Who acknowledges: the visitor ``workbench serve`` authenticated, else the OS user."""
    return normalize_user(served_user() or getpass.getuser())


def acknowledge(
    engine: Engine, alert_id: int, *, actor: str | None = None, now: Clock = utc_now
) -> AlertRow:
    """Mark alert ``alert_id`` acknowledged by ``actor`` (default :func:`acting_user`);
    audited. Stops its escalation and any delivery still pending."""
    who = normalize_user(actor) if actor else acting_user()
    with db.unit_of_work(engine) as s:
        row = s.get(AlertRow, int(alert_id))
        if row is None:
            raise AlertsError(f"no alert {alert_id} (see `workbench alerts list`)")
        if row.acknowledged_at is not None:
            raise AlertsError(
                f"alert {alert_id} was acknowledged by {row.acknowledged_by} at "
                f"{utc(row.acknowledged_at):%Y-%m-%d %H:%M} UTC"
            )
        row.acknowledged_by, row.acknowledged_at = who, now()
        audit.append(
            s, actor=who, action="alert_ack", entity="alerts", entity_id=row.id,
            payload={"day": row.day, "kind": row.kind, "subject": row.subject},
        )  # fmt: skip
    return row

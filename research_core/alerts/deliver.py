"""Send stored alerts through the configured channels: e-mail (SMTP, stdlib ``smtplib``)
and a webhook (JSON POST, ``httpx``).

Each alert goes once to each channel (an attempt that succeeded is recorded; one that
failed, after a few quick tries with ``tenacity``, is recorded with its error and tried
again at the next call, so nothing is lost). An alert not acknowledged within
``escalate_after_minutes`` is escalated once: re-sent to the escalation addresses/URL.
A delivery problem never raises: the caller (the pipeline's ``alerts`` step) goes on.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from dataclasses import dataclass
from email.message import EmailMessage

import httpx
from sqlalchemy import Engine, select
from tenacity import retry, stop_after_attempt, wait_exponential

from research_core._secrets import redact
from research_core.alerts.config import AlertsConfig, EmailChannel, WebhookChannel
from research_core.alerts.store import Clock, utc, utc_now
from research_core.pms import db
from research_core.pms.models import AlertDelivery, AlertRow

PURPOSES = ("alert", "escalation")
ATTEMPTS = 3  # per delivery and call; the next call tries again


@dataclass(frozen=True)
class DeliveryReport:
    """What one delivery pass did: attempts that succeeded and failed, alerts escalated."""

    sent: int
    failed: int
    escalated: int
    errors: tuple[str, ...] = ()

    def summary(self) -> str:
        text = f"delivered {self.sent}, failed {self.failed} (retried next run), "
        return text + f"escalated {self.escalated}" + "".join(f"\n  {e}" for e in self.errors)


def payload(row: AlertRow, purpose: str) -> dict[str, object]:
    """The webhook's JSON body (and the e-mail's fields)."""
    return {
        "id": row.id, "day": f"{row.day:%Y-%m-%d}", "kind": row.kind, "subject": row.subject,
        "severity": row.severity, "message": row.message, "dedupe_key": row.dedupe_key,
        "escalation": purpose == "escalation",
        "acknowledge": f"workbench alerts ack {row.id}",
    }  # fmt: skip


def _email(channel: EmailChannel, row: AlertRow, purpose: str) -> None:
    to = channel.to if purpose == "alert" else channel.escalate_to
    msg = EmailMessage()
    tag = "ESCALATED " if purpose == "escalation" else ""
    msg["Subject"] = f"[{tag}{row.severity.upper()}] {row.subject}: {row.message}"
    msg["From"], msg["To"] = channel.sender, ", ".join(to)
    body = payload(row, purpose)
    msg.set_content("\n".join(f"{k}: {v}" for k, v in body.items()) + "\n")
    with smtplib.SMTP(channel.host, channel.port, timeout=channel.timeout_s) as smtp:
        if channel.starttls:
            smtp.starttls()
        password = channel.password()
        if channel.username and password:
            smtp.login(channel.username, password)
        smtp.send_message(msg)


def _webhook(channel: WebhookChannel, row: AlertRow, purpose: str) -> None:
    url = channel.target(purpose)
    assert url is not None  # _targets only lists a purpose that has a URL
    httpx.post(url, json=payload(row, purpose), timeout=channel.timeout_s).raise_for_status()


def _targets(config: AlertsConfig, purpose: str) -> list[str]:
    """The channels that have somewhere to send ``purpose``."""
    out = []
    if config.email is not None and (purpose == "alert" or config.email.escalate_to):
        out.append("email")
    if config.webhook is not None and config.webhook.target(purpose):
        out.append("webhook")
    return out


def _send(config: AlertsConfig, channel: str, row: AlertRow, purpose: str) -> str:
    """'' when delivered, else the (redacted) error after :data:`ATTEMPTS` quick tries."""

    @retry(
        stop=stop_after_attempt(ATTEMPTS),
        wait=wait_exponential(multiplier=0.1, max=1),
        reraise=True,
    )
    def attempt() -> None:
        if channel == "email":
            assert config.email is not None
            _email(config.email, row, purpose)
        else:
            assert config.webhook is not None
            _webhook(config.webhook, row, purpose)

    try:
        attempt()
    except (OSError, smtplib.SMTPException, httpx.HTTPError) as err:
        return redact(f"{type(err).__name__}: {err}".splitlines()[0])[:500]
    return ""


def escalate_due(engine: Engine, config: AlertsConfig, now: dt.datetime) -> int:
    """Mark escalated the open alerts older than ``escalate_after_minutes`` (once each)."""
    if not _targets(config, "escalation"):
        return 0
    cutoff = now - dt.timedelta(minutes=config.escalate_after_minutes)
    count = 0
    with db.unit_of_work(engine) as s:
        q = select(AlertRow).where(
            AlertRow.acknowledged_at.is_(None), AlertRow.escalated_at.is_(None)
        )
        for row in s.scalars(q):
            if utc(row.created_at) <= cutoff:
                row.escalated_at, count = now, count + 1
    return count


def deliver(engine: Engine, config: AlertsConfig, *, now: Clock = utc_now) -> DeliveryReport:
    """Escalate what is due, then send every open alert (and escalation) each channel has
    not yet received; record each attempt."""
    escalated = escalate_due(engine, config, now())
    with db.read_session(engine) as s:
        rows = s.scalars(select(AlertRow).where(AlertRow.acknowledged_at.is_(None))).all()
        ok = select(AlertDelivery.alert_id, AlertDelivery.channel, AlertDelivery.purpose).where(
            AlertDelivery.ok.is_(True)
        )
        done = {(int(i), str(c), str(p)) for i, c, p in s.execute(ok)}
    sent, failed, errors = 0, 0, []
    for row in rows:
        for purpose in PURPOSES:
            if purpose == "escalation" and row.escalated_at is None:
                continue
            for channel in _targets(config, purpose):
                if (row.id, channel, purpose) in done:
                    continue
                error = _send(config, channel, row, purpose)
                with db.unit_of_work(engine) as s:
                    s.add(AlertDelivery(alert_id=row.id, channel=channel, purpose=purpose,
                                        at=now(), ok=not error, error=error))  # fmt: skip
                sent, failed = sent + (not error), failed + bool(error)
                if error:
                    errors.append(f"alert {row.id} {purpose} via {channel}: {error}")
    return DeliveryReport(sent, failed, escalated, tuple(errors))


def attempts(engine: Engine, alert_id: int | None = None) -> list[dict[str, object]]:
    """Every delivery attempt recorded (of one alert, or all), oldest first."""
    with db.read_session(engine) as s:
        q = select(AlertDelivery).order_by(AlertDelivery.id)
        if alert_id is not None:
            q = q.where(AlertDelivery.alert_id == alert_id)
        return [
            {"alert_id": d.alert_id, "channel": d.channel, "purpose": d.purpose,
             "at": utc(d.at), "ok": d.ok, "error": d.error}
            for d in s.scalars(q)
        ]  # fmt: skip

"""Delivery to a real local SMTP server (aiosmtpd) and a real local HTTP receiver: content,
dedupe per day, escalation by an injected clock, failed deliveries recorded and retried,
acknowledgement by the served/OS user (audited)."""

from __future__ import annotations

import json

from sqlalchemy import select

from research_core.alerts import attempts, deliver, list_alerts, raise_alerts
from research_core.alerts.store import acknowledge
from research_core.cli import main
from research_core.pms import db
from research_core.pms.models import AuditRow
from tests.alerts.conftest import Receiver, config, free_port

# By hand from conftest.limits_table: VaR 0.0123 of NAV = 1.23 %, limit 0.01 = 1.00 %,
# used 1.23 = 123 %; gross leverage 3.6 = 360.00 %, limit 4.0 = 400.00 %, used 0.9 = 90 %.
BREACH = "breach: value 1.23 %, limit 1.00 %, used 123 %"
NEAR = "near breach: value 360.00 %, limit 400.00 %, used 90 %"


def test_alerts_arrive_by_email_and_webhook_with_their_content(
    engine, breach_run, smtp, receiver, clock
):
    port, box = smtp
    got = raise_alerts(breach_run, engine, config=config(port, receiver.port), now=clock)
    assert (got.found, got.new, got.delivery.sent, got.delivery.failed) == (2, 2, 4, 0)
    subjects = sorted(m["Subject"] for _, m in box.messages)
    assert subjects == [
        f"[CRITICAL] VaR 99% 1d (held book): {BREACH}",
        f"[WARNING] gross leverage (held book): {NEAR}",
    ]
    assert all(to == ["pm@fund.test"] for to, _ in box.messages)
    body = next(m for _, m in box.messages if "CRITICAL" in m["Subject"]).get_content()
    assert "kind: limit_breach" in body and "day: 2026-10-30" in body
    posts = {p["subject"]: (path, p) for path, p in receiver.posts}
    path, post = posts["VaR 99% 1d (held book)"]
    assert path == "/alerts" and post["escalation"] is False
    assert (post["kind"], post["severity"], post["day"], post["message"]) == (
        "limit_breach", "critical", "2026-10-30", BREACH,
    )  # fmt: skip
    assert post["dedupe_key"] == "2026-10-30|VaR 99% 1d (held book)"
    assert posts["gross leverage (held book)"][1]["message"] == NEAR
    record = json.loads((breach_run / "artifacts/alerts/alerts.json").read_text())
    assert [a["delivered"] for a in record["alerts"]] == ["email, webhook"] * 2


def test_a_second_raise_the_same_day_sends_nothing(engine, breach_run, smtp, receiver, clock):
    port, box = smtp
    cfg = config(port, receiver.port)
    raise_alerts(breach_run, engine, config=cfg, now=clock)
    clock.advance(5)
    again = raise_alerts(breach_run, engine, config=cfg, now=clock)
    assert (again.found, again.new, again.delivery.sent) == (2, 0, 0)
    assert len(box.messages) == 2 and len(receiver.posts) == 2
    assert len(list_alerts(engine)) == 2


def test_an_alert_not_acknowledged_in_time_is_escalated_once(
    engine, breach_run, smtp, receiver, clock
):
    port, box = smtp
    cfg = config(port, receiver.port, minutes=30)
    raise_alerts(breach_run, engine, config=cfg, now=clock)
    acknowledge(engine, 1, actor="pm")  # the breach is seen; the near breach is not
    clock.advance(29)
    assert deliver(engine, cfg, now=clock).escalated == 0
    clock.advance(2)  # 31 minutes after it was raised
    report = deliver(engine, cfg, now=clock)
    assert (report.escalated, report.sent) == (1, 2)
    to, mail = box.messages[-1]
    assert to == ["cio@fund.test"]
    assert mail["Subject"] == f"[ESCALATED WARNING] gross leverage (held book): {NEAR}"
    path, post = receiver.posts[-1]
    assert path == "/escalate" and post["escalation"] is True and post["id"] == 2
    clock.advance(60)
    assert deliver(engine, cfg, now=clock).sent == 0  # escalated once
    frame = list_alerts(engine, open_only=True)
    assert frame["id"].tolist() == [2] and frame["escalated_at"].notna().all()


def test_a_failed_delivery_is_recorded_and_retried_at_the_next_call(
    engine, breach_run, smtp, clock
):
    port, box = smtp
    down = free_port()  # nothing listens here yet
    cfg = config(port, down)
    got = raise_alerts(breach_run, engine, config=cfg, now=clock)  # does not raise
    assert (got.delivery.sent, got.delivery.failed) == (2, 2)  # e-mail went, webhook not
    failed = [a for a in attempts(engine) if not a["ok"]]
    assert {a["channel"] for a in failed} == {"webhook"} and len(failed) == 2
    assert all("ConnectError" in a["error"] for a in failed)
    receiver = Receiver(down)  # the receiver is back
    try:
        clock.advance(5)
        again = deliver(engine, cfg, now=clock)
        assert (again.sent, again.failed) == (2, 0)
        assert sorted(p["id"] for _, p in receiver.posts) == [1, 2]
        assert len(box.messages) == 2  # the e-mails are not sent twice
        assert deliver(engine, cfg, now=clock).sent == 0
    finally:
        receiver.close()
    assert [a["ok"] for a in attempts(engine, 2)] == [True, False, True]


def test_the_step_succeeds_when_no_channel_answers(tmp_path, breach_run, monkeypatch):
    from research_core.pipeline import steps

    down = free_port()
    (tmp_path / "alerts.yaml").write_text(
        f"email: {{host: 127.0.0.1, port: {down}, sender: wb@fund.test, to: [pm@fund.test]}}\n"
        "webhook: {url_env: TEST_ALERTS_HOOK}\n",
        encoding="utf-8",
    )
    secret = "tok-7f3a9c1e5b"
    monkeypatch.setenv("TEST_ALERTS_HOOK", f"http://127.0.0.1:{down}/hook?sig={secret}")
    monkeypatch.delenv("WORKBENCH_ALERTS_PATH", raising=False)
    monkeypatch.delenv("WORKBENCH_LIMITS_PATH", raising=False)
    url = f"sqlite:///{tmp_path / 'pms.db'}"  # alerts.yaml beside it is the configuration
    out = steps.alerts(lake_path=str(tmp_path / "no-lake-read"), as_of="2026-10-30",
                       run_dir=str(breach_run), db_url=url)  # fmt: skip
    assert out["alerts"] == 2 and "failed 4" in out["delivery"]
    engine = db.make_engine(url)
    tried = attempts(engine)
    assert len(tried) == 4 and not any(a["ok"] for a in tried)
    assert not any(secret in a["error"] for a in tried)


def test_ack_records_the_served_user_and_is_audited(engine, breach_run, clock, monkeypatch, capsys):
    raise_alerts(breach_run, engine, config=config(free_port(), free_port()).model_copy(
        update={"email": None, "webhook": None}), now=clock)  # fmt: skip
    url = str(engine.url)
    monkeypatch.setenv("HTTP_X_WORKBENCH_USER", "Carla")
    assert main(["alerts", "ack", "2", "--db", url]) == 0
    assert "acknowledged by carla" in capsys.readouterr().out
    row = list_alerts(engine, open_only=False).set_index("id").loc[2]
    assert row["acknowledged_by"] == "carla" and row["acknowledged_at"] is not None
    with db.read_session(engine) as s:
        last = s.scalars(select(AuditRow).order_by(AuditRow.seq.desc())).first()
    assert last is not None and (last.actor, last.action, last.entity_id) == (
        "carla",
        "alert_ack",
        "2",
    )
    assert main(["alerts", "ack", "2", "--db", url]) == 2  # already acknowledged: one line
    assert "alert 2 was acknowledged by carla" in capsys.readouterr().err
    assert main(["alerts", "list", "--db", url]) == 0
    assert "VaR 99% 1d (held book)" in capsys.readouterr().out  # the open one

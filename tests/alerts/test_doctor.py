"""``workbench doctor``'s alerts line (issue 25 item 5): each configured channel is asked
whether it answers — the local SMTP server (aiosmtpd) greets and answers NOOP, the webhook
receiver accepts a connection — without sending anything; a channel down is a FAIL naming
the error, no channel configured a SKIP."""

from __future__ import annotations

from pathlib import Path

from research_core.operations import Places, _alert_channels
from tests.alerts.conftest import Receiver, free_port


def _places(tmp_path: Path, smtp_port: int, http_port: int) -> Places:
    (tmp_path / "alerts.yaml").write_text(  # beside the SQLite database, as limits.yaml
        f"email: {{host: 127.0.0.1, port: {smtp_port}, sender: wb@fund.test, to: [pm@fund.test]}}\n"
        f"webhook: {{url: 'http://127.0.0.1:{http_port}/alerts'}}\n"
    )
    return Places(tmp_path / "lake", f"sqlite:///{tmp_path / 'pms.db'}", tmp_path / "runs")


def test_the_doctor_reaches_each_channel_and_sends_nothing(tmp_path, smtp, receiver) -> None:
    port, box = smtp
    status, detail = _alert_channels(_places(tmp_path, port, receiver.port))
    assert status == "OK"
    assert detail == f"e-mail 127.0.0.1:{port}, webhook 127.0.0.1:{receiver.port} answered"
    assert box.messages == [] and receiver.posts == []  # a check never pages anyone


def test_a_channel_down_is_a_fail_and_none_configured_a_skip(tmp_path, smtp) -> None:
    port, _ = smtp
    closed = Receiver(free_port())
    closed.close()  # nothing listens there any more
    status, detail = _alert_channels(_places(tmp_path, port, closed.port))
    assert status == "FAIL" and "ConnectionRefusedError" in detail
    assert detail.endswith(f"(e-mail 127.0.0.1:{port} answered)")
    (tmp_path / "alerts.yaml").unlink()
    status, detail = _alert_channels(Places(tmp_path, f"sqlite:///{tmp_path / 'x.db'}", tmp_path))
    assert status == "SKIP" and "no alert channels configured" in detail

"""The Anthropic path against a local HTTP server speaking the Messages API.

No key leaves the machine and nothing goes to the network: ``base_url`` points at the
fake server. Cases: success (placeholders rendered, cached by input hash), 529 overloaded
then success (bounded retries), overloaded every time, a timeout, and a hallucinated
number (rejected by the checker; the template is used and the rejection recorded).
"""

from __future__ import annotations

import importlib
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from pydantic import SecretStr

from research_core.config import Settings
from research_core.narrative import Fact, FactSheet, write_narrative
from research_core.narrative.facts import date_value

GOOD = (
    "Morning Pack for {{pack.as_of}}. USD/BRL {{dir:usdbrl.chg}} {{abs:usdbrl.chg}} to "
    "{{usdbrl.last}}, with DI 1Y at {{di_1y.last}} ({{di_1y.chg}})."
)
HALLUCINATED = (
    "USD/BRL {{dir:usdbrl.chg}} {{abs:usdbrl.chg}} to {{usdbrl.last}}; we see it at 6.10 by March."
)


class FakeAnthropic(BaseHTTPRequestHandler):
    """POST /v1/messages: answers from ``server.script`` (one entry per request)."""

    def log_message(self, *args: object) -> None:  # keep test output quiet
        return

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["content-length"])))
        server = self.server
        server.requests.append(
            {"path": self.path, "body": body, "key": self.headers.get("x-api-key")}
        )  # type: ignore[attr-defined]
        action = server.script.pop(0) if server.script else "ok"  # type: ignore[attr-defined]
        if action == "overloaded":
            payload = {
                "type": "error",
                "error": {"type": "overloaded_error", "message": "Overloaded"},
            }
            self._send(529, payload, {"retry-after-ms": "10"})
            return
        if action == "slow":
            time.sleep(SLOW_S)
        text = HALLUCINATED if action == "hallucinate" else GOOD
        self._send(200, {
            "id": "msg_fake", "type": "message", "role": "assistant", "model": body["model"],
            "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
            "stop_sequence": None, "usage": {"input_tokens": 10, "output_tokens": 20},
        })  # fmt: skip

    def _send(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        raw = json.dumps(payload).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(raw)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(raw)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (timeout case)


SLOW_S = 60.0  # the "slow" answer's delay: far beyond the client's 0.5 s timeout, so the
# bound on the fallback's wait holds on a loaded machine (the handler thread is a daemon:
# closing the server does not wait for it)


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeAnthropic)
    srv.script, srv.requests = [], []  # type: ignore[attr-defined]
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _settings(srv: ThreadingHTTPServer, **kw: object) -> Settings:
    return Settings(
        anthropic_api_key=SecretStr("test-key-not-secret"),
        anthropic_base_url=f"http://127.0.0.1:{srv.server_address[1]}",
        anthropic_model="claude-test",
        anthropic_timeout_s=kw.pop("timeout", 5.0),  # type: ignore[arg-type]
        anthropic_max_retries=kw.pop("retries", 2),  # type: ignore[arg-type]
    )


SHEET = FactSheet(
    "2026-10-30",
    (
        Fact("pack.as_of", "Morning Pack", date_value("2026-10-30"), "date", 0, "", "2026-10-30"),
        Fact("usdbrl.last", "USD/BRL", 5.43217, "", 4, "BRL.USD.PTAX", "2026-10-30"),
        Fact("usdbrl.chg", "USD/BRL", -0.7449, "%", 2, "BRL.USD.PTAX", "2026-10-30", "change"),
        Fact("di_1y.last", "DI 1Y", 14.2349, "%", 2, "BR.DI.1Y", "2026-10-30"),
        Fact("di_1y.chg", "DI 1Y", 12.4, "bp", 0, "BR.DI.1Y", "2026-10-30", "change"),
    ),
)  # fmt: skip


def test_success_renders_placeholders_and_caches_by_input_hash(server, tmp_path):
    nar = write_narrative(SHEET, use_llm=True, cache_dir=tmp_path, settings=_settings(server))
    assert nar.source == "anthropic" and nar.rejected == ()
    assert nar.text == (
        "Morning Pack for 2026-10-30. USD/BRL fell 0.74 % to 5.4322, "
        "with DI 1Y at 14.23 % (+12 bp)."
    )
    req = server.requests[0]
    assert req["path"] == "/v1/messages" and req["body"]["model"] == "claude-test"
    assert '"value": "5.4322"' in req["body"]["messages"][0]["content"]  # prompt = fact sheet
    again = write_narrative(SHEET, use_llm=True, cache_dir=tmp_path, settings=_settings(server))
    assert again.text == nar.text and len(server.requests) == 1  # served from the cache


def test_overloaded_is_retried_a_bounded_number_of_times(server, tmp_path):
    server.script[:] = ["overloaded", "ok"]
    nar = write_narrative(SHEET, use_llm=True, cache_dir=tmp_path, settings=_settings(server))
    assert nar.source == "anthropic" and len(server.requests) == 2
    server.script[:] = ["overloaded"] * 10
    other = FactSheet(SHEET.as_of, SHEET.facts, "pt-BR")  # new input: not cached
    nar = write_narrative(
        other, use_llm=True, cache_dir=tmp_path, settings=_settings(server, retries=2)
    )
    assert nar.source == "template" and len(server.requests) == 2 + 3  # 1 try + 2 retries
    assert "529" in nar.rejected[0]["reason"]


def test_timeout_falls_back_to_the_template(server, tmp_path):
    server.script[:] = ["slow"]
    importlib.import_module("anthropic")  # the SDK's first import is not part of the wait
    t0 = time.monotonic()
    nar = write_narrative(SHEET, use_llm=True, settings=_settings(server, timeout=0.5, retries=0))
    assert time.monotonic() - t0 < SLOW_S / 2  # gave up at its timeout, did not wait the answer
    assert nar.source == "template" and "APITimeoutError" in nar.rejected[0]["reason"]


def test_hallucinated_number_is_rejected_and_recorded(server, tmp_path):
    server.script[:] = ["hallucinate"]
    nar = write_narrative(SHEET, use_llm=True, cache_dir=tmp_path, settings=_settings(server))
    assert nar.source == "template"
    rej = nar.rejected[0]
    assert rej["reason"] == "number check failed"
    assert [p["text"] for p in rej["problems"]] == ["6.10"]
    assert "6.10" not in nar.text and nar.check.ok
    assert nar.text == "Morning Pack for 2026-10-30."  # the template's sentences with facts

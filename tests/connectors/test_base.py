"""The HTTP layer: retries with backoff, Retry-After, timeouts, rate limit, safe errors."""

from __future__ import annotations

import json
import logging
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar
from urllib.parse import parse_qs, quote, quote_plus

import httpx
import pytest

from research_core._secrets import redact, register_secret
from research_core.connectors.base import (
    Connector,
    RetryPolicy,
    date_windows,
    public_url,
    retry_after_seconds,
    to_float,
)
from research_core.errors import ConnectorError, WorkbenchError

from .conftest import json_reply, spec

SGS_OK = [{"data": "01/01/2024", "valor": "0.42"}, {"data": "01/02/2024", "valor": "0.83"}]


def test_500_then_success_retries_with_backoff(server, make, sleeps):
    server.route(
        "bcdata.sgs.433",
        httpx.Response(500, text="<html>Internal error</html>"),
        httpx.Response(502),
        json_reply(SGS_OK),
    )
    rows = make("bcb_sgs").fetch(spec("BR.IPCA.MOM"), "2024-01-01", "2024-02-28")
    assert rows["value"].tolist() == [0.42, 0.83]
    assert len(server.requests) == 3
    backoffs = [s for s in sleeps if s <= 0.01]  # the others are the 0.25 s rate limit
    assert len(backoffs) >= 2


def test_429_honours_retry_after(server, make, sleeps):
    server.route(
        "bcdata.sgs.433", httpx.Response(429, headers={"Retry-After": "7"}), json_reply(SGS_OK)
    )
    rows = make("bcb_sgs").fetch(spec("BR.IPCA.MOM"), "2024-01-01", "2024-02-28")
    assert len(rows) == 2
    assert 7.0 in sleeps


def test_timeout_then_success(server, make):
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    server.route("bcdata.sgs.433", slow, json_reply(SGS_OK))
    rows = make("bcb_sgs").fetch(spec("BR.IPCA.MOM"), "2024-01-01", "2024-02-28")
    assert len(rows) == 2 and len(server.requests) == 2


def test_persistent_failure_is_one_clear_error(server, make):
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("no route", request=request)

    server.route("bcdata.sgs.433", slow)
    with pytest.raises(ConnectorError) as info:
        make("bcb_sgs").fetch(spec("BR.IPCA.MOM"), "2024-01-01", "2024-02-28")
    err = info.value
    assert isinstance(err, WorkbenchError)
    assert err.source == "bcb_sgs" and err.series == "BR.IPCA.MOM"
    assert "timed out" in str(err) and "4 attempts" in str(err)
    assert len(server.requests) == 4


def test_api_key_never_shown(server, make):
    key = "abcdef0123456789secret"
    body = {
        "error_code": 400,
        "error_message": f"Bad Request.  The value for variable api_key is not registered. ({key})",
    }
    server.route("series/observations", json_reply(body, 400))
    with pytest.raises(ConnectorError) as info:
        make("fred", api_key=key).fetch(spec("US.UNEMPLOYMENT"))
    text = str(info.value)
    assert key not in text
    assert "api_key=***" in text and "is not registered" in text
    assert server.params()["api_key"] == key  # sent to the server, never shown


def test_missing_fred_key_is_clear(make, monkeypatch):
    from research_core.config import get_settings

    monkeypatch.delenv("WORKBENCH_FRED_API_KEY", raising=False)
    get_settings.cache_clear()
    with pytest.raises(ConnectorError, match="WORKBENCH_FRED_API_KEY"):
        make("fred").fetch(spec("US.UNEMPLOYMENT"))
    get_settings.cache_clear()


@pytest.mark.parametrize(
    ("body", "match"),
    [
        ("", "empty body"),
        ("{not json", "expected JSON"),
        ('<?xml version="1.0" encoding="p"?><erro/>', "expected JSON"),
        ("<html><body>Service Unavailable</body></html>", "expected JSON"),
    ],
)
def test_non_json_bodies(server, make, body, match):
    server.route("bcdata.sgs.433", httpx.Response(200, text=body))
    with pytest.raises(ConnectorError, match=match):
        make("bcb_sgs").fetch(spec("BR.IPCA.MOM"), "2024-01-01", "2024-02-28")


def test_rate_limit_spaces_requests(server, make, sleeps):
    server.route("bcdata.sgs.433", json_reply(SGS_OK))
    conn = make("bcb_sgs")
    for _ in range(3):
        conn.fetch(spec("BR.IPCA.MOM"), "2024-01-01", "2024-02-28")
    assert len([s for s in sleeps if s > 0.1]) >= 2  # 0.25 s between SGS requests


def test_helpers():
    assert retry_after_seconds("12") == 12.0
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert retry_after_seconds("soon") is None
    assert "api_key=***" in public_url("https://x.org/a?api_key=SECRET&b=1")
    windows = date_windows(
        __import__("pandas").Timestamp("1990-01-01"),
        __import__("pandas").Timestamp("2026-11-20"),
        10,
    )
    assert all((b - a).days < 3653 for a, b in windows) and len(windows) == 4
    assert (
        to_float(__import__("pandas").Series(["1.234,5", "-"]), decimal=",", missing=("-",)).iloc[0]
        == 1234.5
    )
    with pytest.raises(ValueError, match="not numbers"):
        to_float(__import__("pandas").Series(["1.0", "abc"]))


class _EchoHandler(BaseHTTPRequestHandler):
    """A real local HTTP server: /flaky fails once, /moved redirects keeping the query (so
    the key is in a Location header), /bad echoes the key in its error body, /ok is JSON."""

    calls: ClassVar[dict[str, int]] = {}
    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        path, _, query = self.path.partition("?")
        self.seen.append(self.path)
        n = self.calls[path] = self.calls.get(path, 0) + 1
        if path == "/flaky" and n == 1:
            self._reply(500, {"error": "try again"})
        elif path == "/moved":
            self.send_response(302)
            self.send_header("Location", f"/ok?{query}")
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/bad":
            key = parse_qs(query)["api_key"][0]
            self._reply(400, {"error_message": f"key {key} ({quote(key)}) is not registered"})
        else:
            self._reply(200, {"ok": True})

    def _reply(self, status: int, body: object) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:  # keep the server quiet
        return


def test_api_key_never_reaches_logs_or_errors_at_debug(caplog):
    """Issue 14 item 9: httpx logged every request URL with api_key=... at INFO, and
    redaction missed URL-encoded keys. Real httpx requests to a local server, every logger
    at DEBUG, a key whose characters get percent-encoded (+ / = space & % é)."""
    key = "Ab+c/d=e f&g%h~é9"
    encoded = {quote(key, safe=""), quote_plus(key), quote(key), quote(key, safe="").lower()}
    assert all(form != key for form in encoded)
    _EchoHandler.seen.clear()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EchoHandler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    local = type(
        "LocalSource",
        (Connector,),
        {"name": "local_test", "base_url": f"http://127.0.0.1:{server.server_port}"},
    )
    conn = local(api_key=key, retry=RetryPolicy(attempts=3, base=0.001, cap=0.01))
    caplog.set_level(logging.DEBUG)
    try:
        assert conn.get_json("/ok", {"q": 1}) == {"ok": True}
        assert conn.get_json("/flaky") == {"ok": True}  # logs a retry warning
        assert conn.get_json("/moved") == {"ok": True}  # Location header holds the key
        with pytest.raises(ConnectorError) as bad:
            conn.get_json("/bad")
        try:
            httpx.get(f"{conn.base_url}/ok?api_key={quote(key, safe='')}").raise_for_status()
            raise RuntimeError(f"failed on {conn.base_url}/x?api_key={quote_plus(key)}")
        except RuntimeError:
            logging.getLogger("research_core.test").exception("while fetching %s", key)
    finally:
        server.shutdown()
        conn.close()
    sent = [parse_qs(path.partition("?")[2])["api_key"] for path in _EchoHandler.seen]
    assert sent == [[key]] * 7  # the key was really sent, decoded intact, every time
    text = caplog.text + str(bad.value)
    assert "HTTP Request: GET" in caplog.text and "receive_response_headers" in caplog.text
    assert "Location" in caplog.text and "retry 1" in caplog.text and "Traceback" in caplog.text
    for form in [key, *encoded]:
        assert form not in text, form
    assert "api_key=***" in caplog.text and "is not registered" in str(bad.value)


def test_redact_masks_every_spelling_of_a_secret():
    key = "s3cr3t/with+plus and space"
    register_secret(key)
    for form in [key, quote(key, safe=""), quote_plus(key), quote(quote(key, safe=""), safe="")]:
        assert redact(f"before {form} after") == "before *** after"
    assert (
        redact("GET /x?series_key=5&token=abc&apikey=zz")
        == "GET /x?series_key=5&token=***&apikey=***"
    )
    register_secret("ab")  # too short to mask without garbling text
    assert redact("tab") == "tab"

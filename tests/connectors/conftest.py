"""Recorded and documented bodies served through ``httpx.MockTransport``.

Only the network is replaced: URLs, parameters, retries, parsing and lake writes run for
real. Real recordings come from ``../shared/fixtures/api`` (see its PROVENANCE.md).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from research_core.catalog import series as catalog_series
from research_core.connectors import Connector, RetryPolicy, connector

FIXTURES = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "api"
FAST = RetryPolicy(attempts=4, base=0.001, cap=0.01, max_retry_after=60.0)
Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


def fixture_text(relative: str) -> str:
    """A recorded body from the shared fixtures."""
    path = FIXTURES / relative
    if not path.exists():
        pytest.fail(f"shared fixture {path} is missing (../shared must sit beside the repo)")
    return path.read_text("utf-8")


def json_reply(body: Any, status: int = 200, **headers: str) -> httpx.Response:
    return httpx.Response(
        status,
        text=body if isinstance(body, str) else json.dumps(body),
        headers={"content-type": "application/json", **headers},
    )


class Server:
    """Routes requests by a substring of the URL path to replies (a list is served in order).

    Records every request; a route's list of replies is consumed one by one and its last
    reply repeats.
    """

    def __init__(self) -> None:
        self.routes: list[tuple[str, list[Reply]]] = []
        self.requests: list[httpx.Request] = []

    def route(self, fragment: str, *replies: Reply) -> Server:
        self.routes.append((fragment, list(replies)))
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        target = request.url.raw_path.decode()
        for fragment, replies in self.routes:
            if fragment in target:
                reply = replies.pop(0) if len(replies) > 1 else replies[0]
                return reply(request) if callable(reply) else reply
        return httpx.Response(404, text=f"no route for {target}")

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self)

    def params(self, i: int = -1) -> dict[str, str]:
        return dict(self.requests[i].url.params)


class Sleeps(list[float]):
    """Records waits instead of sleeping (retry and rate-limit delays stay observable)."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


@pytest.fixture
def server() -> Server:
    return Server()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make(server: Server, sleeps: Sleeps) -> Callable[..., Connector]:
    """``make("fred")``: a connector whose network is ``server``."""

    def build(name: str, **kwargs: Any) -> Connector:
        kwargs.setdefault("retry", FAST)
        return connector(name, transport=server.transport(), sleep=sleeps, **kwargs)

    return build


def spec(series_id: str, **changes: Any) -> Any:
    """A catalog spec, optionally with fields changed (e.g. another code)."""
    from dataclasses import replace

    return replace(catalog_series(series_id), **changes)

"""Alert fixtures: a PMS, a hand-built run folder, a local SMTP server (aiosmtpd) and a
local HTTP receiver (stdlib ``http.server``) on free ports, and a clock the test moves."""

from __future__ import annotations

import datetime as dt
import json
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from aiosmtpd.controller import Controller

from research_core.alerts import AlertsConfig
from research_core.alerts.config import EmailChannel, WebhookChannel
from research_core.pms import PMS
from tests.pms.conftest import fresh_postgres

DAY = "2026-10-30"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Mailbox:
    """aiosmtpd handler keeping every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], Message]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(
            (list(envelope.rcpt_tos), message_from_bytes(envelope.content, policy=policy.default))
        )
        return "250 OK"


@pytest.fixture
def smtp() -> Iterator[tuple[int, Mailbox]]:
    box, port = Mailbox(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    yield port, box
    controller.stop()


class Receiver:
    """A webhook receiver: JSON bodies posted to it, by path, in a background thread."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.posts: list[tuple[str, dict[str, Any]]] = []
        self.log: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.posts.append((self.path, json.loads(body)))
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                outer.log.append(format % args)

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(free_port())
    yield r
    r.close()


def config(smtp_port: int, http_port: int, minutes: float = 30.0) -> AlertsConfig:
    base = f"http://127.0.0.1:{http_port}"
    return AlertsConfig(
        escalate_after_minutes=minutes,
        email=EmailChannel(
            host="127.0.0.1", port=smtp_port, sender="workbench@fund.test",
            to=("pm@fund.test",), escalate_to=("cio@fund.test",),
        ),
        webhook=WebhookChannel(url=f"{base}/alerts", escalate_url=f"{base}/escalate"),
    )  # fmt: skip


class Clock:
    """A clock the test sets: ``clock()`` is the current time."""

    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, minutes: float) -> None:
        self.now += dt.timedelta(minutes=minutes)


@pytest.fixture
def clock() -> Clock:
    return Clock(dt.datetime(2026, 10, 30, 9, 0, tzinfo=dt.UTC))


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """An empty database's URL, once per engine (as ``tests/pms/conftest.py``)."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'pms.db'}"
    return fresh_postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture
def engine(db_url: str, tmp_path: Path) -> Iterator[Any]:
    """A fresh PMS's engine, once per database engine (SQLite file, real PostgreSQL)."""
    pms = PMS.open(db_url, limits_file=tmp_path / "limits.yaml")
    yield pms.engine
    pms.engine.dispose()


def write_run(
    runs: Path, day: str = DAY, *, steps: list[dict[str, Any]] | None = None, **artifacts: Any
) -> Path:
    """A run folder by the contract (``pipelines/README.md``): the manifest and the given
    artifacts (name with ``__`` for ``/``: DataFrames → Parquet, dicts → JSON)."""
    folder = runs / day
    (folder / "artifacts").mkdir(parents=True, exist_ok=True)
    manifest = {"as_of": day, "status": "running", "steps": steps or []}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    for key, value in artifacts.items():
        path = folder / "artifacts" / key.replace("__", "/")
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(value, pd.DataFrame):
            value.to_parquet(path)
        else:
            path.write_text(json.dumps(value), encoding="utf-8")
    return folder


def limits_table() -> pd.DataFrame:
    """A held book's limit table (``risk.limits.limit_table``'s columns): VaR over its
    limit, gross leverage near it, net leverage fine."""
    return pd.DataFrame(
        {
            "value": [0.0123, 3.6, 0.5],
            "max": [0.01, 4.0, 1.0],
            "unit": ["historical, NAV", "Σ|notional|/NAV", "|Σ notional|/NAV"],
            "utilization": [1.23, 0.9, 0.5],
            "status": ["breach", "warn", "ok"],
            "key": ["var_99", "gross_leverage", "net_leverage"],
            "kind": ["hard", "soft", "soft"],
        },
        index=pd.Index(["VaR 99% 1d", "gross leverage", "net leverage"], name="limit"),
    )


@pytest.fixture
def breach_run(tmp_path: Path) -> Path:
    """A run whose held book breaches its VaR limit and is near its gross-leverage limit."""
    return write_run(tmp_path / "runs", **{"risk__held__limits.parquet": limits_table()})

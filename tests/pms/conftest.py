"""PMS fixtures: a fresh database on each engine (SQLite file, real PostgreSQL server)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine

from research_core.lake.store import Lake
from research_core.pms import PMS


def fresh_postgres(server_url: str) -> str:
    """Create an empty database on the test server and return its URL."""
    name = f"pms_{uuid.uuid4().hex[:12]}"
    engine = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    return server_url.rsplit("/", 1)[0] + "/" + name


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A URL of an empty database, once per engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'pms.db'}"
    else:
        yield fresh_postgres(request.getfixturevalue("postgres_url"))


@pytest.fixture(scope="session")
def lake(sample_lake_path: Path) -> Lake:
    return Lake.open(sample_lake_path)


@pytest.fixture
def pms(db_url: str, lake: Lake, tmp_path: Path) -> Iterator[PMS]:
    """A fresh PMS acting as alice (four-eyes on, the default), its limits file in the
    test's folder (so PostgreSQL runs do not share one)."""
    system = PMS.open(db_url, lake=lake, actor="alice", limits_file=tmp_path / "limits.yaml")
    yield system
    system.engine.dispose()


def four_eyes_on(pms: PMS) -> PMS:
    """Turn four-eyes back on (a request and a second user's approval, like any control)."""
    rid = pms.request_control("four_eyes", True, actor="alice", reason="back to two people")
    pms.approve_control(rid, actor="controller", reason="test")
    return pms


def four_eyes_off(pms: PMS) -> PMS:
    """Turn four-eyes off the only way there is: alice requests it, a second user approves
    (for tests that book trades directly with ``enter_trade``)."""
    rid = pms.request_control("four_eyes", False, actor="alice", reason="a one-person test book")
    pms.approve_control(rid, actor="controller", reason="test")
    return pms

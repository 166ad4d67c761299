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
def pms(db_url: str, lake: Lake) -> Iterator[PMS]:
    system = PMS.open(db_url, lake=lake, actor="alice")
    yield system
    system.engine.dispose()

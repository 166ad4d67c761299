"""Engines, schema upgrades and the unit of work that serializes every PMS write.

Every write runs in one transaction that first takes the PMS write lock: ``BEGIN
IMMEDIATE`` on SQLite (the database's write lock), ``pg_advisory_xact_lock`` on PostgreSQL.
So audit appends are serialized and the rows a write adds commit together with its audit
record, or not at all. Opening a database reads its schema revision in one query and loads
Alembic only to migrate or when that revision is not the shipped head.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, create_engine, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

from research_core._secrets import safe_url
from research_core.config import get_settings
from research_core.errors import DatabaseURLError, PMSError

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.orm import Session

    from research_core.pms.system import PMS

DIALECTS = ("sqlite", "postgresql")
VERSION_TABLE = "alembic_version"  # where Alembic keeps the schema revision
ADVISORY_KEY = 0x574B5053  # "WKPS": the PMS write lock on PostgreSQL


def missing_sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL when it does not exist yet (None otherwise)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return None
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    path = Path(parsed.database)
    return None if path.exists() else path


def make_engine(url: str) -> Engine:
    """An engine for a SQLite or PostgreSQL URL; a malformed URL raises DatabaseURLError."""
    try:
        parsed = make_url(url)
    except ArgumentError as err:
        raise DatabaseURLError(
            f"malformed database URL {url!r}: expected e.g. sqlite:///workbench.db or "
            "postgresql+psycopg2://user@host:5432/db"
        ) from err
    if parsed.get_backend_name() not in DIALECTS:
        raise DatabaseURLError(
            f"unsupported database {parsed.get_backend_name()!r} in {safe_url(url)}; "
            f"use one of {DIALECTS}"
        )
    if parsed.drivername == "postgresql":  # the driver we ship, not SQLAlchemy's default
        parsed = parsed.set(drivername="postgresql+psycopg2")
    try:
        if parsed.get_backend_name() == "sqlite":
            engine = create_engine(parsed, connect_args={"timeout": 60})
            _sqlite_immediate(engine)
        else:
            engine = create_engine(parsed, pool_pre_ping=True, connect_args={"connect_timeout": 10})
        with engine.connect() as conn:  # a missing folder, a non-database file, no server
            conn.exec_driver_sql("SELECT 1")
    except (ArgumentError, NoSuchModuleError) as err:
        raise DatabaseURLError(f"cannot use database URL {safe_url(url)}: {err}") from err
    except DBAPIError as err:
        reason = str(err.orig).strip().splitlines()[0] if err.orig else type(err).__name__
        raise DatabaseURLError(f"cannot open database {safe_url(url)}: {reason}") from err
    return engine


def open_engine(url: str | None, *, create: bool) -> Engine:
    """The engine of the PMS database at ``url`` (default ``WORKBENCH_DB_URL``). Unless
    ``create`` (the caller then migrates), a missing SQLite file or a schema other than the
    code's head is refused with the command that fixes it."""
    url = url or get_settings().db_url
    missing = missing_sqlite_file(url)
    if missing is not None and not create:  # connecting would create an empty file
        raise PMSError(f"no PMS database at {missing}: run `workbench pms init`")
    engine = make_engine(url)
    if not create and not schema_is_current(engine):
        raise PMSError(
            f"database {safe_url(str(engine.url))} is at schema {current_revision(engine)}, "
            f"code needs {head_revision()}: run `workbench pms init`"
        )
    return engine


def _sqlite_immediate(engine: Engine) -> None:
    """Let SQLAlchemy own transactions on pysqlite and open each with BEGIN IMMEDIATE
    (SQLAlchemy 2.0 docs, "Serializable isolation / Savepoints / Transactional DDL")."""

    @event.listens_for(engine, "connect")
    def _connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None
        dbapi_conn.execute("PRAGMA foreign_keys=ON")

    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def alembic_config() -> Config:
    """Alembic configuration pointing at the revisions shipped in the package."""
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option(
        "script_location", str(resources.files("research_core.pms").joinpath("migrations"))
    )
    return cfg


def head_revision() -> str:
    """The newest schema revision this code knows (Alembic's head of the shipped scripts)."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


_LINK = re.compile(r"^(down_revision|revision)\s*(?::[^=]*)?=\s*(.+)$", re.MULTILINE)


def shipped_head() -> str | None:
    """:func:`head_revision` as the migration files state it, read without Alembic (which
    costs a replay a third of a second to import): the one revision no file revises; None
    when the files do not name exactly one."""
    revised: set[str] = set()
    revisions: set[str] = set()
    for script in resources.files("research_core.pms.migrations").joinpath("versions").iterdir():
        if script.name.endswith(".py") and not script.name.startswith("_"):
            for key, value in _LINK.findall(script.read_text("utf-8")):
                named = set(re.findall(r"[\"']([^\"']+)[\"']", value))
                (revised if key == "down_revision" else revisions).update(named)
    heads = revisions - revised
    return heads.pop() if len(heads) == 1 else None


def current_revision(engine: Engine) -> str | None:
    """The schema revision of the database (None for an empty database), read as Alembic
    keeps it: the one row of ``alembic_version``."""
    with engine.connect() as conn:
        if not inspect(conn).has_table(VERSION_TABLE):
            return None
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).scalars().all()  # noqa: S608
    if len(rows) > 1:
        raise PMSError(
            f"database {safe_url(str(engine.url))} records {len(rows)} schema revisions "
            f"({', '.join(map(str, rows))}); the PMS schema has one"
        )
    return str(rows[0]) if rows else None


def schema_is_current(engine: Engine) -> bool:
    """Whether the database is at the code's head revision: one query, and Alembic only
    when the revision differs from the one the migration files name (:func:`shipped_head`)."""
    now = current_revision(engine)
    return now is not None and (now == shipped_head() or now == head_revision())


def upgrade(engine: Engine, revision: str = "head") -> str | None:
    """Create or upgrade the schema to ``revision`` (never drops data); returns the new one."""
    from alembic import command

    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return current_revision(engine)


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """One session and one transaction holding the PMS write lock; commits on success.

    The book rows it writes are tracked for the audit record's row images
    (``pms.ledger``); an older database gets its baseline record first; after a commit
    that appended audit records, the new head is anchored (``pms.anchors``). The ORM and
    the audit modules are imported here, by a write: a replay reads without them.
    """
    from sqlalchemy.orm import Session

    from research_core.pms import anchors, audit, ledger

    with Session(engine, expire_on_commit=False) as session:
        with session.begin():
            if engine.dialect.name == "postgresql":
                session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": ADVISORY_KEY})
            ledger.track(session)
            if ledger.needs_baseline(session):
                audit.append_baseline(session)
            yield session
        head = session.info.get(audit.HEAD)
    if head is not None:
        anchors.after_commit(engine.url, head)


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    """A session for reads (no lock on PostgreSQL; SQLite transactions are short)."""
    from sqlalchemy.orm import Session

    with Session(engine, expire_on_commit=False) as session, session.begin():
        yield session


def copy_database(source: Engine, target: Engine) -> dict[str, int]:
    """Copy every PMS table from ``source`` to an empty ``target`` (e.g. SQLite →
    PostgreSQL), schema by migration first; returns rows copied per table."""
    from sqlalchemy import func, insert, select

    from research_core.pms.models import Base

    upgrade(target)
    counts: dict[str, int] = {}
    with source.connect() as src, target.begin() as dst:
        if target.dialect.name == "postgresql":  # SQLite's zone-less timestamps are UTC
            dst.exec_driver_sql("SET LOCAL TIME ZONE 'UTC'")
        for table in Base.metadata.sorted_tables:
            if dst.execute(select(func.count()).select_from(table)).scalar_one():
                raise DatabaseURLError(f"target table {table.name} is not empty; copy refused")
            rows = [dict(r._mapping) for r in src.execute(select(table))]
            if rows:
                dst.execute(insert(table), rows)
            counts[table.name] = len(rows)
        if target.dialect.name == "postgresql":
            for table in Base.metadata.sorted_tables:
                pk = list(table.primary_key.columns)
                if len(pk) == 1 and pk[0].autoincrement is True:
                    dst.execute(
                        text(
                            f"SELECT setval(pg_get_serial_sequence('{table.name}', "  # noqa: S608
                            f"'{pk[0].name}'), COALESCE(MAX({pk[0].name}), 0) + 1, false) "
                            f"FROM {table.name}"
                        )
                    )
    return counts


def init_db(url: str | None = None) -> PMS:
    """Create or upgrade the schema at ``url`` (default ``WORKBENCH_DB_URL``)."""
    from research_core.pms.system import PMS

    return PMS.open(url)

"""``audit verify`` in full: the chain, its signatures, the newest anchor, the append-only
triggers and the book replayed from the audited events, read in one consistent snapshot.

Triggers: the ones migration 0001 creates (SQLite ``audit_log_no_update``/``_no_delete``,
PostgreSQL ``audit_log_no_change``/``_no_truncate`` on ``audit_log_refuse()``); a missing,
disabled or altered one is reported by :func:`check` and recreated by
:func:`restore_triggers` (``workbench pms init``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, select, text
from sqlalchemy.orm import Session

from research_core.config import get_settings
from research_core.errors import AuditError
from research_core.pms import anchors, audit, db, keys, ledger
from research_core.pms.audit import (
    GENESIS,
    Anchor,
    Verification,
    check_signatures,
    verify_rows,
)
from research_core.pms.keys import Keyring
from research_core.pms.models import AuditRow

# The definitions of migration 0001 (kept here so init can restore them).
_SQLITE = {
    f"audit_log_no_{op}": (
        f"CREATE TRIGGER audit_log_no_{op} BEFORE {op.upper()} ON audit_log "
        f"BEGIN SELECT RAISE(ABORT, 'audit_log is append-only: {op.upper()} refused'); END"
    )
    for op in ("update", "delete")
}
_PG_FUNCTION = (
    "CREATE OR REPLACE FUNCTION audit_log_refuse() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP; END "
    "$$ LANGUAGE plpgsql"
)
_PG = {
    "audit_log_no_change": (
        "CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log "
        "FOR EACH ROW EXECUTE FUNCTION audit_log_refuse()",
        ("BEFORE", "UPDATE", "DELETE", "FOR EACH ROW"),
    ),
    "audit_log_no_truncate": (
        "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse()",
        ("BEFORE TRUNCATE", "FOR EACH STATEMENT"),
    ),
}


def _squash(sql: str) -> str:
    return re.sub(r"\s+", " ", sql).strip()


def bad_triggers(conn: Connection) -> list[str]:
    """The append-only triggers that are missing, disabled or not as shipped (by name)."""
    if conn.dialect.name == "postgresql":
        return _bad_postgres(conn)
    query = text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")
    found = {str(name): str(sql or "") for name, sql in conn.execute(query)}
    return [n for n, sql in _SQLITE.items() if _squash(found.get(n, "")) != sql]


def _bad_postgres(conn: Connection) -> list[str]:
    query = text("SELECT prosrc FROM pg_proc WHERE proname = 'audit_log_refuse'")
    body = conn.execute(query).scalar()
    if body is None or "RAISE EXCEPTION 'audit_log is append-only" not in str(body):
        return sorted(_PG)
    query = text(
        "SELECT tgname, tgenabled, pg_get_triggerdef(oid) FROM pg_trigger "
        "WHERE tgrelid = to_regclass('audit_log') AND NOT tgisinternal"
    )
    found = {str(n): (str(on), str(sql)) for n, on, sql in conn.execute(query)}
    bad = []
    for name, (_, parts) in _PG.items():
        enabled, sql = found.get(name, ("D", ""))
        good = "audit_log_refuse()" in sql and "WHEN" not in sql
        if enabled not in ("O", "A") or not good or not all(p in sql for p in parts):
            bad.append(name)
    return bad


def restore_triggers(engine: Engine) -> list[str]:
    """Recreate the append-only triggers that :func:`bad_triggers` names; returns them."""
    with engine.begin() as conn:
        bad = bad_triggers(conn)
        for name in bad:
            if conn.dialect.name == "postgresql":
                conn.execute(text(_PG_FUNCTION))  # text(): its "%" is not a parameter
                conn.execute(text(f"DROP TRIGGER IF EXISTS {name} ON audit_log"))
                conn.execute(text(_PG[name][0]))
            else:
                conn.execute(text(f"DROP TRIGGER IF EXISTS {name}"))
                conn.execute(text(_SQLITE[name]))
    return bad


@contextmanager
def _snapshot(engine: Engine) -> Iterator[Connection]:
    """A read transaction that sees one state of the database (SQLite: the write lock,
    which our engines take on BEGIN; PostgreSQL: REPEATABLE READ)."""
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


def _anchor(
    engine: Engine, given: Anchor | str | Path | None, notes: list[str]
) -> tuple[Anchor | None, str]:
    """The anchor to check (given, else the newest in the anchors folder) and its source."""
    if isinstance(given, Anchor):
        return given, "the given anchor"
    if given is not None:
        return Anchor.read(given), f"anchor file {given}"
    place = anchors.folder(engine.url)
    if place is None:
        notes.append("no anchors folder for this database: set WORKBENCH_AUDIT_ANCHORS_PATH")
        return None, ""
    found = anchors.newest(place)
    return (None, str(place)) if found is None else (found[0], f"anchor file {found[1]}")


def check(
    engine: Engine,
    anchor: Anchor | str | Path | None = None,
    *,
    catch_up: bool = False,
    ring: Keyring | None = None,
) -> Verification:
    """Verify the chain, the row signatures, the anchor (``anchor``, else the newest in the
    anchors folder, which must exist and, with a key, be signed), the triggers, and the
    book against the events; the first problem and notes. ``catch_up`` (before writing an
    anchor): no anchor yet, or an unsigned one, is not a problem."""
    ring = keys.load() if ring is None else ring
    notes: list[str] = []
    if not ring.configured:
        notes.append("anchors are not signed: set WORKBENCH_AUDIT_KEY")
    found, source = _anchor(engine, anchor, notes)  # read before the snapshot: never newer
    with _snapshot(engine) as conn:
        with Session(bind=conn) as session:
            rows = list(session.scalars(select(AuditRow).order_by(AuditRow.seq)))
        links = verify_rows(rows)
        bad = bad_triggers(conn)
        book = ledger.check_book(rows, conn) if links.ok else None
    problems = _chain_problems(links, rows, ring, found, source, catch_up)
    if bad:
        why = f"missing, disabled or altered: {', '.join(bad)} (`workbench pms init` restores them)"
        problems.append(("audit triggers", None, why))
    if book is not None and not book.ok:
        problems.append(("book", None, f"differs from the audited events: {book.problem}"))
    if book is not None and book.covered_from is None and rows:
        notes.append("book not covered: no audited event carries row images yet")
    elif book is not None and book.covered_from not in (None, 1):
        notes.append(f"book not covered before seq {book.covered_from} (older records)")
    if found is not None and links.head is not None:
        signed = f"signed, key id {found.key_id}" if found.hmac else "unsigned"
        after = links.head.seq - found.seq
        tail = f"; {after} rows after it are not anchored yet" if after > 0 else ""
        notes.insert(0, f"anchor: seq {found.seq}, {source} ({signed}){tail}")
    if not problems:
        return Verification(True, links.rows, links.head, notes=tuple(notes))
    what, seq, problem = problems[0]
    also = [f"also: {w} BROKEN{f' at seq {s}' if s else ''}: {p}" for w, s, p in problems[1:]]
    return Verification(False, links.rows, links.head, seq, problem, (*also, *notes), what)


def _chain_problems(
    links: Verification,
    rows: list[AuditRow],
    ring: Keyring,
    found: Anchor | None,
    source: str,
    catch_up: bool,
) -> list[tuple[str, int | None, str]]:
    """Link, signature and anchor problems, in that order (an anchor whose signature fails
    is not read further)."""
    if not links.ok:
        return [("audit chain", links.first_bad_seq, links.problem)]
    out: list[tuple[str, int | None, str]] = []
    seq, problem = check_signatures(rows, ring)
    if problem:
        out.append(("audit chain", seq, problem))
    if found is None:
        if source and rows and not catch_up:
            why = (
                f"no anchor in {source} for a log of {len(rows)} rows: a truncated tail cannot "
                "be caught (`workbench audit anchor` writes one)"
            )
            out.append(("audit chain", None, why))
        return out
    wrong = found.check(ring) if ring.configured and not catch_up else ""
    if wrong:
        out.append(("audit chain", found.seq, f"{source}: {wrong}"))
        return out
    anchored = verify_rows(rows, found)
    if not anchored.ok:
        out.append(("audit chain", anchored.first_bad_seq, f"{anchored.problem} ({source})"))
    return out


def anchor_head(engine: Engine) -> Path:
    """Verify (there may be no anchor yet, or an unsigned one) and anchor the verified
    head, signed, in the anchors folder: after a crash between a commit and its anchor, a
    new anchors folder or a copied database, or a key configured for an older log."""
    result = check(engine, catch_up=True)
    if not result.ok:
        raise AuditError(f"not anchoring: {result.summary().splitlines()[0]}")
    place = anchors.folder(engine.url)
    if place is None:
        raise AuditError("no anchors folder for this database: set WORKBENCH_AUDIT_ANCHORS_PATH")
    return anchors.write(place, result.head or Anchor(0, GENESIS, ""), keys.load())


def rotate_key(engine: Engine, actor: str) -> str:
    """Verify, add a new key to ``WORKBENCH_AUDIT_KEY_FILE`` (created if missing) and make it
    current, recorded by a ``rotate-key`` audit record signed with it (later rows must be);
    returns the new key id. Old keys stay in the file: what they signed stays verifiable."""
    path = get_settings().audit_key_file
    if path is None:
        raise AuditError("set WORKBENCH_AUDIT_KEY_FILE: rotation keeps the keys in that file")
    ring = keys.load(missing_file_ok=True)
    result = check(engine, ring=ring)
    if not result.ok:
        raise AuditError(f"not rotating: {result.summary().splitlines()[0]}")
    new = keys.rotate(Path(path), ring)
    with db.unit_of_work(engine) as session:
        audit.append(
            session,
            actor=actor,
            action="rotate-key",
            entity="audit",
            entity_id=new,
            payload={"key_id": new, "previous": ring.current},
        )
    return new

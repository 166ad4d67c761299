"""Row images: what each audited write did to the book, so ``audit verify`` can replay it.

A unit of work (``pms.db.unit_of_work``) tracks the rows of the book tables (:data:`BOOK`)
it inserts, updates or deletes: ORM flushes, and ORM ``UPDATE``/``DELETE`` statements (their
rows are read before they run). ``audit.append`` stores in its record's payload the
after-image of each such row (``rows``: table → id → column → value as text; None for a
deleted row) and a digest of its before-image (``was``). Replaying the images in seq order
gives the book the audited events produced: :func:`check_book` compares it with the tables,
naming the first row that differs, and catches a row changed outside the log that a later
write then touched (its ``was`` digest differs from the image replayed so far).

A database written before row images existed (or with rows but no audit record) gets a
*baseline* record at its next write, the images of every book row; the book is covered from
that seq on, and ``verify`` says so.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, Table, event, func, select
from sqlalchemy.orm import ORMExecuteState, Session, object_mapper
from sqlalchemy.orm.exc import UnmappedInstanceError

from research_core.errors import AuditError
from research_core.pms.models import AuditRow, Base

BOOK = (
    "settings",
    "instruments",
    "trades",
    "positions",
    "trade_proposals",
    "proposal_events",
    "decision_journal",
    "daily_briefings",
    "pnl_history",
    "nav_history",
)
"""The tables whose every row must be what the audited events wrote (a new table the PMS
writes under audit belongs here)."""

Image = dict[str, Any]
Key = tuple[str, str]  # (table, primary key as text)
_INFO = "pms.ledger"
_CHUNK = 500


def cell(value: Any) -> Any:
    """A column value as the images hold it: text for numbers and dates (UTC, naive for
    timestamps, as SQLite stores them), None and booleans as they are."""
    if value is None or isinstance(value, bool | str):
        return value
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else str(value)
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat(timespec="microseconds")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def digest(image: Mapping[str, Any]) -> str:
    """A short fingerprint of a row image (what ``was`` keeps)."""
    text = json.dumps(image, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _table(name: str) -> Table:
    return Base.metadata.tables[name]


def _pk(table: Table) -> Any:
    (column,) = table.primary_key.columns
    return column


def _images(conn: Connection, name: str, ids: Iterable[Any] | None = None) -> dict[str, Image]:
    """Images of the rows of table ``name`` (those with primary key in ``ids``, or all)."""
    table = _table(name)
    pk = _pk(table)
    stmts = [select(table)] if ids is None else []
    wanted = [] if ids is None else list(ids)
    for i in range(0, len(wanted), _CHUNK):
        stmts.append(select(table).where(pk.in_(wanted[i : i + _CHUNK])))
    out: dict[str, Image] = {}
    for stmt in stmts:
        for row in conn.execute(stmt).mappings():
            out[cell(row[pk.name])] = {c.name: cell(row[c.name]) for c in table.columns}
    return out


def book_state(conn: Connection) -> dict[str, dict[str, Image]]:
    """Every book row's image, per table."""
    return {name: _images(conn, name) for name in BOOK}


# ---- tracking a unit of work's writes ---------------------------------------------------
@dataclass
class _Tracker:
    before: dict[Key, Image | None] = field(default_factory=dict)
    inserted: set[Key] = field(default_factory=set)
    ids: dict[Key, Any] = field(default_factory=dict)  # the key's primary key value


def _key(obj: object) -> tuple[Key, Any] | None:
    try:
        mapper = object_mapper(obj)
    except UnmappedInstanceError:
        return None
    name = str(getattr(mapper.local_table, "name", ""))
    if name not in BOOK:
        return None
    (value,) = mapper.primary_key_from_instance(obj)
    return None if value is None else ((name, cell(value)), value)


def _remember(session: Session, tracker: _Tracker, found: Iterable[tuple[Key, Any]]) -> None:
    """Read the current images of rows about to change (first time in this record only)."""
    wanted: dict[str, dict[Key, Any]] = defaultdict(dict)
    for key, value in found:
        if key not in tracker.before and key not in tracker.inserted:
            wanted[key[0]][key] = value
    for name, keys in wanted.items():
        images = _images(session.connection(), name, keys.values())
        for key, value in keys.items():
            tracker.before[key] = images.get(key[1])
            tracker.ids[key] = value


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    tracker = session.info.get(_INFO)
    if tracker is not None:
        keys = (_key(obj) for obj in [*session.dirty, *session.deleted])
        _remember(session, tracker, (k for k in keys if k is not None))


def _after_flush(session: Session, _ctx: Any) -> None:
    tracker = session.info.get(_INFO)
    if tracker is None:
        return
    for obj in session.new:
        found = _key(obj)
        if found is not None and found[0] not in tracker.before:
            tracker.inserted.add(found[0])
            tracker.ids[found[0]] = found[1]


def _orm_execute(state: ORMExecuteState) -> None:
    """Before an ORM UPDATE or DELETE of a book table, read the rows it will change."""
    tracker = state.session.info.get(_INFO)
    if tracker is None or not (state.is_update or state.is_delete or state.is_insert):
        return
    table = getattr(state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in BOOK:
        return
    if state.is_insert:
        raise AuditError(f"bulk INSERT into {name} cannot be audited row by row; add the objects")
    pk = _pk(_table(name))
    stmt = select(pk)
    where = getattr(state.statement, "whereclause", None)
    if where is not None:
        stmt = stmt.where(where)
    ids = state.session.connection().execute(stmt).scalars().all()
    _remember(state.session, tracker, (((name, cell(v)), v) for v in ids))


def track(session: Session) -> None:
    """Start tracking the book rows ``session`` writes (``pms.db.unit_of_work`` does it)."""
    session.info[_INFO] = _Tracker()
    event.listen(session, "before_flush", _before_flush)
    event.listen(session, "after_flush", _after_flush)
    event.listen(session, "do_orm_execute", _orm_execute)


def capture(session: Session) -> dict[str, Any]:
    """``{"rows": after-images, "was": before digests}`` of the book rows written since the
    last capture (flushing first); the tracking starts over."""
    tracker = session.info.get(_INFO)
    if tracker is None:
        raise AuditError("audit records are appended inside pms.db.unit_of_work (it tracks writes)")
    session.flush()
    by_table: dict[str, dict[Key, Any]] = defaultdict(dict)
    for key in [*tracker.before, *tracker.inserted]:
        by_table[key[0]][key] = tracker.ids[key]
    rows: dict[str, dict[str, Image | None]] = {}
    for name in sorted(by_table):
        images = _images(session.connection(), name, by_table[name].values())
        rows[name] = {key[1]: images.get(key[1]) for key in by_table[name]}
    was: dict[str, dict[str, str]] = defaultdict(dict)
    for (name, pk), image in tracker.before.items():
        if image is not None:
            was[name][pk] = digest(image)
    session.info[_INFO] = _Tracker()
    return {"rows": rows, "was": dict(was)}


def needs_baseline(session: Session) -> bool:
    """True when the log does not end in a record with row images (an older database), or
    is empty while the book tables are not."""
    last = session.scalars(select(AuditRow.payload).order_by(AuditRow.seq.desc()).limit(1)).first()
    if last is not None:
        return "rows" not in json.loads(last)
    conn = session.connection()
    return any(conn.execute(select(func.count()).select_from(_table(n))).scalar() for n in BOOK)


# ---- replaying the log ------------------------------------------------------------------
@dataclass(frozen=True)
class BookCheck:
    """Whether the book tables are what the audited events wrote, and from which seq."""

    ok: bool
    covered_from: int | None
    problem: str = ""
    seq: int | None = None  # the record the problem is found at (None: the final compare)


def check_book(rows: Sequence[AuditRow], conn: Connection) -> BookCheck:
    """Replay the row images of ``rows`` (a verified chain, in seq order) and compare the
    result with the tables read through ``conn``."""
    expected: dict[str, dict[str, Image]] = {name: {} for name in BOOK}
    written: dict[Key, int] = {}
    start: int | None = None
    for row in rows:
        payload = json.loads(row.payload)
        if "rows" not in payload:
            if start is not None:
                return BookCheck(
                    False,
                    start,
                    f"seq {row.seq} ({row.action}) has no row images although the book is "
                    f"covered from seq {start}: written by an older workbench or outside it",
                    row.seq,
                )
            continue
        if payload.get("baseline"):
            expected = {name: {} for name in BOOK}
        elif start is None and row.seq != 1:
            return BookCheck(
                False, None, f"seq {row.seq} has row images but no baseline before it", row.seq
            )
        start = row.seq if start is None else start
        stale = _stale(expected, written, payload.get("was", {}), row.seq)
        if stale:
            return BookCheck(False, start, stale, row.seq)
        for name, images in payload["rows"].items():
            for pk, image in images.items():
                if image is None:
                    expected.setdefault(name, {}).pop(pk, None)
                else:
                    expected.setdefault(name, {})[pk] = image
                written[(name, pk)] = row.seq
    if start is None:
        return BookCheck(True, None)
    problem = _compare(expected, written, conn)
    return BookCheck(not problem, start, problem)


def _stale(
    expected: Mapping[str, Mapping[str, Image]],
    written: Mapping[Key, int],
    was: Mapping[str, Mapping[str, str]],
    seq: int,
) -> str:
    """What a write found that the log had not written before it ('' if nothing)."""
    for name in sorted(was):
        for pk in sorted(was[name], key=_order):
            image = expected.get(name, {}).get(pk)
            if image is None:
                return (
                    f"{name} id {pk} existed when seq {seq} changed it, "
                    "but no audited event wrote it"
                )
            if digest(image) != was[name][pk]:
                return (
                    f"{name} id {pk} was changed outside the audited events between seq "
                    f"{written[(name, pk)]} (which wrote it) and seq {seq} (which found it changed)"
                )
    return ""


def _order(pk: str) -> tuple[int, float, str]:
    try:
        return (0, float(pk), pk)
    except ValueError:
        return (1, 0.0, pk)


def _compare(
    expected: Mapping[str, Mapping[str, Image]], written: Mapping[Key, int], conn: Connection
) -> str:
    """The first difference between the replayed book and the tables ('' if none)."""
    for name in BOOK:
        stored, want = _images(conn, name), expected.get(name, {})
        for pk in sorted(stored.keys() | want.keys(), key=_order):
            if pk not in want:
                return f"{name} id {pk}: in the table, but no audited event wrote it"
            by = f"as written by seq {written[(name, pk)]}"
            if pk not in stored:
                return f"{name} id {pk}: missing from the table ({by})"
            for column, value in want[pk].items():
                if column in stored[pk] and stored[pk][column] != value:
                    return (
                        f"{name} id {pk}, column {column}: stored {stored[pk][column]!r}, "
                        f"expected {value!r} ({by})"
                    )
    return ""

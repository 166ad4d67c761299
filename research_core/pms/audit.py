"""The tamper-evident audit log: a hash chain over canonical JSON records.

Row ``n`` stores ``hash_n = sha256(hash_{n-1} + canonical(record_n))`` where the record is
``{seq, at, actor, action, entity, entity_id, payload}`` and canonical JSON has sorted keys,
no whitespace and every number written as a string (so 1, 1.0 and Decimal("1.0") cannot
hash alike by accident, and engines that round floats differently cannot break the chain).
An edited, deleted, inserted or reordered row breaks the chain at that row; a truncated
tail is caught against an *anchor* (the head seq and hash written outside the database).
Appends happen inside the writer's transaction, which holds the PMS write lock
(``pms.db.unit_of_work``); database triggers refuse UPDATE and DELETE on the table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from research_core._files import write_atomic
from research_core.errors import AuditError
from research_core.pms.models import AuditRow

GENESIS = "0" * 64


def _plain(value: Any) -> Any:
    """JSON-ready value with numbers as strings and dates in ISO-8601."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | Decimal):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise AuditError(f"audit records cannot hold a non-finite number ({value!r})")
        return repr(value)
    if isinstance(value, pd.Timestamp | dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "item"):  # numpy scalars
        return _plain(value.item())
    raise AuditError(f"audit records cannot hold {type(value).__name__} values")


def canonical(value: Any) -> str:
    """Canonical JSON: sorted keys, compact separators, numbers as strings, UTF-8 text."""
    return json.dumps(_plain(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def chain_hash(prev_hash: str, record: Mapping[str, Any]) -> str:
    """sha256 hex of the previous hash followed by the record's canonical JSON."""
    return hashlib.sha256((prev_hash + canonical(record)).encode("utf-8")).hexdigest()


def _record(row: AuditRow) -> dict[str, Any]:
    return {
        "seq": row.seq,
        "at": row.at,
        "actor": row.actor,
        "action": row.action,
        "entity": row.entity,
        "entity_id": row.entity_id,
        "payload": json.loads(row.payload),
    }


def append(
    session: Session,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: object,
    payload: Mapping[str, Any],
) -> AuditRow:
    """Append one record in the caller's transaction (which must hold the write lock)."""
    last = session.execute(
        select(AuditRow.seq, AuditRow.hash).order_by(AuditRow.seq.desc()).limit(1)
    ).first()
    seq, prev = (1, GENESIS) if last is None else (last.seq + 1, last.hash)
    row = AuditRow(
        seq=seq,
        at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=str(entity_id),
        payload=canonical(payload),
        prev_hash=prev,
    )
    row.hash = chain_hash(prev, _record(row))
    session.add(row)
    session.flush()
    return row


@dataclass(frozen=True)
class Anchor:
    """The chain head at one moment, kept outside the database."""

    seq: int
    hash: str
    at: str

    def to_json(self) -> str:
        """The anchor file's content (what ``audit verify --anchor`` reads)."""
        return json.dumps({"seq": self.seq, "hash": self.hash, "at": self.at}) + "\n"

    def write(self, path: str | Path) -> Path:
        """Write the anchor file atomically (a reader sees the old anchor or the new)."""
        return write_atomic(path, lambda tmp: tmp.write_text(self.to_json()))

    @classmethod
    def read(cls, path: str | Path) -> Anchor:
        """Read an anchor file; a missing or malformed file raises AuditError."""
        try:
            raw = json.loads(Path(path).read_text())
            return cls(int(raw["seq"]), str(raw["hash"]), str(raw.get("at", "")))
        except (OSError, ValueError, KeyError, TypeError) as err:
            raise AuditError(f"cannot read audit anchor {path}: {err}") from err


@dataclass(frozen=True)
class Verification:
    """Result of verifying the chain: ok, rows checked, head, and the first bad row."""

    ok: bool
    rows: int
    head: Anchor | None
    first_bad_seq: int | None = None
    problem: str = ""

    def summary(self) -> str:
        if self.ok:
            head = f"head seq {self.head.seq} {self.head.hash[:16]}…" if self.head else "empty"
            return f"audit chain OK: {self.rows} rows, {head}"
        return f"audit chain BROKEN at seq {self.first_bad_seq}: {self.problem}"


def verify_rows(rows: Sequence[AuditRow], anchor: Anchor | None = None) -> Verification:
    """Check sequence numbers, links and hashes in seq order, then the anchor."""
    prev, expected, last = GENESIS, 1, None
    count = 0
    for row in rows:
        count += 1
        if row.seq != expected:
            return Verification(
                False, count, None, expected, f"expected seq {expected}, found seq {row.seq}"
            )
        if row.prev_hash != prev:
            return Verification(False, count, None, row.seq, "prev_hash does not link")
        try:
            good = chain_hash(prev, _record(row)) == row.hash
        except ValueError:
            good = False
        if not good:
            return Verification(False, count, None, row.seq, "hash does not match its record")
        prev, expected, last = row.hash, expected + 1, row
    head = None if last is None else Anchor(last.seq, last.hash, last.at)
    if anchor is not None:
        if head is None or head.seq < anchor.seq:
            end = 0 if head is None else head.seq
            return Verification(
                False,
                count,
                head,
                end + 1,
                f"log ends at seq {end} but the anchor names seq {anchor.seq} (truncated)",
            )
        if anchor.seq > 0 and _hash_at(rows, anchor.seq) != anchor.hash:
            return Verification(
                False, count, head, anchor.seq, "row differs from the anchored hash"
            )
    return Verification(True, count, head)


def _hash_at(rows: Sequence[AuditRow], seq: int) -> str | None:
    return next((r.hash for r in rows if r.seq == seq), None)


def verify(engine: Engine, anchor: Anchor | None = None) -> Verification:
    """Verify the audit log stored in ``engine`` (optionally against an anchor)."""
    with Session(engine) as session:
        rows = list(session.scalars(select(AuditRow).order_by(AuditRow.seq)))
    return verify_rows(rows, anchor)


def head(engine: Engine) -> Anchor | None:
    """The current chain head (None for an empty log)."""
    with Session(engine) as session:
        row = session.scalars(select(AuditRow).order_by(AuditRow.seq.desc()).limit(1)).first()
    return None if row is None else Anchor(row.seq, row.hash, row.at)

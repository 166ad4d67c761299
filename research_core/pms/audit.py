"""The tamper-evident audit log: a hash chain over canonical JSON records.

Row ``n`` stores ``hash_n = sha256(hash_{n-1} + canonical(record_n))`` where the record is
``{seq, at, actor, action, entity, entity_id, payload}`` and canonical JSON has sorted keys,
no whitespace and every number written as a string (so 1, 1.0 and Decimal("1.0") cannot
hash alike by accident, and engines that round floats differently cannot break the chain).
An edited, deleted, inserted or reordered row breaks the chain at that row; a truncated
tail is caught against an *anchor* (the head seq and hash written outside the database,
``pms.anchors``). Appends happen inside the writer's transaction, which holds the PMS write
lock (``pms.db.unit_of_work``); database triggers refuse UPDATE and DELETE on the table.

Each payload also carries the row images of what the write did to the book (``rows``,
``was``: ``pms.ledger``), so ``audit verify`` can replay the book, and, with an audit key
configured (``pms.keys``), ``mac``: an HMAC-SHA256 of the record under a key kept outside the
database, so a row appended or a chain rewritten by someone without the key is caught. Once
a row is signed, every later row must be: a writer without the key refuses to append.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from research_core._files import write_atomic
from research_core.errors import AuditError
from research_core.pms import keys, ledger
from research_core.pms.canonical_json import canonical
from research_core.pms.keys import Keyring
from research_core.pms.models import AuditRow

GENESIS = "0" * 64
RESERVED = frozenset({"rows", "was", "baseline", "mac"})
"""Payload keys the log writes itself (row images, baseline flag, signature)."""
HEAD = "pms.audit.head"
"""``session.info`` key: the Anchor of the last record appended in the session."""


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
    """Append one record in the caller's unit of work (which holds the write lock), with the
    row images of the book rows the unit wrote since its last record."""
    clash = RESERVED & set(payload)
    if clash:
        raise AuditError(f"audit payload keys {sorted(clash)} are reserved for the log itself")
    full = dict(payload) | ledger.capture(session)
    return _append(session, actor, action, entity, str(entity_id), full)


def append_baseline(session: Session) -> AuditRow:
    """Record the images of every book row: the book is covered from this record on (an
    older database's first write under row images)."""
    state = ledger.book_state(session.connection())
    return _append(
        session, "system", "baseline", "book", "all", {"baseline": True, "rows": state, "was": {}}
    )


def _append(
    session: Session, actor: str, action: str, entity: str, entity_id: str, payload: dict[str, Any]
) -> AuditRow:
    last = session.execute(
        select(AuditRow.seq, AuditRow.hash, AuditRow.payload).order_by(AuditRow.seq.desc()).limit(1)
    ).first()
    seq, prev = (1, GENESIS) if last is None else (last.seq + 1, last.hash)
    ring = keys.load()
    if last is not None and not ring.configured and "mac" in json.loads(last.payload):
        raise AuditError(
            f"the audit log is signed (seq {last.seq}) but no audit key is configured here: "
            "set WORKBENCH_AUDIT_KEY or WORKBENCH_AUDIT_KEY_FILE; nothing written"
        )
    row = AuditRow(
        seq=seq,
        at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
        actor=actor,
        action=action,
        entity=entity,
        entity_id=entity_id,
        payload=canonical(payload),
        prev_hash=prev,
    )
    mac = ring.sign("row", prev + canonical(_record(row)))
    if mac is not None:
        row.payload = canonical(payload | {"mac": mac})
    row.hash = chain_hash(prev, _record(row))
    session.add(row)
    session.flush()
    session.info[HEAD] = Anchor(row.seq, row.hash, row.at)
    return row


@dataclass(frozen=True)
class Anchor:
    """The chain head at one moment, kept outside the database; signed (``key_id``,
    ``hmac``) when an audit key is configured."""

    seq: int
    hash: str
    at: str
    key_id: str = ""
    hmac: str = ""

    def _message(self) -> str:
        return canonical({"seq": self.seq, "hash": self.hash, "at": self.at})

    def signed(self, ring: Keyring) -> Anchor:
        """This anchor signed with the ring's current key (unchanged without one)."""
        mac = ring.sign("anchor", self._message())
        return self if mac is None else replace(self, key_id=mac["key_id"], hmac=mac["hmac"])

    def check(self, ring: Keyring) -> str:
        """'' if signed under a key of ``ring``, else what is wrong."""
        if not self.hmac:
            return "the anchor is not signed"
        return ring.check("anchor", self._message(), {"key_id": self.key_id, "hmac": self.hmac})

    def to_json(self) -> str:
        """The anchor file's content (what ``audit verify --anchor`` reads)."""
        out: dict[str, Any] = {"seq": self.seq, "hash": self.hash, "at": self.at}
        if self.hmac:
            out |= {"key_id": self.key_id, "hmac": self.hmac}
        return json.dumps(out) + "\n"

    def write(self, path: str | Path) -> Path:
        """Write the anchor file atomically (a reader sees the old anchor or the new)."""
        return write_atomic(path, lambda tmp: tmp.write_text(self.to_json()))

    @classmethod
    def read(cls, path: str | Path) -> Anchor:
        """Read an anchor file; a missing or malformed file raises AuditError."""
        try:
            raw = json.loads(Path(path).read_text())
            return cls(
                int(raw["seq"]),
                str(raw["hash"]),
                str(raw.get("at", "")),
                str(raw.get("key_id", "")),
                str(raw.get("hmac", "")),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as err:
            raise AuditError(f"cannot read audit anchor {path}: {err}") from err


@dataclass(frozen=True)
class Verification:
    """Result of verifying the log: ok, rows checked, head, the first problem (the bad row's
    seq when there is one) and notes (what was or could not be checked)."""

    ok: bool
    rows: int
    head: Anchor | None
    first_bad_seq: int | None = None
    problem: str = ""
    notes: tuple[str, ...] = ()
    what: str = "audit chain"  # what is broken: "audit chain", "book", "audit triggers"

    def summary(self) -> str:
        if self.ok:
            head = f"head seq {self.head.seq} {self.head.hash[:16]}…" if self.head else "empty"
            first = f"audit chain OK: {self.rows} rows, {head}"
        elif self.first_bad_seq is not None and self.what == "audit chain":
            first = f"audit chain BROKEN at seq {self.first_bad_seq}: {self.problem}"
        else:
            first = f"{self.what} BROKEN: {self.problem}"
        return "\n".join([first, *self.notes])


def check_signatures(rows: Sequence[AuditRow], ring: Keyring) -> tuple[int | None, str]:
    """The first row whose signature is missing (after a signed row), made with an unknown
    or retired key, or does not match: (seq, problem), or (None, '')."""
    signed_from, rotated = None, None  # rotated: (seq, key id) of the last rotate-key record
    for row in rows:
        payload = json.loads(row.payload)
        mac = payload.pop("mac", None)
        if not isinstance(mac, dict):
            if signed_from is not None:
                return row.seq, (
                    f"not signed, although the log is signed from seq {signed_from} "
                    "(appended without the audit key)"
                )
            continue
        signed_from = signed_from or row.seq
        if not ring.keys:
            continue
        record = _record(row) | {"payload": payload}
        problem = ring.check("row", row.prev_hash + canonical(record), mac)
        if problem:
            return row.seq, problem
        if row.action == "rotate-key":
            rotated = (row.seq, str(payload.get("key_id")))
        if rotated is not None and mac.get("key_id") != rotated[1]:
            return row.seq, f"signed with key {mac.get('key_id')}, retired at seq {rotated[0]}"
    return None, ""


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

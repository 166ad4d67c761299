"""Anchors: the audit chain's head, signed and kept outside the database, after every write.

``pms.db.unit_of_work`` writes one after each commit that appended audit records, into the
database's anchors folder: ``WORKBENCH_AUDIT_ANCHORS_PATH/<database>/`` when that is set,
else ``<db file>.anchors/`` beside a SQLite file (PostgreSQL needs the setting). One file per
anchored seq (``000000000123.json``), so concurrent writers never collide; ``audit verify``
reads the newest. A file is never replaced by an anchor naming another hash for its seq:
that file is the evidence that the log was changed.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from pathlib import Path

from sqlalchemy import URL

from research_core.config import get_settings
from research_core.errors import AuditError, AuditWarning
from research_core.pms import keys
from research_core.pms.audit import Anchor
from research_core.pms.keys import Keyring

_NAME = re.compile(r"^(\d{12})\.json$")


def folder(url: URL) -> Path | None:
    """The anchors folder of the database at ``url`` (None: nowhere configured)."""
    configured = get_settings().audit_anchors_path
    database = url.database or ""
    sqlite_file = url.get_backend_name() == "sqlite" and database not in ("", ":memory:")
    if configured is not None:
        if sqlite_file:
            path = str(Path(database).resolve())
            name = f"{Path(database).name}-{hashlib.sha256(path.encode()).hexdigest()[:8]}"
        else:
            name = f"{url.get_backend_name()}-{url.host or 'local'}-{url.port or ''}-{database}"
        return Path(configured).expanduser() / re.sub(r"[^A-Za-z0-9._-]", "_", name)
    if sqlite_file:
        return Path(database).resolve().with_name(Path(database).name + ".anchors")
    return None


def newest(place: Path) -> tuple[Anchor, Path] | None:
    """The anchor of the highest seq in ``place`` and its file (None if there is none)."""
    if not place.is_dir():
        return None
    found = sorted(p for p in place.iterdir() if _NAME.match(p.name))
    return None if not found else (Anchor.read(found[-1]), found[-1])


def write(place: Path, anchor: Anchor, ring: Keyring) -> Path:
    """Write ``anchor`` (signed when ``ring`` has a key) as ``place/<seq>.json``; an existing
    file of that seq naming another hash is kept and AuditError raised."""
    path = place / f"{anchor.seq:012d}.json"
    if path.exists():
        old = Anchor.read(path)
        if old.hash != anchor.hash:
            raise AuditError(
                f"{path} anchors seq {old.seq} with hash {old.hash[:16]}…, the log now has "
                f"{anchor.hash[:16]}…: the log was replaced or rewritten (kept as evidence)"
            )
    place.mkdir(parents=True, exist_ok=True)
    return anchor.signed(ring).write(path)


def after_commit(url: URL, head: Anchor) -> None:
    """Anchor ``head`` after a commit; a failure is a warning (the write is committed) that
    ``audit verify`` will see."""
    place = folder(url)
    if place is None:
        return
    try:
        write(place, head, keys.load())
    except (OSError, AuditError) as err:
        warnings.warn(
            f"audit seq {head.seq} committed but not anchored: {err}", AuditWarning, stacklevel=3
        )

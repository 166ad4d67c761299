"""Backup, restore and the go-live doctor (``workbench backup|restore|doctor``).

A backup is one folder holding everything the fund cannot lose: the lake (copied under its
writer lock, so one consistent manifest version), the PMS database (SQLite's online backup
API, or ``pg_dump`` for PostgreSQL), the files kept beside the database (limits, audit
anchors), the run folders, and ``backup.json``: every file's SHA-256 and size, the lake's
version, the audit chain's head. Restore checks every checksum first, then copies into
places that are empty (it never overwrites). The doctor prints one line per check a
go-live needs and fails if any fails. The runbook is ``docs/operations.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from research_core._files import atomic_folder, sha256_file, user_output
from research_core.errors import WorkbenchError

BACKUP_MANIFEST = "backup.json"
SIDECARS = ("limits.yaml",)
"""Files beside a SQLite PMS database that belong to it (backed up and restored with it)."""
MIN_FREE_BYTES = 2 * 1024**3


def make_url(url: str) -> Any:
    """SQLAlchemy's parsed URL (imported on use: ``workbench --help`` stays light)."""
    from sqlalchemy.engine import make_url as parse

    return parse(url)


class BackupError(WorkbenchError):
    """A backup or restore that cannot be done safely (nothing was changed)."""


@dataclass(frozen=True)
class Places:
    """Where the fund's state lives: the lake, the PMS database and the run folders."""

    lake: Path
    db_url: str
    runs: Path

    @property
    def sqlite_file(self) -> Path | None:
        url = make_url(self.db_url)
        return Path(url.database) if url.get_backend_name() == "sqlite" and url.database else None


def backup(places: Places, to: str | Path) -> dict[str, Any]:
    """Write a consistent, checksummed copy of ``places`` into the new folder ``to``."""
    from research_core.lake import Lake
    from research_core.pms import PMS

    target = user_output(to, "--to")
    if os.path.lexists(target) and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"--to {target} exists and is not empty; give a new folder")
    lake = Lake.open(places.lake)
    head = PMS.open(places.db_url, create=False).anchor()
    with atomic_folder(target) as tmp:
        with lake.locked() as manifest:  # writers wait: one manifest version is copied
            shutil.copytree(lake.root, tmp / "lake", ignore=_lake_ignore)
        _dump_database(places, tmp / "pms")
        if places.runs.is_dir():
            shutil.copytree(places.runs, tmp / "runs", symlinks=True)
        meta = {
            "created_at": dt.datetime.now(dt.UTC).isoformat(),
            "lake": {"version": int(manifest["version"])},
            "audit_head": {"seq": head.seq, "hash": head.hash},
            "database": make_url(places.db_url).get_backend_name(),
            "files": {
                p.relative_to(tmp).as_posix(): {"sha256": sha256_file(p), "bytes": p.stat().st_size}
                for p in sorted(tmp.rglob("*"))
                if p.is_file() and not p.is_symlink()
            },
        }
        (tmp / BACKUP_MANIFEST).write_text(json.dumps(meta, indent=1), "utf-8")
    return meta


def _lake_ignore(folder: str, names: list[str]) -> list[str]:
    """Leave out the lock file and a writer's temporary files (not part of the lake)."""
    return [n for n in names if n == ".lock" or (n.startswith(".") and n.endswith(".tmp"))]


def _dump_database(places: Places, out: Path) -> None:
    out.mkdir()
    kept = _anchors_of(places)
    if kept is not None and kept.is_dir():  # the audit head's evidence, on either backend
        shutil.copytree(kept, out / "anchors")
    db_file = places.sqlite_file
    if db_file is None:  # PostgreSQL: a custom-format dump that pg_restore reads
        url = make_url(places.db_url).set(drivername="postgresql")
        _run([_pg_tool("pg_dump"), "--format=custom", "--file", str(out / "pms.dump"),
              url.render_as_string(hide_password=False)])  # fmt: skip
        return
    source = sqlite3.connect(f"file:{db_file}?mode=ro", uri=True)
    dest = sqlite3.connect(out / "pms.db")
    try:
        source.backup(dest)  # SQLite's online backup: a consistent copy while others write
    finally:
        dest.close()
        source.close()
    for name in SIDECARS:
        if (db_file.parent / name).is_file():
            shutil.copy2(db_file.parent / name, out / name)


def _anchors_of(places: Places) -> Path | None:
    """The database's audit anchors folder (``pms.anchors.folder``: beside a SQLite file, or
    under ``WORKBENCH_AUDIT_ANCHORS_PATH`` for any database); None when none is configured."""
    from research_core.pms import anchors

    return anchors.folder(make_url(places.db_url))


def restore(source: str | Path, places: Places) -> dict[str, Any]:
    """Restore the backup at ``source`` into ``places``, which must all be empty or absent.
    Every checksum is verified before anything is written."""
    folder = Path(source)
    meta = verify_backup(folder)
    for where in (places.lake, places.runs):
        if os.path.lexists(where) and (not where.is_dir() or any(where.iterdir())):
            raise BackupError(f"{where} exists and is not empty; restore only into a new place")
    db_file = places.sqlite_file
    if db_file is not None and os.path.lexists(db_file):
        raise BackupError(f"database {db_file} exists; restore only into a new database")
    anchors = _anchors_of(places)
    if anchors is not None and anchors.is_dir() and any(anchors.iterdir()):
        raise BackupError(f"{anchors} holds audit anchors; restore only beside a new database")
    if db_file is None:
        _check_empty_postgres(places.db_url)
    made: list[Path] = []
    try:
        made.append(_copy_new(folder / "lake", places.lake))
        if (folder / "runs").is_dir():
            made.append(_copy_new(folder / "runs", places.runs))
        _load_database(folder / "pms", places, made)
    except BaseException:
        for path in made:  # only what this restore created
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
        raise
    return meta


def verify_backup(folder: Path) -> dict[str, Any]:
    """The backup's manifest, after checking every file's size and SHA-256 against it."""
    try:
        meta = json.loads((folder / BACKUP_MANIFEST).read_text("utf-8"))
    except (OSError, ValueError) as err:
        msg = f"{folder} is not a workbench backup (no readable {BACKUP_MANIFEST})"
        raise BackupError(msg) from err
    for rel, want in meta["files"].items():
        path = folder / rel
        if not path.is_file() or path.stat().st_size != want["bytes"]:
            raise BackupError(f"backup file {rel} is missing or has the wrong size")
        if sha256_file(path) != want["sha256"]:
            raise BackupError(f"backup file {rel} does not match its checksum")
    return dict(meta)


def _copy_new(src: Path, dest: Path) -> Path:
    if dest.is_dir():
        dest.rmdir()  # an empty folder the user made for us: replaced by the copy
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copytree(src, dest, symlinks=True)
    return dest


def _load_database(dump: Path, places: Places, made: list[Path]) -> None:
    anchors = _anchors_of(places)
    if (dump / "anchors").is_dir() and anchors is not None:
        made.append(_copy_new(dump / "anchors", anchors))
    db_file = places.sqlite_file
    if db_file is None:
        url = make_url(places.db_url).set(drivername="postgresql")
        target = url.render_as_string(hide_password=False)
        _run([_pg_tool("pg_restore"), "--no-owner", "--exit-on-error", "--dbname", target,
              str(dump / "pms.dump")])  # fmt: skip
        return
    db_file.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(dump / "pms.db", db_file)
    made.append(db_file)
    for name in SIDECARS:
        if (dump / name).is_file() and not (db_file.parent / name).exists():
            shutil.copy2(dump / name, db_file.parent / name)
            made.append(db_file.parent / name)


def _check_empty_postgres(url: str) -> None:
    from sqlalchemy import inspect

    from research_core.pms.db import make_engine

    tables = inspect(make_engine(url)).get_table_names()
    if tables:
        raise BackupError(
            f"database {make_url(url)!r} has tables {tables[:3]}...; restore into an empty one"
        )


def _pg_tool(name: str) -> str:
    found = shutil.which(name) or next(
        (str(p) for p in sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)),
        None,
    )
    if found is None:
        raise BackupError(f"{name} not found: install PostgreSQL's client tools")
    return found


def _run(argv: Sequence[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, timeout=3600, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        raise BackupError(f"{Path(argv[0]).name}: {last}")


# ---- the doctor ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Check:
    """One go-live check: its name, OK / FAIL / SKIP, and one line of detail."""

    name: str
    status: str
    detail: str

    def line(self) -> str:
        return f"{self.status:<4}  {self.name:<11} {self.detail}"


def doctor(
    places: Places, *, as_of: str, url: str | None = None, pipeline: str | Path | None = None
) -> list[Check]:
    """Every check a go-live needs, one line each (a check that crashes is a FAIL)."""
    checks: list[tuple[str, Callable[[], tuple[str, str]]]] = [
        ("lake", lambda: _lake_ok(places)),
        ("database", lambda: _schema_ok(places)),
        ("audit", lambda: _audit_ok(places)),
        ("freshness", lambda: _fresh(places, as_of, pipeline)),
        ("disk", lambda: _disk(places)),
        ("pages", lambda: _pages(url)),
        ("alerts", lambda: _alert_channels(places)),
    ]
    out = []
    for name, run in checks:
        try:
            status, detail = run()
        except (WorkbenchError, OSError) as err:
            status, detail = "FAIL", str(err).splitlines()[0]
        out.append(Check(name, status, detail))
    return out


def _lake_ok(places: Places) -> tuple[str, str]:
    from research_core.lake import Lake
    from research_core.lake.maintenance import check_lake

    report = check_lake(Lake.open(places.lake))
    if not report.ok:
        return "FAIL", f"{places.lake}: {len(report.problems)} problem(s): {report.problems[0][1]}"
    return "OK", f"{places.lake}: files and checksums consistent"


def _schema_ok(places: Places) -> tuple[str, str]:
    from research_core.pms import db

    engine = db.make_engine(places.db_url)
    now, head = db.current_revision(engine), db.head_revision()
    ok = now == head
    return ("OK" if ok else "FAIL"), f"schema {now} (code needs {head})"


def _audit_ok(places: Places) -> tuple[str, str]:
    from research_core.pms import PMS, audit

    anchors = (
        sorted(places.runs.glob("*/artifacts/audit/anchor.json")) if places.runs.is_dir() else []
    )
    anchor = audit.Anchor.read(anchors[-1]) if anchors else None
    result = PMS.open(places.db_url, create=False).audit_verify(anchor)
    against = f"against {anchors[-1].relative_to(places.runs)}" if anchors else "no anchor found"
    return ("OK" if result.ok else "FAIL"), f"{result.summary().splitlines()[0]} ({against})"


def _fresh(places: Places, as_of: str, pipeline: str | Path | None) -> tuple[str, str]:
    from research_core.lake import Lake
    from research_core.lake.quality import quality_report
    from research_core.pipeline.runner import DEFAULT_PIPELINE
    from research_core.pipeline.spec import load_pipeline

    spec = load_pipeline(pipeline or DEFAULT_PIPELINE)  # its freshness gate's key series
    keys = list(spec.step("quality").params["key_series"])
    findings = quality_report(Lake.open(places.lake), as_of=as_of).to_frame()
    stale = sorted(
        set(
            findings[(findings["check"] == "stale") & findings["series_id"].isin(keys)]["series_id"]
        )
    )
    if stale:
        return (
            "FAIL",
            f"{len(stale)} of {len(keys)} key series stale at {as_of}: {', '.join(stale)}",
        )
    return "OK", f"{len(keys)} key series fresh at {as_of}"


def _disk(places: Places) -> tuple[str, str]:
    free = min(shutil.disk_usage(p).free for p in (places.lake, places.runs) if p.exists())
    ok = free >= MIN_FREE_BYTES
    return (
        "OK" if ok else "FAIL"
    ), f"{free / 1024**3:,.1f} GiB free (need {MIN_FREE_BYTES / 1024**3:,.0f})"


def _pages(url: str | None) -> tuple[str, str]:
    if not url:
        return "SKIP", "give --url of `workbench serve` (e.g. http://127.0.0.1:8866/) to check"
    try:
        with urllib.request.urlopen(url, timeout=20) as answer:
            status = answer.status
    except OSError as err:
        return "FAIL", f"{url}: {err}"
    return ("OK" if status == 200 else "FAIL"), f"{url} answered {status}"


def _alert_channels(places: Places) -> tuple[str, str]:
    """Each configured alert channel answers: the SMTP server greets and answers NOOP, the
    webhook's host accepts a connection (nothing is sent: a check must not page anyone)."""
    import smtplib
    import socket
    from urllib.parse import urlsplit

    from research_core.alerts.config import alerts_path, load_config

    config = load_config(db_url=places.db_url)
    if not config.channels():
        return "SKIP", f"no alert channels configured ({alerts_path(places.db_url)})"
    seen = []
    try:
        if config.email is not None:
            mail = config.email
            with smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_s) as smtp:
                smtp.noop()
            seen.append(f"e-mail {mail.host}:{mail.port}")
        if config.webhook is not None and (target := config.webhook.target("alert")):
            parts = urlsplit(target)
            port = parts.port or (443 if parts.scheme == "https" else 80)
            host = parts.hostname or ""
            socket.create_connection((host, port), timeout=config.webhook.timeout_s).close()
            seen.append(f"webhook {host}:{port}")
    except (OSError, smtplib.SMTPException) as err:
        reached = f" ({', '.join(seen)} answered)" if seen else ""
        return "FAIL", f"{type(err).__name__}: {err}{reached}".splitlines()[0]
    return "OK", ", ".join(seen) + " answered"

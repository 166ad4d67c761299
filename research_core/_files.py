"""Artifact writes: atomic, serialized between processes, and never over what is not ours.

Every file or folder of results the package writes (agent history, backtest reports and
trial ledger, the book, quality CSVs, pipeline and PMS artifacts) goes through here:

* :func:`write_atomic` — one file, written under a unique temporary name beside it,
  fsynced and renamed over the old one: a reader sees the old file or the new, never half.
* :func:`append_atomic` — append-only logs (JSON lines): one locked, fsynced append; a
  tail torn by a crash is dropped before the next append.
* :func:`atomic_folder` — a folder of results, built aside and renamed into place. Only a
  folder this module created (it holds :data:`MARKER`, listing the files written) is ever
  replaced; anything else — an empty folder a user made included, since replacing it
  would delete it — is refused with an :class:`ArtifactError` before any work.
* :func:`user_output` / :func:`write_output_file` — a path a user gave on the command line
  (``--out``, ``--report``, ``--write-anchor``): never empty, never inside a lake, and a
  single file is replaced only if workbench wrote it there and nobody changed it since
  (recorded in :data:`FILES_LEDGER` beside it).
* :func:`artifact_lock` — the inter-process lock the three above hold: an ``flock`` of
  :data:`LOCK_FILE` in the target's folder, so one lock file per folder, not per artifact
  (writes in one folder are brief and take turns). Hold it yourself around a
  read-modify-write; it is re-entrant within a thread, so the writes inside may take it.

The primitives under them are the package's only ones — :func:`flock` (the lake's writer
and reader locks and a run date's lock too), :func:`fsync`, :func:`append_lines` (torn-tail
safe), :func:`sha256_file`; the lake's commit protocol keeps its own steps built on them.

Readers of a file that may be replaced at any moment open it once (:func:`read_parquet`):
pyarrow given a path may open it twice and mix the old file's footer with the new one's pages.

Leftovers of a killed writer (``.NAME.PID.*.tmp`` / ``.old``) never block a later write;
the next writer of the same target removes those whose process is gone.
"""

from __future__ import annotations

import fcntl
import functools
import glob
import hashlib
import json
import os
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from research_core.errors import ArtifactError

if TYPE_CHECKING:
    import pandas as pd

MARKER = ".workbench-output.json"
"""Written inside every folder :func:`atomic_folder` creates: who wrote it and which files."""
FILES_LEDGER = ".workbench-files.json"
"""Beside single files :func:`write_output_file` wrote: their names and SHA-256."""
LAKE_MANIFEST = "_lake.json"
"""The file that makes a folder a lake (``lake.files.MANIFEST``): nothing is written below it
on a user's say-so."""
LOCK_FILE = ".workbench.lock"
"""The lock file :func:`artifact_lock` creates in the folder of the artifacts it guards."""

_held = threading.local()


@contextmanager
def flock(path: str | Path, *, shared: bool = False, wait: bool = True) -> Iterator[int]:
    """Hold an ``flock`` of the file ``path`` (created if missing), exclusive unless
    ``shared``; the kernel releases it if the process dies. Yields the descriptor.

    ``wait=False`` raises :class:`BlockingIOError` at once when another holder has it.
    The one flock of the package: artifacts, the lake's writer lock, a run date's lock.
    """
    flags = os.O_RDONLY if shared else os.O_RDWR  # a reader's lock works on a read-only lake
    fd = os.open(path, flags | (0 if os.path.exists(path) else os.O_CREAT), 0o644)
    try:
        mode = fcntl.LOCK_SH if shared else fcntl.LOCK_EX
        fcntl.flock(fd, mode if wait else mode | fcntl.LOCK_NB)
        yield fd
    finally:
        os.close(fd)  # closing the descriptor releases the flock


@contextmanager
def artifact_lock(target: str | Path) -> Iterator[None]:
    """Hold the exclusive inter-process lock guarding ``target`` (a file or folder path):
    the lock of its parent folder. Blocks until no other process or thread holds it;
    re-entrant within one thread.
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    lock = target.parent / LOCK_FILE
    key = str(lock.resolve())
    counts: dict[str, int] = _held.__dict__.setdefault("counts", {})
    if counts.get(key):
        counts[key] += 1
        try:
            yield
        finally:
            counts[key] -= 1
        return
    with flock(lock):
        counts[key] = 1
        try:
            yield
        finally:
            del counts[key]


def write_atomic(
    path: str | Path, write: Callable[[Path], object], *, mode: int | None = None
) -> Path:
    """Write the file ``path`` all at once: ``write(tmp)`` fills a temporary file beside
    it, which is fsynced and renamed over ``path`` under :func:`artifact_lock`.

    Example: ``write_atomic(p, lambda tmp: frame.to_parquet(tmp))``. On any error the
    temporary file is removed and ``path`` is unchanged. ``mode`` (e.g. ``0o600`` for a
    key file) replaces the default readable-by-all permissions. Returns ``path``.
    """
    path = Path(path)
    with artifact_lock(path):
        if path.is_dir() and not path.is_symlink():
            raise ArtifactError(f"{path} is a folder; refusing to replace it with a file")
        _remove_leftovers(path)
        fd, name = tempfile.mkstemp(
            prefix=f".{path.name}.{os.getpid()}.", suffix=".tmp", dir=path.parent
        )
        os.close(fd)
        tmp = Path(name)
        try:
            write(tmp)
            # mkstemp's 0600 would hide an artifact from the dashboards
            os.chmod(tmp, 0o666 & ~umask() if mode is None else mode)
            fsync(tmp)
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync(path.parent)
    return path


def read_parquet(path: str | Path, columns: list[str] | None = None) -> pd.DataFrame:
    """Read one whole version of a Parquet file that :func:`write_atomic` may replace
    while we read (the file is opened once; the rename cannot change what we see)."""
    import pandas as pd

    with open(path, "rb") as handle:
        return pd.read_parquet(handle, columns=columns)


def append_atomic(path: str | Path, data: bytes) -> Path:
    """Append ``data`` (whole lines ending in ``\\n``) to ``path`` under its
    :func:`artifact_lock`, fsynced, after :func:`append_lines` drops a torn tail."""
    path = Path(path)
    with artifact_lock(path):
        append_lines(path, data)
    return path


def append_lines(path: str | Path, data: bytes) -> None:
    """Append ``data`` (whole lines ending in ``\\n``) to ``path`` and fsync; the caller
    holds whatever lock serializes the file's writers.

    A last line without its newline can only be a write cut short by a crash; it is cut
    off before appending, so the log always ends in whole lines.
    """
    if not data.endswith(b"\n"):
        raise ValueError("append takes whole lines ending in a newline")
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        size = os.fstat(fd).st_size
        if size and os.pread(fd, 1, size - 1) != b"\n":
            tail = min(size, 1 << 20)
            last = os.pread(fd, tail, size - tail).rfind(b"\n")
            os.ftruncate(fd, size - tail + last + 1 if last >= 0 else 0)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)


def check_output_folder(folder: str | Path) -> None:
    """Raise :class:`ArtifactError` unless :func:`atomic_folder` may write ``folder``:
    it does not exist, or is a folder it wrote holding only what it wrote (no other file,
    not even an empty folder). A folder workbench did not create is never replaced, even
    an empty one: replacing deletes it (and its permissions, or a mount on it).

    Call it before long work so a bad target fails fast; the write checks again.
    """
    folder = Path(folder)
    if not os.path.lexists(folder):
        return
    if folder.is_symlink():
        raise ArtifactError(f"{folder} is a symbolic link; refusing to replace it")
    if not folder.is_dir():
        raise ArtifactError(f"{folder} is a file, not a results folder; refusing to replace it")
    written = _written_files(folder)
    if written is None:
        what = "exists and was not written by workbench" if any(folder.iterdir()) else "is empty"
        raise ArtifactError(
            f"{folder} {what} (no {MARKER}); refusing to replace a folder workbench did not "
            "create: name a folder that does not exist yet, or remove it yourself"
        )
    parents = {p.as_posix() for f in written for p in Path(f).parents}
    for root, dirs, files in os.walk(folder):  # does not follow links to folders
        here = Path(root).relative_to(folder)
        odd = [d for d in dirs if os.path.islink(Path(root, d)) or str(here / d) not in parents]
        for name in sorted(files + odd):  # odd: links to folders, folders it did not write
            rel = Path(root, name).relative_to(folder).as_posix()
            if rel != MARKER and rel not in written:
                raise ArtifactError(
                    f"{folder} holds {rel}, which workbench did not write; "
                    "refusing to replace the folder: move that file or choose another folder"
                )


def lake_containing(path: str | Path) -> Path | None:
    """The lake folder that holds ``path`` (itself or a parent has the lake manifest)."""
    here = Path(os.path.abspath(Path(path).expanduser()))
    for folder in [here, *here.parents]:
        if (folder / LAKE_MANIFEST).is_file():
            return folder
    return None


def user_output(path: str | Path, option: str) -> Path:
    """Check an output path given with ``option`` (e.g. ``--out``) before any work: not
    empty and not inside a lake (the lake's files are written only by the lake)."""
    if not str(path).strip():
        raise ArtifactError(f"{option} is empty: give a file or folder outside the lake")
    target = Path(path).expanduser()
    lake = lake_containing(target)
    if lake is not None:
        raise ArtifactError(
            f"{option} {target} is inside the lake at {lake}; refusing to write there: "
            "choose a folder outside the lake"
        )
    return target


def output_folder(given: str | None, default: Path, option: str = "--out") -> Path:
    """The results folder of ``option``: ``default`` when not given, else a folder outside
    any lake; either must pass :func:`check_output_folder` (checked before the work)."""
    out = default if given is None else user_output(given, option)
    check_output_folder(out)
    return out


def check_output_file(path: str | Path) -> None:
    """Raise :class:`ArtifactError` unless :func:`write_output_file` may write ``path``: it
    does not exist, or workbench wrote it there and its content is unchanged since."""
    path = Path(path)
    for parent in path.parents:
        if os.path.lexists(parent) and not parent.is_dir():
            raise ArtifactError(f"{parent} is a file, so {path} cannot be written")
    if not os.path.lexists(path):
        return
    if path.is_symlink() or not path.is_file():
        raise ArtifactError(f"{path} exists and is not a plain file; refusing to replace it")
    if _ledger(path.parent).get(path.name) != sha256_file(path):
        raise ArtifactError(
            f"{path} exists and was not written by workbench (or was changed since); "
            "refusing to replace it: choose another name or remove it yourself"
        )


def write_output_file(path: str | Path, write: Callable[[Path], object]) -> Path:
    """:func:`write_atomic` for a file a user named: refused by :func:`check_output_file`,
    then recorded in the folder's :data:`FILES_LEDGER` so a later run may replace it."""
    path = Path(path)
    check_output_file(path)
    with artifact_lock(path):
        check_output_file(path)
        write_atomic(path, write)
        ledger = {**_ledger(path.parent), path.name: sha256_file(path)}
        write_atomic(path.parent / FILES_LEDGER, lambda tmp: tmp.write_text(json.dumps(ledger)))
    return path


def _ledger(folder: Path) -> dict[str, str]:
    try:
        data = json.loads((folder / FILES_LEDGER).read_text("utf-8"))
    except (OSError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@contextmanager
def atomic_folder(folder: str | Path) -> Iterator[Path]:
    """Yield a scratch folder beside ``folder``; on success it replaces ``folder``, on
    error it is removed, so a failed run never leaves half a report where a good one was.

    ``folder`` must pass :func:`check_output_folder` (else :class:`ArtifactError` and
    nothing is touched). The new folder gets :data:`MARKER` listing its files.
    """
    folder = Path(folder)
    check_output_folder(folder)  # refuse before leaving even a lock file beside it
    with artifact_lock(folder):
        check_output_folder(folder)
        _remove_leftovers(folder)
        prefix = f".{folder.name}.{os.getpid()}."
        tmp = Path(tempfile.mkdtemp(prefix=prefix, suffix=".tmp", dir=folder.parent))
        try:
            yield tmp
            _seal(tmp)
            check_output_folder(folder)  # in case someone put files there meanwhile
            if os.path.lexists(folder):
                old = folder.parent / f".{folder.name}.{os.getpid()}.{uuid.uuid4().hex[:8]}.old"
                os.replace(folder, old)
                try:
                    os.replace(tmp, folder)
                except BaseException:
                    os.replace(old, folder)  # put the previous results back
                    raise
                shutil.rmtree(old, ignore_errors=True)  # a leftover is removed next time
            else:
                os.replace(tmp, folder)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        fsync(folder.parent)


def _seal(tmp: Path) -> None:
    """Write the marker listing every file in ``tmp``; fsync them all."""
    files = sorted(p.relative_to(tmp).as_posix() for p in tmp.rglob("*") if not p.is_dir())
    mode = 0o777 & ~umask()
    os.chmod(tmp, mode)  # mkdtemp's 0700 would hide the folder from dashboards
    (tmp / MARKER).write_text(json.dumps({"written_by": "research_core", "files": files}))
    for rel in [*files, MARKER]:
        fsync(tmp / rel)


def _written_files(folder: Path) -> set[str] | None:
    """The files ``folder``'s marker lists, or None when it has no readable marker."""
    try:
        data = json.loads((folder / MARKER).read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict) or data.get("written_by") != "research_core":
        return None
    return {str(f) for f in data.get("files", [])}


def _remove_leftovers(target: Path) -> None:
    """Remove temp files/folders and ``.old`` folders of ``target`` left by dead writers.

    Called under the target's lock: a writer makes and removes them inside that lock, so
    any found now were left by a writer that died.
    """
    for p in target.parent.glob(f".{glob.escape(target.name)}.*"):
        parts = p.name[len(target.name) + 2 :].split(".")
        if len(parts) != 3 or parts[2] not in ("tmp", "old") or not parts[0].isdigit():
            continue
        pid = int(parts[0])
        if parts[2] == "tmp" and pid != os.getpid() and _alive(pid):
            continue  # belt and braces: a live writer elsewhere (a lock the filesystem ignored)
        if p.is_dir() and not p.is_symlink():
            if any(p.iterdir()) and _written_files(p) is None and parts[2] == "old":
                continue  # never delete a folder that is not ours
            shutil.rmtree(p, ignore_errors=True)
        else:
            p.unlink(missing_ok=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@functools.cache
def umask() -> int:
    mask = os.umask(0o022)  # read once: os.umask can only be read by setting it
    os.umask(mask)
    return mask


def fsync(path: str | Path) -> None:
    """Flush a file's (or a folder's entries') bytes to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)

"""Agent reports kept per lake snapshot and date, shared by every process that runs agents
on the same lake: single-strategy backtests, the book backtest's workers, the pipeline,
``workbench agents run``; and what a PMS proposal gathered (every agent and strategy
signal, the unit returns), which its replay reads (:func:`research_core.pms.journal.decide_kept`).

Key: the agent and the settings its report depends on (``Agent.variant``), the code that
computes it (a digest of the package's source and the numeric libraries' versions), the
view's as-of instant and its *content stamp*: the newest commit stamp (``ingested_at``)
among the rows the view sees (released by the as-of, stored by its ``known_by``). Two views
of one lake with the same as-of and stamp see exactly the same rows, so they get the same
report whenever they were made. A write of rows released after the as-of (tomorrow's
prices) leaves the stamp, and the stored report, alone; a revision or a late row released
by the as-of raises it, so a write invalidates exactly the dates that see it.

Entries are files ``<lake>/artifacts/cache/agents/<code>/<agent>[,<variant>]/<as_of>-<stamp>``
(instants in UTC nanoseconds): a pickle compressed with Zstandard at level 1 (pyarrow's
codec: a fifth of zlib's CPU at nearly its size) after its size (8 bytes, little endian),
behind the SHA-256 of both, written to a unique temporary name and renamed, so no reader
sees half an entry; one that fails its checksum or does not load is recomputed (and
replaced). Nothing is fsynced: an entry lost in a crash is recomputed. Deleting the
folder is always safe. The entries are pickles: they are as trusted as the lake folder
they sit in (whoever can write there can already change the data the agents read).

Strategies' outputs at a date (their signals and freshness, or why they said nothing:
:func:`research_core.signals.sources.strategy_outcome`; the pipeline's strategies step, the
book backtest, a proposal and the health meta-model's signal history read them) are kept
beside, per date: one file per view (a :class:`Shelf`) holds every strategy's under
``strategy.<name>,<settings digest>`` and each agent's signals and freshness under
``agent.<name>,<variant>``.

Only real-time views (the ``as_of`` vintage) of the lake the store was opened on use it:
a copy of the lake (the causality check's cut lakes) has its own key and recomputes.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import os
import pickle
import platform
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import TypeVar

import numpy as np
import pyarrow as pa

from research_core._files import flock
from research_core._files import umask as _umask
from research_core.agents.report import AgentReport
from research_core.agents.runner import store_for, using_store
from research_core.config import get_settings
from research_core.lake.files import read_rows
from research_core.lake.pit import PITView
from research_core.lake.store import Lake

log = logging.getLogger(__name__)
T = TypeVar("T")
FOLDER = Path("artifacts") / "cache" / "agents"
LIBRARIES = ("numpy", "pandas", "scipy", "statsmodels", "scikit-learn", "hmmlearn", "arch")
_DIGEST = 32  # bytes of SHA-256 in front of each entry
_SIZE = 8  # then the pickle's size in bytes (little endian), then the compressed pickle
CODEC = "zstd"
_MAX_RAW = 1 << 30  # no report's pickle comes near 1 GiB: a larger size is not a size
STAMP_COLUMNS = ("release_time", "ingested_at")
KEEP_CODES = 2  # code digests whose entries are kept: this one and the newest other


@functools.cache
def code_digest() -> str:
    """What computes a report: the package's source and data files, Python and the
    numeric libraries' versions, and the settings the numbers depend on (the time zone of
    "the day" of an instant): a change gives a fresh folder of entries."""
    root = Path(__file__).resolve().parents[1]
    h = hashlib.sha256(platform.python_version().encode())
    h.update(f"timezone={get_settings().timezone};".encode())
    for lib in LIBRARIES:
        try:
            h.update(f"{lib}={version(lib)};".encode())
        except PackageNotFoundError:
            h.update(f"{lib}=none;".encode())
    for path in sorted(root.rglob("*")):
        if path.suffix in (".py", ".yaml", ".npz") and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode())
            h.update(path.read_bytes())
    return h.hexdigest()[:16]


class AgentReportStore:
    """The report store of one lake (see the module docstring)."""

    def __init__(self, lake: Lake) -> None:
        self.lake = lake
        self.lake_key = lake.reader().lake_key
        self.folder = lake.root / FOLDER / code_digest()
        self._stamps: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}
        self._prune_other_codes()

    def _prune_other_codes(self) -> None:
        """Mark this code's entries as in use (the folder's mtime) and remove those of all
        but the newest ``KEEP_CODES - 1`` other codes: no code reads them any more, so the
        store does not grow with every code change. A process still running older code
        finds its entries gone and recomputes them (a read or write that fails is a miss)."""
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            os.utime(self.folder)
            others = [p for p in self.folder.parent.iterdir() if p != self.folder]
            others.sort(key=lambda p: p.stat().st_mtime, reverse=True)
        except OSError as err:  # a lake this user may only read, or a prune racing another
            log.warning("agent report store: %s not pruned (%s)", self.folder.parent, err)
            return
        for old in others[KEEP_CODES - 1 :]:
            shutil.rmtree(old, ignore_errors=True)  # another process may be removing it too

    def content_stamp(self, view: PITView) -> int:
        """The newest commit stamp (UTC ns) among the rows ``view`` sees (0: none)."""
        key = (self.lake.version, int(view.known_by.value))
        stamps = self._stamps  # one manifest version at a time (threads may replace it)
        if key not in stamps:
            stamps = {key: self._stamp_table(key[1])}
            self._stamps = stamps
        released, newest = stamps[key]
        k = int(np.searchsorted(released, view.as_of.value, side="right"))
        return int(newest[k - 1]) if k else 0

    def _stamp_table(self, known_by: int) -> tuple[np.ndarray, np.ndarray]:
        """Release instants (sorted) and the running newest commit stamp over them."""
        try:  # the two columns only (a compaction meanwhile: every row through the lake)
            table = read_rows(self.lake.snapshot(), None, list(STAMP_COLUMNS), dictionary=False)[0]
        except FileNotFoundError:
            table = self.lake.table()
        released = table.column("release_time").cast(pa.int64()).to_numpy()
        stored = table.column("ingested_at").cast(pa.int64()).to_numpy()
        keep = stored <= known_by
        order = np.argsort(released[keep], kind="stable")
        return released[keep][order], np.maximum.accumulate(stored[keep][order])

    def path(self, view: PITView, agent: str, variant: str) -> Path:
        return self.entry(view, f"{agent},{variant}" if variant else agent)

    def entry(self, view: PITView, name: str) -> Path:
        """Where the entry ``name`` of ``view`` (its as-of and content stamp) is kept."""
        return self.folder / name / f"{view.as_of.value}-{self.content_stamp(view)}"

    def get(self, view: PITView, agent: str, variant: str) -> AgentReport | None:
        report = self.read(self.path(view, agent, variant))
        return report if isinstance(report, AgentReport) else None

    def put(self, view: PITView, agent: str, variant: str, report: AgentReport) -> None:
        self.write(self.path(view, agent, variant), report)

    def read(self, path: Path) -> object | None:
        """The value kept at ``path`` (an :meth:`entry`), None if absent or unsound."""
        try:
            blob = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):  # not kept (or cannot be: put)
            return None
        except OSError as err:
            log.warning("agent report store: cannot read %s (%s); recomputing", path, err)
            return None
        payload = blob[_DIGEST:]
        if hashlib.sha256(payload).digest() != blob[:_DIGEST]:
            log.warning("agent report store: %s fails its checksum; recomputing", path)
            return None
        try:
            return pickle.loads(_unpack(payload))  # trusted as the lake is
        except (
            pickle.UnpicklingError,
            pa.ArrowException,
            OSError,  # pyarrow's codec: a bad frame, or a size that does not match it
            ValueError,
            EOFError,
            AttributeError,
            ImportError,
        ) as err:
            log.warning("agent report store: %s does not load (%s); recomputing", path, err)
            return None

    def write(self, path: Path, value: object) -> None:
        """Keep ``value`` at ``path`` (an :meth:`entry`): whole or not at all."""
        payload = _pack(pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL))
        try:  # a lake this user may read but not write (or a full disk): just not kept
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        except OSError as err:
            log.warning("agent report store: cannot write in %s (%s); not kept", self.folder, err)
            return
        try:
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would hide it from other users
            with os.fdopen(fd, "wb") as fh:
                fh.write(hashlib.sha256(payload).digest() + payload)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def __repr__(self) -> str:
        return f"AgentReportStore({str(self.folder)!r})"


@functools.cache
def _codec() -> pa.Codec:
    return pa.Codec(CODEC, compression_level=1)


def _pack(raw: bytes) -> bytes:
    """An entry's payload: the size of ``raw``, then ``raw`` compressed."""
    return len(raw).to_bytes(_SIZE, "little") + _codec().compress(raw, asbytes=True)


def _unpack(payload: bytes) -> bytes:
    """What :func:`_pack` was given (``ValueError`` for a size no entry can have: a payload
    written by other code, whose first bytes are not a size)."""
    size = int.from_bytes(payload[:_SIZE], "little")
    if not 0 < size <= _MAX_RAW:
        raise ValueError(f"a stored size of {size} bytes")
    return _codec().decompress(payload[_SIZE:], decompressed_size=size, asbytes=True)


SHELF = "_shelf"  # the folder of the shelves, one file per view (no agent has this name)
LOCK = ".lock"  # in it: the lock its writers hold while they merge


class Shelf:
    """The entries of one view (its as-of and content stamp) in a store: what the sources
    said on it (:mod:`research_core.signals.sources`), one entry per source, all kept in
    one file per view (``_shelf/<as_of>-<content stamp>``, a dict name -> value): a date's
    sources cost one read and, in a :meth:`batch`, one write, not one file each (creating
    a file is the dear part of a write). A write merges what another process kept
    meanwhile, under the shelves' lock, so two writing one view keep both's entries
    (never a wrong one either way: every name carries its settings)."""

    def __init__(self, store: AgentReportStore, stamp: str) -> None:
        self.store = store
        self.stamp = stamp  # the file name: ``<as_of>-<content stamp>``
        self.path = store.folder / SHELF / stamp
        self._entries: dict[str, object] | None = None  # as read, with what was put since
        self._pending: dict[str, object] = {}
        self._held = 0

    def _read(self) -> dict[str, object]:
        got = self.store.read(self.path)
        return got if isinstance(got, dict) else {}

    def get(self, name: str, kind: type[T]) -> T | None:
        """The value of type ``kind`` kept as ``name``, None if none is."""
        if self._entries is None:
            self._entries = self._read()
        value = self._entries.get(name)
        return value if isinstance(value, kind) else None

    def put(self, name: str, value: object) -> None:
        """Keep ``value`` as ``name``: now, or at the end of the :meth:`batch` under way."""
        if self._entries is None:
            self._entries = self._read()
        self._entries[name] = self._pending[name] = value
        if not self._held:
            self.flush()

    def flush(self) -> None:
        """Write what was put since the last write, merged into the file as it is now,
        under the shelves' lock: two processes writing one view keep both's entries."""
        if not self._pending:
            return
        with self._locked():
            entries = self._read()
            entries.update(self._pending)
            self.store.write(self.path, entries)
        self._entries, self._pending = entries, {}

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """The shelves' inter-process lock (an flock); none where the store cannot be
        written: the write then says so and keeps nothing."""
        lock = self.path.parent / LOCK
        with ExitStack() as stack:
            try:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                if not lock.exists():  # writable by whoever may write the shelves, as they are
                    os.close(os.open(lock, os.O_CREAT | os.O_WRONLY, 0o666 & ~_umask()))
                stack.enter_context(flock(lock))
            except OSError as err:
                log.warning("agent report store: no shelf lock in %s (%s)", lock.parent, err)
            yield

    @contextmanager
    def batch(self) -> Iterator[Shelf]:
        """Puts in the block are written together, once, when it ends."""
        self._held += 1
        try:
            yield self
        finally:
            self._held -= 1
            if not self._held:
                self.flush()


def shelf(view: PITView) -> Shelf | None:
    """The shelf of ``view`` in the store in use for its lake (:func:`stored_reports`;
    only real-time views have one), None when there is none."""
    store = store_for(view)
    if not isinstance(store, AgentReportStore):
        return None
    return Shelf(store, store.entry(view, "").name)


ENABLED = True  # False: no store (every report computed; benchmarks' earlier path)


@contextmanager
def stored_reports(lake: Lake) -> Iterator[AgentReportStore | None]:
    """Agents run on views of ``lake`` in the block read and keep their reports in its
    store (:func:`research_core.agents.runner.using_store`)."""
    if not ENABLED:
        yield None
        return
    store = AgentReportStore(lake)
    with using_store(store.lake_key, store):
        yield store

"""The point-in-time store: immutable Parquet files made visible by an atomic manifest.

A write validates every row, drops rows already stored (idempotent on
``(series_id, obs_date, release_time)``), writes new files (with page checksums) under
temporary names, renames them and then atomically replaces the manifest (listing each
file's SHA-256). Readers only read files the manifest lists, so a writer killed at any
point leaves either the old or the new state visible; leftovers of a killed writer (its
temporary and unlisted files, by the lake's own names) are invisible, reported by ``lake
check`` as information, not problems, and removed under the lock by the next write or
``compact``: a crash never needs a repair. The file layout is in
:mod:`research_core.lake.files`.

Every write is stamped: ``ingested_at`` is the write's commit stamp, taken under the writer
lock and strictly greater than every earlier one of this lake (``ingested_through`` in the
manifest). ``lake.at(D, known_by=T)`` sees rows released by D and committed by T.
"""

from __future__ import annotations

import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import ExitStack, contextmanager, nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pandas as pd
import pyarrow as pa

from research_core import _files
from research_core._typing import AsOf, SeriesIds
from research_core.calendars import COUNTRY_TZ
from research_core.catalog import SeriesSpec, series_catalog
from research_core.config import get_settings
from research_core.errors import CatalogError, LakeError, LakeWriteError
from research_core.lake.arrays import SeriesArrays, panel_frame
from research_core.lake.asof import as_of_index, as_of_instant, parse_snapshot_id
from research_core.lake.files import (
    FORMAT,
    LOCK,
    MANIFEST,
    LakeFiles,
    data_path,
    load_arrays,
    missing_file_error,
    read_lock,
    read_manifest,
    read_rows,
    scan,
    storage_errors,
    stray_files,
    write_part,
)
from research_core.lake.pit import NO_LIMIT, PITReader, PITView
from research_core.lake.registry import REGISTRY, SeriesRegistry, validate_spec
from research_core.lake.schema import ARROW_SCHEMA, KEY, validate_observations

_SOURCE_RE = re.compile(r"[A-Za-z0-9_\-]{1,100}")
_SERIES_RE = re.compile(r"[A-Z0-9][A-Z0-9_\-]*(\.[A-Z0-9_\-]+)+")
SAMPLE_SOURCE = "sample"  # the source of every row the sample lake generator writes
AUTO_COMPACT_FILES = 64  # a source with more files than this is merged after a write


@dataclass(frozen=True)
class WriteResult:
    """What one ``lake.write`` did."""

    written: int
    unchanged: int
    files: tuple[str, ...] = ()
    version: int = 0

    def summary(self) -> str:
        return f"{self.written} rows written, {self.unchanged} already stored"


@dataclass(frozen=True)
class CompactResult:
    """What :meth:`Lake.compact` changed."""

    files_before: int
    files_after: int
    removed_stray: int

    def summary(self) -> str:
        return (
            f"compacted {self.files_before} files into {self.files_after}; "
            f"removed {self.removed_stray} stray files"
        )


class Lake:
    """A point-in-time observation store in one directory. Open with :meth:`Lake.open`."""

    def __init__(self, root: Path, *, tz: str) -> None:
        self.root = Path(root)
        self.tz = tz
        self._manifest_key: tuple[int, int, int] | None = None
        self._manifest_data: dict[str, Any] = {}
        self._files: LakeFiles | None = None
        self._specs: dict[str, SeriesSpec] | None = None
        self._specs_key: object = None
        self._registry = SeriesRegistry(self.root)
        self._unborn = False  # opened with create="on_write" and not written yet

    # ---- opening and the manifest -----------------------------------------------------
    @classmethod
    def open(
        cls, path: str | Path | None = None, *, create: bool | Literal["on_write"] = False
    ) -> Lake:
        """Open the lake at ``path`` (default: config ``lake_path``); ``create`` makes it.

        ``create="on_write"`` opens a missing lake as an empty one and creates it (folder,
        manifest) only when something is written or registered: a command refused on its
        input, or a dry run, leaves nothing behind.
        """
        settings = get_settings()
        root = Path(path) if path is not None else settings.lake_path
        lake = cls(root, tz=settings.timezone)
        if not (root / MANIFEST).exists():
            if not create:
                raise LakeError(
                    f"no lake at {root} (missing {MANIFEST}); build one with "
                    "`workbench sample-lake --path ...` or open with create=True"
                )
            if os.path.lexists(root) and not root.is_dir():
                raise LakeError(f"{root} is a file, not a lake folder")
            lake._unborn = create == "on_write"
            if not lake._unborn:
                lake._create()
            return lake
        lake.manifest()  # a corrupt manifest is reported now, not on first read
        return lake

    def _create(self) -> None:
        """Make the folder and an empty manifest (unless another process just did)."""
        with storage_errors(self.root, "creating the lake"):
            self.root.mkdir(parents=True, exist_ok=True)
            with self._lock():
                if not (self.root / MANIFEST).exists():
                    self.commit({"format": FORMAT, "version": 0, "files": [], "series": {}})
        self._unborn = False

    def manifest(self) -> dict[str, Any]:
        """The current manifest (re-read when the file changed). Treat as read-only."""
        path = self.root / MANIFEST
        try:
            st = path.stat()
        except FileNotFoundError as err:
            if self._unborn:
                return {"format": FORMAT, "version": 0, "files": [], "series": {}}
            raise LakeError(f"lake manifest {path} disappeared") from err
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key != self._manifest_key:
            data = read_manifest(self.root)
            self._manifest_data, self._manifest_key = data, key
            self._files = self._specs = None
        return self._manifest_data

    def snapshot(self) -> LakeFiles:
        """The files of the current manifest version: what a reader reads, all at once."""
        manifest = self.manifest()
        if self._files is None:
            self._files = LakeFiles.from_manifest(self.root, manifest)
        return self._files

    def commit(self, manifest: dict[str, Any]) -> None:
        """Atomically replace the manifest (call under :meth:`locked`)."""
        tmp = self.root / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
        try:
            with storage_errors(self.root, "committing the manifest"):
                text = json.dumps(manifest, sort_keys=True, separators=(",", ":"))
                tmp.write_text(text, "utf-8")
                _files.fsync(tmp)
                os.replace(tmp, self.root / MANIFEST)
        finally:
            tmp.unlink(missing_ok=True)
        _files.fsync(self.root)

    @contextmanager
    def _lock(self) -> Iterator[None]:
        with ExitStack() as stack:
            with storage_errors(self.root, "taking the writer lock"):
                stack.enter_context(_files.flock(self.root / LOCK))
            yield

    @contextmanager
    def locked(self) -> Iterator[dict[str, Any]]:
        """Exclusive writer lock (blocks until other writers finish); yields the manifest
        as stored, to be changed and passed to :meth:`commit`."""
        if self._unborn:
            self._create()
        with self._lock():
            yield read_manifest(self.root)

    @property
    def version(self) -> int:
        """Manifest version: grows by one with every committed write or compaction."""
        return int(self.manifest()["version"])

    @property
    def sources(self) -> frozenset[str]:
        """The sources (connector names, ``sample``) of the rows the lake holds."""
        return frozenset(str(f["source"]) for f in self.manifest()["files"])

    @property
    def is_sample(self) -> bool:
        """True when the lake holds generated sample rows (source ``sample``): every figure
        and page built on it says "sample data". The one answer to that question."""
        return SAMPLE_SOURCE in self.sources

    def files(self) -> list[Path]:
        """Data files visible to readers."""
        return [Path(p) for p in self.snapshot().paths]

    @property
    def known_through(self) -> pd.Timestamp:
        """When the newest committed write was stored: the default ``known_by`` of views."""
        return pd.Timestamp(self.snapshot().known_through_ns, tz="UTC")

    # ---- the series a lake knows ------------------------------------------------------
    def registered(self) -> dict[str, dict[str, Any]]:
        """The raw specs of the series registered in this lake (not the shipped catalog)."""
        return self._registry.raw(self.manifest()["series"])

    def known_series(self) -> dict[str, SeriesSpec]:
        """Shipped catalog plus series registered in this lake."""
        manifest = self.manifest()
        key = (self._manifest_key, self._registry.size)
        if self._specs is None or self._specs_key != key:
            known = dict(series_catalog())
            for raw in self._registry.raw(manifest["series"]).values():
                spec = SeriesSpec.from_dict(raw, where=f"{self.root / REGISTRY}")
                known[spec.id] = spec
            self._specs, self._specs_key = known, key
        return self._specs

    def spec(self, series_id: str) -> SeriesSpec:
        """The spec of a known series; an unknown id raises :class:`CatalogError`."""
        known = self.known_series()
        if series_id not in known:
            raise CatalogError(
                f"unknown series {series_id!r}: not in the catalog nor registered in this lake"
            )
        return known[series_id]

    def register(
        self,
        series_id: str,
        *,
        frequency: str,
        units: str,
        name: str | None = None,
        country: str = "BR",
        category: str = "research",
        release: dict[str, Any] | None = None,
        kind: str = "observation",
    ) -> SeriesSpec:
        """Add a researcher's own series to this lake (the shipped catalog is untouched).

        The spec is validated like the catalog's (fields, frequency, country, kind, a
        release rule that computes); a bad one raises :class:`CatalogError`, nothing saved.
        """
        if not isinstance(series_id, str) or not _SERIES_RE.fullmatch(series_id):
            raise CatalogError(
                f"series id {series_id!r} must look like 'MY.SPREAD' (upper case, dotted)"
            )
        if series_id in series_catalog():
            raise CatalogError(f"{series_id!r} is a catalog series; pick another id")
        if release is None:
            tz = COUNTRY_TZ.get(country, self.tz)
            release = (
                {"rule": "close", "time": "18:00", "tz": tz, "calendar": "WEEKDAYS"}
                if frequency == "D"
                else {"rule": "after_period", "lag_days": 0, "time": "18:00", "tz": tz}
            )
        raw = {
            "id": series_id,
            "name": name or series_id,
            "source": "research",
            "code": series_id,
            "frequency": frequency,
            "units": units,
            "country": country,
            "category": category,
            "release": release,
            "kind": kind,
        }
        spec = validate_spec(raw, where="lake.register")
        with self.locked() as manifest:
            old = self._registry.raw(manifest["series"]).get(series_id)
            if old is not None and old != spec.to_dict():
                raise CatalogError(f"{series_id!r} is already registered with {old}")
            if old is None:
                with storage_errors(self.root, "registering a series"):
                    self._registry.append({"register": spec.to_dict()})
        return spec

    def unregister(self, series_id: str) -> None:
        """Remove a researcher's series that has no stored rows (a typo, a bad spec)."""
        with self.locked() as manifest:
            if series_id not in self._registry.raw(manifest["series"]):
                raise CatalogError(f"{series_id!r} is not registered in this lake {self.root}")
            held = [f["path"] for f in manifest["files"] if series_id in f.get("series", ())]
            if held:
                raise CatalogError(
                    f"{series_id!r} has rows stored in {len(held)} file(s) (e.g. {held[0]}); "
                    "history is append-only, so a series with rows cannot be unregistered"
                )
            with storage_errors(self.root, "unregistering a series"):
                self._registry.append({"unregister": series_id})

    # ---- writing ----------------------------------------------------------------------
    def write(self, frame: pd.DataFrame) -> WriteResult:
        """Validate and store observation rows; idempotent, atomic, safe with other writers.

        Raises :class:`LakeWriteError` naming every bad row (nothing is written), including
        rows whose key is already stored with a different value: history is append-only,
        a revision is a new ``release_time``. A NaN value is a withdrawal (see
        :func:`research_core.lake.schema.validate_observations`).
        """
        rows = validate_observations(frame, self.known_series())
        bad_source = ~rows["source"].str.fullmatch(_SOURCE_RE.pattern).to_numpy(dtype=bool)
        if bad_source.any():
            names = sorted(
                {s[:40] + ("..." if len(s) > 40 else "") for s in rows.loc[bad_source, "source"]}
            )
            raise LakeWriteError(
                f"source names must match {_SOURCE_RE.pattern} (letters, digits, _ and -, "
                f"at most 100): {names}; nothing was written"
            )
        if rows.empty:
            return WriteResult(0, 0, (), self.version)
        with self.locked() as manifest:
            known = {**series_catalog(), **self._registry.raw(manifest["series"])}
            unknown = sorted(set(rows["series_id"].unique()) - set(known))
            if unknown:
                raise LakeWriteError(f"unknown series {unknown}; nothing was written")
            files = LakeFiles.from_manifest(self.root, manifest)
            new, unchanged = self._drop_stored(files, rows)
            if new.empty:
                return WriteResult(0, unchanged, (), int(manifest["version"]))
            for path in stray_files(self.root, manifest):  # a killed writer's leftovers
                path.unlink(missing_ok=True)
            stamp = pd.Timestamp(
                max(pd.Timestamp.now(tz="UTC").value, files.known_through_ns + 1), tz="UTC"
            )
            new["ingested_at"] = stamp
            version = int(manifest["version"]) + 1
            added: list[dict[str, Any]] = []
            sources = sorted(new["source"].unique())
            fresh = [self.root / f"source={s}" for s in sources]
            fresh = [d for d in fresh if not d.exists()]
            try:
                with storage_errors(self.root, "writing observations"):
                    for src, part in new.groupby("source"):
                        added.append(write_part(self.root, str(src), part, version))
                manifest["files"].extend(added)
                manifest["ingested_through"] = int(stamp.value)
                manifest["version"] = version
                self.commit(manifest)
            except BaseException:
                for entry in added:  # never committed: remove what this write created
                    (self.root / entry["path"]).unlink(missing_ok=True)
                for folder in fresh:
                    if folder.is_dir() and not any(folder.iterdir()):
                        folder.rmdir()
                raise
            crowded = self._crowded_sources(manifest)
        if crowded:
            self.compact(sources=crowded)
        return WriteResult(len(new), unchanged, tuple(f["path"] for f in added), version)

    @staticmethod
    def _crowded_sources(manifest: dict[str, Any]) -> list[str]:
        counts: dict[str, int] = {}
        for f in manifest["files"]:
            counts[str(f["source"])] = counts.get(str(f["source"]), 0) + 1
        return sorted(s for s, n in counts.items() if n > AUTO_COMPACT_FILES)

    def _drop_stored(self, files: LakeFiles, rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
        """Rows not stored yet; a stored key with another value is a conflict."""
        ids = sorted(rows["series_id"].unique())
        try:
            table, _ = read_rows(files, ids, [*KEY, "value"], dictionary=False)
        except FileNotFoundError as err:
            raise missing_file_error(files) from err
        stored = table.to_pandas(date_as_object=False)
        if stored.empty:
            return rows, 0
        stored["obs_date"] = stored["obs_date"].astype("datetime64[ns]")
        stored["release_time"] = stored["release_time"].astype("datetime64[ns, UTC]")
        stored["series_id"] = stored["series_id"].astype(str)
        stored["_stored"] = True
        merged = rows.merge(stored, on=KEY, how="left", suffixes=("", "_stored"))
        seen = merged["_stored"].eq(True).to_numpy()
        a, b = merged["value"].to_numpy(), merged["value_stored"].to_numpy()
        same = (a == b) | (pd.isna(a) & pd.isna(b))
        conflict = seen & ~same
        if conflict.any():
            bad = merged.loc[conflict, [*KEY, "value", "value_stored"]]
            raise LakeWriteError(
                f"{int(conflict.sum())} rows change values already stored under the same "
                "(series_id, obs_date, release_time); a revision needs a new release_time. "
                f"Nothing was written. First rows:\n{bad.head(12).to_string()}",
                rows=bad,
            )
        return rows.loc[~seen].reset_index(drop=True), int(seen.sum())

    # ---- reading ----------------------------------------------------------------------
    def table(self, series_ids: Sequence[str] | None = None) -> pa.Table:
        """Every stored row (all columns) of some or all series, from one manifest version."""
        files = self.snapshot()
        for attempt in (0, 1, 2):  # files compacted away: the newer version; last, locked
            with read_lock(self.root) if attempt == 2 else nullcontext():
                try:
                    files = LakeFiles.load(self.root) if attempt else files
                    return read_rows(files, series_ids, ARROW_SCHEMA.names, dictionary=False)[0]
                except FileNotFoundError as err:
                    if attempt == 2:
                        raise missing_file_error(files) from err
        raise AssertionError("unreachable")

    def _check_known(self, series_ids: SeriesIds) -> list[str]:
        ids = [series_ids] if isinstance(series_ids, str) else list(series_ids)
        known = self.known_series()
        unknown = [s for s in ids if s not in known]
        if unknown:
            raise CatalogError(
                f"unknown series {unknown}: not in the catalog nor registered in this lake"
            )
        return ids

    def _known_by(self, known_by: AsOf | None) -> pd.Timestamp:
        """``known_by`` as an instant, capped at the newest commit (so it is final: every
        later write is stamped after it)."""
        through = self.known_through
        if known_by is None:
            return through
        return min(as_of_instant(known_by, self.tz), through)

    def reader(self, *, known_by: AsOf | None = None) -> PITReader:
        """A reader of rows stored by ``known_by``, not bounded in release time (views
        bound it; :class:`research_core.lake.vintage.VintageView` ``latest`` uses it as is)."""
        return PITReader(
            self.snapshot(),
            self.known_series(),
            tz=self.tz,
            known_by=self._known_by(known_by),
            release_limit=None,
        )

    def at(self, as_of: AsOf, *, known_by: AsOf | None = None) -> PITView:
        """A view that sees rows with ``release_time <= as_of`` and ``ingested_at <= known_by``.

        ``known_by=None`` means everything stored now. Either way the view is fixed: later
        writes never change what it returns, and ``view.snapshot_id`` reopens it.
        """
        return PITView(self.reader(known_by=known_by), as_of_instant(as_of, self.tz))

    def at_snapshot(self, snapshot: str) -> PITView:
        """Reopen the view a ``view.snapshot_id`` names (same rows, whatever was written since)."""
        as_of, known_by = parse_snapshot_id(snapshot)
        return PITView(self.reader(known_by=known_by), as_of)

    def _arrays(self, series_ids: Sequence[str], known_by: pd.Timestamp) -> list[SeriesArrays]:
        _, full = load_arrays(self.snapshot(), series_ids)
        ns = known_by.value
        return [a if a.ingested_ns.max(initial=0) <= ns else a.bounded(NO_LIMIT, ns) for a in full]

    # ---- compaction -------------------------------------------------------------------
    def compact(self, *, sources: Sequence[str] | None = None) -> CompactResult:
        """Merge each source's files into one sorted file and remove stray files.

        Answers are unchanged (every row keeps its commit stamp). Runs under the writer
        lock; the new manifest is committed before old files are deleted, and readers that
        raced with the deletion retry on the new manifest. Only files inside the lake root
        are read or deleted: a manifest entry pointing elsewhere stops compaction.
        """
        with self.locked() as manifest:
            before = manifest["files"]
            for entry in before:
                data_path(self.root, entry["path"])  # refuses entries outside the root
            stray = stray_files(self.root, manifest) if sources is None else []
            by_source: dict[str, list[dict[str, Any]]] = {}
            for entry in before:
                by_source.setdefault(str(entry["source"]), []).append(entry)
            version = int(manifest["version"]) + 1
            after: list[dict[str, Any]] = []
            written: list[Path] = []
            try:
                with storage_errors(self.root, "compacting"):
                    for source, entries in sorted(by_source.items()):
                        if len(entries) == 1 or (sources is not None and source not in sources):
                            after.extend(entries)
                            continue
                        paths = [str(self.root / str(e["path"])) for e in entries]
                        part = scan(paths, ARROW_SCHEMA.names).to_pandas(date_as_object=False)
                        entry = write_part(self.root, source, part, version)
                        written.append(self.root / entry["path"])
                        after.append(entry)
                if after != before:
                    manifest.update(files=after, version=version)
                    self.commit(manifest)
            except BaseException:
                for path in written:
                    path.unlink(missing_ok=True)
                raise
            kept = {str(e["path"]) for e in after}
            old = [self.root / str(e["path"]) for e in before if str(e["path"]) not in kept]
            for path in [*old, *stray]:
                path.unlink(missing_ok=True)
        return CompactResult(len(before), len(after), len(stray))

    def panel(
        self,
        series_ids: SeriesIds,
        as_of_dates: AsOf | Iterable[AsOf],
        *,
        known_by: AsOf | None = None,
    ) -> pd.DataFrame:
        """Many as-of snapshots at once: one row per (as_of, series_id), as_of-major.

        Each row holds the latest period known at ``as_of`` in its newest vintage then
        (columns as_of, series_id, obs_date, value, release_time; NaT/NaN if nothing was
        known yet, value NaN if that period was withdrawn). ``known_by`` limits it to rows
        stored by then, as in :meth:`at`.
        """
        ids = self._check_known(series_ids)
        stamps = as_of_index(as_of_dates, self.tz)
        return panel_frame(ids, self._arrays(ids, self._known_by(known_by)), stamps)

    def vintages(self, series_id: str) -> pd.DataFrame:
        """Every stored release of every period of one series, sorted by period then release."""
        self._check_known([series_id])
        frame = self.table([series_id]).to_pandas(date_as_object=False)
        frame["obs_date"] = frame["obs_date"].astype("datetime64[ns]")
        return frame.sort_values(["obs_date", "release_time"], kind="stable").reset_index(drop=True)

    def __repr__(self) -> str:
        m = self.manifest()
        rows = sum(f["rows"] for f in m["files"])
        return f"Lake({str(self.root)!r}, files={len(m['files'])}, rows={rows}, v{m['version']})"

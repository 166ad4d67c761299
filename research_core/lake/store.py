"""The point-in-time store: immutable Parquet files made visible by an atomic manifest.

Layout of a lake directory::

    _lake.json                      manifest: the visible files, registered series, version
    .lock                           writers serialize on an exclusive flock of this file
    source=<name>/part-*.parquet    observation rows, each file sorted by
                                    (series_id, release_time, obs_date)

A write validates every row, drops rows already stored (idempotent on
``(series_id, obs_date, release_time)``), writes new files under temporary names, renames
them and then atomically replaces the manifest. Readers only read files the manifest
lists, so a writer killed at any point leaves either the old or the new state visible;
leftovers of a killed writer are invisible and removed by ``compact``.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from research_core._typing import AsOf, SeriesIds
from research_core.calendars import COUNTRY_TZ
from research_core.catalog import SeriesSpec, series_catalog
from research_core.config import get_settings
from research_core.errors import CatalogError, LakeError, LakeWriteError
from research_core.lake.asof import as_of_index, as_of_instant, parse_snapshot_id
from research_core.lake.pit import PITView, SeriesArrays, panel_frame
from research_core.lake.schema import ARROW_SCHEMA, KEY, validate_observations

MANIFEST = "_lake.json"
LOCK = ".lock"
FORMAT = 1
_ROW_GROUP = 128 * 1024
_SOURCE_RE = re.compile(r"[A-Za-z0-9_\-]+")
_SERIES_RE = re.compile(r"[A-Z0-9][A-Z0-9_\-]*(\.[A-Z0-9_\-]+)+")


@dataclass(frozen=True)
class WriteResult:
    """What one ``lake.write`` did."""

    written: int
    unchanged: int
    files: tuple[str, ...] = ()
    version: int = 0

    def summary(self) -> str:
        return f"{self.written} rows written, {self.unchanged} already stored"


def _fsync_path(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_DICT_SCHEMA = ARROW_SCHEMA.set(0, pa.field("series_id", pa.dictionary(pa.int32(), pa.string())))
_DICT_FORMAT = ds.ParquetFileFormat(
    read_options=ds.ParquetReadOptions(dictionary_columns={"series_id"})
)


def _scan(
    files: list[str], columns: list[str], filt: ds.Expression | None, dictionary: bool
) -> pa.Table:
    """Read columns of some files; ``dictionary`` keeps series_id dictionary-encoded."""
    if dictionary:
        dataset = ds.dataset(files, format=_DICT_FORMAT, schema=_DICT_SCHEMA)
    else:
        dataset = ds.dataset(files, format="parquet", schema=ARROW_SCHEMA)
    return dataset.to_table(columns=columns, filter=filt)


def _sorted_table(frame: pd.DataFrame) -> pa.Table:
    frame = frame.sort_values(["series_id", "release_time", "obs_date"], kind="stable")
    return pa.Table.from_pandas(frame, schema=ARROW_SCHEMA, preserve_index=False)


@dataclass
class _Cache:
    version: int = -1
    arrays: dict[str, SeriesArrays] = field(default_factory=dict)


class Lake:
    """A point-in-time observation store in one directory. Open with :meth:`Lake.open`."""

    def __init__(self, root: Path, *, tz: str) -> None:
        self.root = Path(root)
        self.tz = tz
        self._manifest_key: tuple[int, int, int] | None = None
        self._manifest_data: dict[str, Any] = {}
        self._cache = _Cache()

    # ---- opening and the manifest -----------------------------------------------------
    @classmethod
    def open(cls, path: str | Path | None = None, *, create: bool = False) -> Lake:
        """Open the lake at ``path`` (default: config ``lake_path``); ``create`` makes it."""
        settings = get_settings()
        root = Path(path) if path is not None else settings.lake_path
        if not (root / MANIFEST).exists():
            if not create:
                raise LakeError(
                    f"no lake at {root} (missing {MANIFEST}); build one with "
                    "`workbench sample-lake --path ...` or open with create=True"
                )
            root.mkdir(parents=True, exist_ok=True)
            lake = cls(root, tz=settings.timezone)
            with lake._locked():
                if not (root / MANIFEST).exists():
                    lake._commit({"format": FORMAT, "version": 0, "files": [], "series": {}})
            return lake
        return cls(root, tz=settings.timezone)

    def _manifest(self) -> dict[str, Any]:
        path = self.root / MANIFEST
        try:
            st = path.stat()
        except FileNotFoundError as err:
            raise LakeError(f"lake manifest {path} disappeared") from err
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if key != self._manifest_key:
            data = json.loads(path.read_text("utf-8"))
            if data.get("format") != FORMAT:
                raise LakeError(f"{path}: unsupported lake format {data.get('format')!r}")
            self._manifest_data, self._manifest_key = data, key
        return self._manifest_data

    def _commit(self, manifest: dict[str, Any]) -> None:
        tmp = self.root / f".{MANIFEST}.{uuid.uuid4().hex}.tmp"
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True), "utf-8")
        _fsync_path(tmp)
        os.replace(tmp, self.root / MANIFEST)
        _fsync_path(self.root)

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Exclusive writer lock (blocks until other writers finish)."""
        fd = os.open(self.root / LOCK, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)

    @property
    def version(self) -> int:
        """Manifest version: grows by one with every committed write or compaction."""
        return int(self._manifest()["version"])

    def files(self) -> list[Path]:
        """Data files visible to readers."""
        return [self.root / f["path"] for f in self._manifest()["files"]]

    # ---- the series a lake knows ------------------------------------------------------
    def known_series(self) -> dict[str, SeriesSpec]:
        """Shipped catalog plus series registered in this lake."""
        known = dict(series_catalog())
        for raw in self._manifest()["series"].values():
            spec = SeriesSpec.from_dict(raw, where=f"{self.root / MANIFEST}")
            known[spec.id] = spec
        return known

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
        """Add a researcher's own series to this lake (the shipped catalog is untouched)."""
        if not _SERIES_RE.fullmatch(series_id):
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
        spec = SeriesSpec.from_dict(raw, where="lake.register")
        with self._locked():
            manifest = json.loads((self.root / MANIFEST).read_text("utf-8"))
            old = manifest["series"].get(series_id)
            if old is not None and old != spec.to_dict():
                raise CatalogError(f"{series_id!r} is already registered with {old}")
            if old is None:
                manifest["series"][series_id] = spec.to_dict()
                manifest["version"] += 1
                self._commit(manifest)
        return spec

    # ---- writing ----------------------------------------------------------------------
    def write(self, frame: pd.DataFrame) -> WriteResult:
        """Validate and store observation rows; idempotent, atomic, safe with other writers.

        Raises :class:`LakeWriteError` naming every bad row (nothing is written), including
        rows whose key is already stored with a different value: history is append-only,
        a revision is a new ``release_time``.
        """
        rows = validate_observations(frame, self.known_series())
        bad_source = ~rows["source"].str.fullmatch(_SOURCE_RE.pattern).to_numpy(dtype=bool)
        if bad_source.any():
            raise LakeWriteError(
                f"source names must match {_SOURCE_RE.pattern}: "
                f"{sorted(set(rows.loc[bad_source, 'source']))}; nothing was written"
            )
        if rows.empty:
            return WriteResult(0, 0, (), self.version)
        with self._locked():
            manifest = json.loads((self.root / MANIFEST).read_text("utf-8"))
            known = {**series_catalog(), **manifest["series"]}
            unknown = sorted(set(rows["series_id"]) - set(known))
            if unknown:
                raise LakeWriteError(f"unknown series {unknown}; nothing was written")
            new, unchanged = self._drop_stored(rows)
            if new.empty:
                return WriteResult(0, unchanged, (), int(manifest["version"]))
            stamp = self._commit_stamp(manifest)
            new["ingested_at"] = stamp
            manifest["ingested_through"] = int(stamp.value)
            version = int(manifest["version"]) + 1
            added = [self._write_file(src, part, version) for src, part in new.groupby("source")]
            manifest["files"].extend(added)
            manifest["version"] = version
            self._commit(manifest)
        return WriteResult(len(new), unchanged, tuple(f["path"] for f in added), version)

    def _commit_stamp(self, manifest: dict[str, Any]) -> pd.Timestamp:
        """``ingested_at`` of the write about to commit: now, but strictly after every
        earlier commit of this lake (taken under the writer lock, so stamps order commits
        and a reader's ``known_by`` never falls inside a later write)."""
        last = self._horizon_ns(manifest)
        now = pd.Timestamp.now(tz="UTC").value
        return pd.Timestamp(max(now, last + 1), tz="UTC")

    def _horizon_ns(self, manifest: dict[str, Any]) -> int:
        """The commit stamp of the newest committed write (0 for an empty lake)."""
        if "ingested_through" in manifest:
            return int(manifest["ingested_through"])
        # Lakes written before the stamp was kept in the manifest: the newest stored row.
        paths = [str(self.root / f["path"]) for f in manifest["files"]]
        if not paths:
            return 0
        col = _scan(paths, ["ingested_at"], None, False).column("ingested_at")
        top = pc.max(col.cast(pa.int64())).as_py()
        return int(top) if top is not None else 0

    @property
    def known_through(self) -> pd.Timestamp:
        """When the newest committed write was stored: the default ``known_by`` of views."""
        return pd.Timestamp(self._horizon_ns(self._manifest()), tz="UTC")

    def _drop_stored(self, rows: pd.DataFrame) -> tuple[pd.DataFrame, int]:
        """Rows not stored yet; a stored key with another value is a conflict."""
        table, _ = self._read(sorted(set(rows["series_id"])), [*KEY, "value"])
        stored = table.to_pandas(date_as_object=False)
        if stored.empty:
            return rows, 0
        stored["obs_date"] = stored["obs_date"].astype("datetime64[ns]")
        stored["release_time"] = stored["release_time"].astype("datetime64[ns, UTC]")
        stored["series_id"] = stored["series_id"].astype(str)
        merged = rows.merge(stored, on=KEY, how="left", suffixes=("", "_stored"))
        seen = merged["value_stored"].notna().to_numpy()
        conflict = seen & (merged["value"].to_numpy() != merged["value_stored"].to_numpy())
        if conflict.any():
            bad = merged.loc[conflict, [*KEY, "value", "value_stored"]]
            raise LakeWriteError(
                f"{int(conflict.sum())} rows change values already stored under the same "
                "(series_id, obs_date, release_time); a revision needs a new release_time. "
                f"Nothing was written. First rows:\n{bad.head(12).to_string()}",
                rows=bad,
            )
        return rows.loc[~seen].reset_index(drop=True), int(seen.sum())

    def _write_file(self, source: object, part: pd.DataFrame, version: int) -> dict[str, Any]:
        folder = self.root / f"source={source}"
        folder.mkdir(exist_ok=True)
        name = f"part-{version:07d}-{uuid.uuid4().hex[:12]}.parquet"
        tmp = folder / f".tmp-{name}"
        pq.write_table(_sorted_table(part), tmp, row_group_size=_ROW_GROUP)
        _fsync_path(tmp)
        os.rename(tmp, folder / name)
        _fsync_path(folder)
        return {
            "path": f"source={source}/{name}",
            "source": str(source),
            "rows": len(part),
            "series": sorted(set(part["series_id"].astype(str))),
        }

    # ---- reading ----------------------------------------------------------------------
    def _read(
        self, series_ids: Sequence[str] | None, columns: list[str], *, dictionary: bool = False
    ) -> tuple[pa.Table, int]:
        """Rows of the visible files (optionally only some series) and how many files fed them.

        Files whose manifest entry shows none of the series are skipped, and files holding
        only requested series are read without a row filter. Retries once if a concurrent
        compaction removed a file between reading the manifest and the data.
        """
        wanted = None if series_ids is None else set(series_ids)
        for attempt in (0, 1):
            whole, filtered = [], []
            for entry in self._manifest()["files"]:
                held = set(entry.get("series", ()))
                path = str(self.root / entry["path"])
                if wanted is None or (held and held <= wanted):
                    whole.append(path)
                elif not held or held & wanted:
                    filtered.append(path)
            try:
                parts = [_scan(whole, columns, None, dictionary)] if whole else []
                if filtered:
                    filt = ds.field("series_id").isin(sorted(wanted or ()))
                    parts.append(_scan(filtered, columns, filt, dictionary))
            except FileNotFoundError:
                if attempt:
                    raise
                self._manifest_key = None
                continue
            n_files = len(whole) + len(filtered)
            if not parts:
                return ARROW_SCHEMA.empty_table().select(columns), 0
            return (parts[0] if len(parts) == 1 else pa.concat_tables(parts)), n_files
        raise AssertionError("unreachable")

    def _arrays(self, series_ids: Sequence[str]) -> list[SeriesArrays]:
        """Per-series sorted arrays, cached for the current manifest version."""
        version = self.version
        if self._cache.version != version:
            self._cache = _Cache(version=version)
        cache = self._cache.arrays
        missing = [s for s in dict.fromkeys(series_ids) if s not in cache]
        if missing:
            cols = ["series_id", "release_time", "obs_date", "value", "ingested_at"]
            table, n_files = self._read(missing, cols, dictionary=True)
            # Every file is written sorted; rows from several files need a merge sort.
            cache.update(SeriesArrays.split(table, missing, presorted=n_files <= 1))
        return [cache[s] for s in series_ids]

    def _check_known(self, series_ids: Iterable[str]) -> list[str]:
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

    def at(self, as_of: AsOf, *, known_by: AsOf | None = None) -> PITView:
        """A view that sees rows with ``release_time <= as_of`` and ``ingested_at <= known_by``.

        ``known_by=None`` means everything stored now. Either way the view is fixed: later
        writes never change what it returns, and ``view.snapshot_id`` reopens it.
        """
        return PITView(self, as_of_instant(as_of, self.tz), self._known_by(known_by))

    def at_snapshot(self, snapshot: str) -> PITView:
        """Reopen the view a ``view.snapshot_id`` names (same rows, whatever was written since)."""
        as_of, known_by = parse_snapshot_id(snapshot)
        return PITView(self, as_of, min(known_by, self.known_through))

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
        known yet). ``known_by`` limits it to rows stored by then, as in :meth:`at`.
        """
        ids = self._check_known(series_ids)
        stamps = as_of_index(as_of_dates, self.tz)
        ns = self._known_by(known_by).value
        return panel_frame(ids, [a.stored_by(ns) for a in self._arrays(ids)], stamps)

    def vintages(self, series_id: str) -> pd.DataFrame:
        """Every stored release of every period of one series, sorted by period then release."""
        self._check_known([series_id])
        table, _ = self._read([series_id], ARROW_SCHEMA.names)
        frame = table.to_pandas(date_as_object=False)
        frame["obs_date"] = frame["obs_date"].astype("datetime64[ns]")
        return frame.sort_values(["obs_date", "release_time"], kind="stable").reset_index(drop=True)

    def __repr__(self) -> str:
        m = self._manifest()
        rows = sum(f["rows"] for f in m["files"])
        return f"Lake({str(self.root)!r}, files={len(m['files'])}, rows={rows}, v{m['version']})"

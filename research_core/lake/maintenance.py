"""Lake housekeeping: ``info`` (what is stored), ``check`` (is it consistent), ``compact``."""

from __future__ import annotations

import hashlib
import io
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from research_core.calendars import period_start_utc
from research_core.catalog import series_catalog
from research_core.errors import CatalogError, LakeError
from research_core.lake.export import export_as_of  # noqa: F401  (its old home)
from research_core.lake.files import (
    LakeFiles,
    data_path,
    read_lock,
    read_manifest,
    stray_files,
    unreadable_error,
)
from research_core.lake.registry import validate_spec
from research_core.lake.schema import ARROW_SCHEMA
from research_core.lake.store import CompactResult, Lake

T = TypeVar("T")


@dataclass(frozen=True)
class LakeInfo:
    """Per-series storage summary of a lake (one row per series and source)."""

    root: Path
    version: int
    files: int
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        t = self.table
        if t.empty:
            return f"lake {self.root}: empty (version {self.version})"
        by_source = t.groupby("source").agg(series=("series_id", "nunique"), rows=("rows", "sum"))
        lines = [
            f"lake {self.root}: {int(t['rows'].sum()):,} rows, {t['series_id'].nunique()} series,"
            f" {self.files} files, version {self.version}",
            f"  periods {t['first_obs'].min().date()} .. {t['last_obs'].max().date()};"
            f" last release {t['last_release'].max()}",
            f"  revisable series with vintages: {int((t['max_vintages'] > 1).sum())}",
        ]
        lines += [
            f"  source={s}: {r.series} series, {r.rows:,} rows" for s, r in by_source.iterrows()
        ]
        return "\n".join(lines)


def _duck(files: list[str], query: str) -> pd.DataFrame:
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        return con.sql(query, params={"files": files}).to_arrow_table().to_pandas()


def _on_one_snapshot(lake: Lake, read: Callable[[LakeFiles], T]) -> T:
    """Run ``read`` on one manifest version; if a compaction removed its files meanwhile,
    run it again on the newer version (so nothing mixes two versions). The last attempt
    holds the shared lock, so a lake under constant compaction still answers. A missing
    or damaged file is a one-line :class:`LakeError` naming it."""
    for attempt in range(3):
        with _quiet(lake, attempt == 2):
            files = lake.snapshot() if attempt == 0 else LakeFiles.load(lake.root)
            try:
                return read(files)
            except (duckdb.Error, FileNotFoundError) as err:
                if all(Path(p).exists() for p in files.paths) or attempt == 2:
                    raise unreadable_error(files, err) from err
    raise AssertionError("unreachable")


def _quiet(lake: Lake, wait: bool) -> AbstractContextManager[None]:
    """Hold the shared lock when ``wait``: writers and compactions pause, other readers
    do not (see :func:`research_core.lake.files.read_lock`)."""
    return read_lock(lake.root) if wait else nullcontext()


def lake_info(lake: Lake) -> LakeInfo:
    """Summarize the visible files with DuckDB (bound parameters, no string-built SQL)."""
    cols = ["series_id", "source", "rows", "first_obs", "last_obs", "last_release", "max_vintages"]
    query = """
        WITH per_period AS (
            SELECT series_id, source, obs_date, count(*) AS n, max(release_time) AS rel
            FROM read_parquet($files) GROUP BY ALL)
        SELECT series_id, source, sum(n)::BIGINT AS rows, min(obs_date) AS first_obs,
               max(obs_date) AS last_obs, max(rel) AS last_release, max(n) AS max_vintages
        FROM per_period GROUP BY ALL ORDER BY series_id, source
    """

    def read(files: LakeFiles) -> LakeInfo:
        if not files.paths:
            return LakeInfo(lake.root, files.version, 0, pd.DataFrame(columns=cols))
        table = _duck(list(files.paths), query)
        table["first_obs"] = pd.to_datetime(table["first_obs"])
        table["last_obs"] = pd.to_datetime(table["last_obs"])
        return LakeInfo(lake.root, files.version, len(files.paths), table[cols])

    return _on_one_snapshot(lake, read)


def newest_release(lake: Lake) -> pd.Timestamp | None:
    """The latest ``release_time`` stored (UTC), or None for an empty lake: how far the
    lake's knowledge reaches."""

    def read(files: LakeFiles) -> pd.Timestamp | None:
        if not files.paths:
            return None
        top = _duck(list(files.paths), "SELECT max(release_time) AS t FROM read_parquet($files)")
        value = top["t"].iloc[0]
        return None if pd.isna(value) else pd.Timestamp(value).tz_convert("UTC")

    return _on_one_snapshot(lake, read)


@dataclass(frozen=True)
class CheckReport:
    """Problems found by :func:`check_lake` (empty means consistent) and notes: what is
    worth knowing but harmless, such as a killed writer's leftovers (never read, removed
    by the next write or ``compact``)."""

    root: Path
    problems: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    notes: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.problems), columns=["check", "detail"])

    def summary(self) -> str:
        head = "OK" if self.ok else f"{len(self.problems)} problem(s)"
        lines = [f"lake {self.root}: {head}"]
        lines += [f"  [{c}] {d}" for c, d in self.problems]
        lines += [f"  [info: {c}] {d}" for c, d in self.notes]
        return "\n".join(lines)


_KEYS = ["series_id", "release_time", "obs_date"]


def _is_sorted(table: pa.Table) -> bool:
    order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in _KEYS]).to_numpy()
    return bool(np.array_equal(order, np.arange(len(order))))


def _manifest_and_strays(lake: Lake, locked: bool) -> tuple[dict[str, Any], list[Path]]:
    """The manifest and the stray files, listed together under the shared lock (taken here
    unless the caller holds it) so a write in flight (files renamed, manifest not yet
    replaced) is never taken for strays."""
    with _quiet(lake, not locked):
        manifest = read_manifest(lake.root)
        return manifest, stray_files(lake.root, manifest)


def _file_problems(lake: Lake, entry: dict[str, Any]) -> list[tuple[str, str]]:
    """Whatever is wrong with one listed data file (nothing raises).

    The file is opened once and every check reads that descriptor: a compaction deleting
    it meanwhile cannot turn a good file into an "unreadable" one (it was "missing" at the
    open, which :func:`check_lake` retries on the newer manifest)."""
    rel = str(entry.get("path"))
    try:
        path = data_path(lake.root, rel)
    except LakeError as err:
        return [("path", str(err))]
    try:
        with open(path, "rb") as handle:
            return _open_file_problems(rel, entry, handle)
    except FileNotFoundError:
        return [("file", f"{rel}: missing (listed in the manifest)")]
    except OSError as err:
        return [("file", f"{rel}: unreadable ({err.strerror or err})")]


def _open_file_problems(
    rel: str, entry: dict[str, Any], handle: io.BufferedReader
) -> list[tuple[str, str]]:
    """:func:`_file_problems` on an open file: SHA-256, footer, schema, order, pages."""
    out = []
    want = entry.get("sha256")
    if want is not None and hashlib.file_digest(handle, "sha256").hexdigest() != want:
        out.append(("checksum", f"{rel}: SHA-256 differs from the manifest (corrupt or changed)"))
    try:
        handle.seek(0)
        parquet = pq.ParquetFile(handle, page_checksum_verification=True)
        meta = parquet.metadata
        if meta.num_rows != entry.get("rows"):
            out.append(("file", f"{rel}: {meta.num_rows} rows, manifest says {entry.get('rows')}"))
        elif not meta.schema.to_arrow_schema().equals(ARROW_SCHEMA):
            out.append(("file", f"{rel}: schema differs from the lake schema"))
        elif not _is_sorted(parquet.read(columns=_KEYS)):
            msg = "rows not sorted by series_id, release_time, obs_date (reads assume they are)"
            out.append(("file", f"{rel}: {msg}"))
        else:
            parquet.read()  # every page, checksums verified
    except (OSError, ValueError, pa.ArrowException) as err:
        out.append(("file", f"{rel}: unreadable or corrupt ({err})"))
    return out


def check_lake(lake: Lake) -> CheckReport:
    """Storage integrity: files inside the root, readable, matching their SHA-256, page
    checksums, schema and row counts; keys unique, series known, no value released before
    its period. Leftovers of a killed writer are notes, not problems: readers never see
    them and the next write removes them. Works on one manifest version (taken again if a
    concurrent compaction replaced it mid-check; the third attempt holds the shared lock,
    so writers wait for it); never raises on a damaged lake."""
    for attempt in range(3):
        with _quiet(lake, attempt == 2):
            try:
                manifest, stray = _manifest_and_strays(lake, locked=attempt == 2)
            except LakeError as err:
                return CheckReport(lake.root, (("manifest", str(err)),))
            try:
                report = _check(lake, manifest, stray)
            except duckdb.IOException:
                report = None
            try:
                moved = read_manifest(lake.root)["version"] != manifest["version"]
            except LakeError:
                moved = True
        if report is not None and not (moved and any("missing" in d for _, d in report.problems)):
            return report
        if not moved:
            raise LakeError(f"lake {lake.root}: files changed while being checked")
    raise AssertionError("unreachable: the last attempt holds the writer lock")


def _check(lake: Lake, manifest: dict[str, Any], stray: list[Path]) -> CheckReport:
    notes = tuple(
        (
            "leftover",
            f"{p.relative_to(lake.root)}: left by an interrupted write or compaction, never "
            "read; removed by the next write or `workbench lake compact`",
        )
        for p in stray
    )
    problems: list[tuple[str, str]] = []
    for entry in manifest["files"]:
        problems += _file_problems(lake, entry)
    if problems or not manifest["files"]:
        return CheckReport(lake.root, tuple(problems), notes)
    files = [str(lake.root / f["path"]) for f in manifest["files"]]
    dups = _duck(
        files,
        "SELECT series_id, obs_date, release_time, count(*) AS n FROM read_parquet($files) "
        "GROUP BY ALL HAVING count(*) > 1 LIMIT 20",
    )
    firsts = _duck(
        files,
        "SELECT series_id, obs_date, min(release_time) AS first_release "
        "FROM read_parquet($files) GROUP BY ALL",
    )
    for r in dups.itertuples():
        problems.append(("duplicate", f"{r.series_id} {r.obs_date} {r.release_time}: {r.n} rows"))
    known = dict(series_catalog())
    for raw in lake.registered().values():
        try:
            spec = validate_spec(raw, where="lake registry")
            known[spec.id] = spec
        except CatalogError as err:
            problems.append(("registry", f"{err} (`workbench lake unregister` removes it)"))
    for sid, grp in firsts.groupby("series_id"):
        found = known.get(str(sid))
        if found is None:
            problems.append(("unknown", f"{sid}: stored but not in the catalog or registry"))
            continue
        if found.kind == "expectation":
            continue
        start = period_start_utc(grp["obs_date"], found.tz)
        first = pd.DatetimeIndex(pd.to_datetime(grp["first_release"], utc=True))
        early = int((first < start).sum())
        if early:
            problems.append(("early", f"{sid}: {early} periods released before they started"))
    return CheckReport(lake.root, tuple(problems), notes)


def compact_lake(lake: Lake) -> CompactResult:
    """Merge each source's files into one sorted file; answers are unchanged
    (see :meth:`Lake.compact`)."""
    return lake.compact()


HEADLINE = (
    "BR.SELIC.TARGET",
    "BR.IPCA.YOY",
    "BR.GDP.QOQ",
    "BRL.USD.PTAX",
    "BR.DI.2Y",
    "BR.CDS.5Y",
    "US.FEDFUNDS.TARGET",
    "US.CPI.YOY",
    "US.GDP.QOQ",
    "US.UST.10Y",
)


def pit_snapshot(
    lake: Lake, as_of: str | pd.Timestamp, series_ids: tuple[str, ...] = HEADLINE
) -> pd.DataFrame:
    """What the lake knew at ``as_of`` versus what it knows now, for a few series.

    Columns: obs_date, value and release_time as known then; value_now (the newest vintage
    of that same period today) and vintages (how many releases that period has now).
    """
    then = lake.at(as_of).latest(list(series_ids))
    now_values, counts = [], []
    for sid, row in then.iterrows():
        vint = lake.vintages(str(sid))
        same = vint[vint["obs_date"] == row["obs_date"]]
        now_values.append(same["value"].iloc[-1] if len(same) else float("nan"))
        counts.append(len(same))
    return then.assign(value_now=now_values, vintages=counts)

"""Lake housekeeping: ``info`` (what is stored), ``check`` (is it consistent), ``compact``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.dataset as ds
import pyarrow.parquet as pq

from research_core.calendars import period_start_utc
from research_core.lake.schema import ARROW_SCHEMA
from research_core.lake.store import MANIFEST, Lake


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


def lake_info(lake: Lake) -> LakeInfo:
    """Summarize the visible files with DuckDB (bound parameters, no string-built SQL)."""
    files = [str(p) for p in lake.files()]
    cols = ["series_id", "source", "rows", "first_obs", "last_obs", "last_release", "max_vintages"]
    if not files:
        return LakeInfo(lake.root, lake.version, 0, pd.DataFrame(columns=cols))
    query = """
        WITH per_period AS (
            SELECT series_id, source, obs_date, count(*) AS n, max(release_time) AS rel
            FROM read_parquet($files) GROUP BY ALL)
        SELECT series_id, source, sum(n)::BIGINT AS rows, min(obs_date) AS first_obs,
               max(obs_date) AS last_obs, max(rel) AS last_release, max(n) AS max_vintages
        FROM per_period GROUP BY ALL ORDER BY series_id, source
    """
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        table = con.sql(query, params={"files": files}).to_arrow_table().to_pandas()
    table["first_obs"] = pd.to_datetime(table["first_obs"])
    table["last_obs"] = pd.to_datetime(table["last_obs"])
    return LakeInfo(lake.root, lake.version, len(files), table[cols])


@dataclass(frozen=True)
class CheckReport:
    """Problems found by :func:`check_lake` (empty means consistent)."""

    root: Path
    problems: tuple[tuple[str, str], ...] = field(default_factory=tuple)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(list(self.problems), columns=["check", "detail"])

    def summary(self) -> str:
        if self.ok:
            return f"lake {self.root}: OK"
        lines = [f"lake {self.root}: {len(self.problems)} problem(s)"]
        lines += [f"  [{c}] {d}" for c, d in self.problems]
        return "\n".join(lines)


def _stray_files(lake: Lake, manifest: dict[str, Any]) -> list[Path]:
    """Files ``manifest`` does not list: leftovers of killed writers or of a compaction."""
    listed = {(lake.root / f["path"]).resolve() for f in manifest["files"]}
    stray = [p for p in lake.root.glob("source=*/*") if p.resolve() not in listed]
    stray += list(lake.root.glob(f".{MANIFEST}.*.tmp"))
    return stray


def _is_sorted_file(path: Path) -> bool:
    keys = ["series_id", "release_time", "obs_date"]
    table = pq.read_table(path, columns=keys)
    order = pc.sort_indices(table, sort_keys=[(k, "ascending") for k in keys]).to_numpy()
    return bool(np.array_equal(order, np.arange(len(order))))


def check_lake(lake: Lake) -> CheckReport:
    """Storage integrity: files readable with the right schema and row counts, keys unique,
    series known, no value released before its period, no stray files."""
    problems: list[tuple[str, str]] = []
    manifest = lake._manifest()
    for entry in manifest["files"]:
        path = lake.root / entry["path"]
        try:
            meta = pq.read_metadata(path)
        except (OSError, ValueError) as err:
            problems.append(("file", f"{entry['path']}: unreadable ({err})"))
            continue
        if meta.num_rows != entry["rows"]:
            problems.append(
                ("file", f"{entry['path']}: {meta.num_rows} rows, manifest says {entry['rows']}")
            )
        if not meta.schema.to_arrow_schema().equals(ARROW_SCHEMA):
            problems.append(("file", f"{entry['path']}: schema differs from the lake schema"))
        elif not _is_sorted_file(path):
            problems.append(
                (
                    "file",
                    f"{entry['path']}: rows not sorted by series_id, "
                    "release_time, obs_date (reads assume they are)",
                )
            )
    if problems or not manifest["files"]:
        return CheckReport(lake.root, tuple(problems))
    problems += [
        ("stray", f"{p.relative_to(lake.root)} (removed by `workbench lake compact`)")
        for p in _stray_files(lake, manifest)
    ]
    files = [str(p) for p in lake.files()]
    with duckdb.connect() as con:
        dups = (
            con.sql(
                "SELECT series_id, obs_date, release_time, count(*) AS n FROM read_parquet($f) "
                "GROUP BY ALL HAVING count(*) > 1 LIMIT 20",
                params={"f": files},
            )
            .to_arrow_table()
            .to_pandas()
        )
        firsts = (
            con.sql(
                "SELECT series_id, obs_date, min(release_time) AS first_release "
                "FROM read_parquet($f) GROUP BY ALL",
                params={"f": files},
            )
            .to_arrow_table()
            .to_pandas()
        )
    for r in dups.itertuples():
        problems.append(("duplicate", f"{r.series_id} {r.obs_date} {r.release_time}: {r.n} rows"))
    known = lake.known_series()
    for sid, grp in firsts.groupby("series_id"):
        spec = known.get(str(sid))
        if spec is None:
            problems.append(("unknown", f"{sid}: stored but not in the catalog or registry"))
            continue
        if spec.kind == "expectation":
            continue
        start = period_start_utc(grp["obs_date"], spec.tz)
        first = pd.DatetimeIndex(pd.to_datetime(grp["first_release"], utc=True))
        early = int((first < start).sum())
        if early:
            problems.append(("early", f"{sid}: {early} periods released before they started"))
    return CheckReport(lake.root, tuple(problems))


@dataclass(frozen=True)
class CompactResult:
    """What :func:`compact_lake` changed."""

    files_before: int
    files_after: int
    removed_stray: int

    def summary(self) -> str:
        return (
            f"compacted {self.files_before} files into {self.files_after}; "
            f"removed {self.removed_stray} stray files"
        )


def compact_lake(lake: Lake) -> CompactResult:
    """Merge each source's files into one sorted file; answers are unchanged.

    Runs under the writer lock; the new manifest is committed before old files are
    deleted, and readers that raced with the deletion retry on the new manifest.
    """
    with lake._locked():
        manifest = json.loads((lake.root / MANIFEST).read_text("utf-8"))
        before = manifest["files"]
        stray = _stray_files(lake, manifest)
        by_source: dict[str, list[dict[str, object]]] = {}
        for entry in before:
            by_source.setdefault(str(entry["source"]), []).append(entry)
        version = int(manifest["version"]) + 1
        after: list[dict[str, object]] = []
        for source, entries in sorted(by_source.items()):
            if len(entries) == 1:
                after.append(entries[0])
                continue
            paths = [str(lake.root / str(e["path"])) for e in entries]
            frame = ds.dataset(paths, format="parquet", schema=ARROW_SCHEMA).to_table()
            part = frame.to_pandas(date_as_object=False)
            after.append(lake._write_file(source, part, version))
        if after != before:
            manifest.update(files=after, version=version)
            lake._commit(manifest)
        kept = {str(e["path"]) for e in after}
        old = [lake.root / str(e["path"]) for e in before if str(e["path"]) not in kept]
        for path in [*old, *stray]:
            path.unlink(missing_ok=True)
    return CompactResult(len(before), len(after), len(stray))


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


def export_as_of(lake: Lake, as_of: str | pd.Timestamp, path: str | Path) -> Lake:
    """A new lake at ``path`` holding only the rows released by ``as_of``.

    An audit copy of what the lake knew then: any point-in-time computation at or before
    ``as_of`` must give the same answer on it as on the full lake.
    """
    instant = lake.at(as_of).as_of
    table, _ = lake._read(None, ARROW_SCHEMA.names)
    limit = pa.scalar(instant.value, pa.timestamp("ns", tz="UTC"))
    known = table.filter(pc.less_equal(table.column("release_time"), limit))
    frame = known.drop_columns(["ingested_at"]).to_pandas()
    frame["obs_date"] = pd.to_datetime(frame["obs_date"])
    out = Lake.open(path, create=True)
    out.write(frame)
    return out

"""Import the fund's TimescaleDB/PostgreSQL observations (live or COPY exports) into the lake.

Expected source layouts (``ImportMapping`` defaults describe the first)::

    -- macro / vintaged data: one row per release
    CREATE TABLE observations (
        series_code  text,             -- a catalog id, or a code of a catalog series whose
                                       -- source is "timescale" (e.g. B3.DIxPRE.252)
        obs_date     date,             -- period start (daily: the session date)
        value        double precision,
        release_time timestamptz       -- when the value became public
    );

    -- market data hypertable: one row per close; the close time is the release time
    CREATE TABLE market_data (series_code text, ts timestamptz, close double precision);

Other layouts are described by a small YAML mapping file, e.g. for ``market_data``::

    table: market_data
    series_column: series_code
    date_column: ts              # a timestamp: obs_date is its date in date_tz
    date_tz: America/Sao_Paulo
    value_column: close
    release_column: ts
    series_map: {"CDS BRAZIL 5Y": BR.CDS.5Y}

With ``release_column: null`` the catalog's release rule stamps each row. The import is
idempotent (the lake drops rows it already holds) and all-or-nothing (one lake write).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pydantic
import sqlalchemy as sa
import yaml

from research_core._secrets import safe_url
from research_core.catalog import SeriesSpec
from research_core.errors import ConnectorError, ImportMappingError
from research_core.lake.store import Lake, WriteResult

SOURCE = "timescale"


@dataclass(frozen=True)
class ImportMapping:
    """How a source table's columns map to observation rows."""

    table: str = "observations"
    series_column: str = "series_code"
    date_column: str = "obs_date"
    value_column: str = "value"
    release_column: str | None = "release_time"
    date_tz: str | None = None
    series_map: dict[str, str] = field(default_factory=dict)
    # YAML reads ``series_map: {433: BR.IPCA.MOM}`` with an int key; source codes are text
    __pydantic_config__ = pydantic.ConfigDict(coerce_numbers_to_str=True)

    @classmethod
    def from_yaml(cls, path: str | Path) -> ImportMapping:
        """Read a mapping file; unknown keys, wrong types, bad YAML and unknown time zones
        are one-line :class:`ImportMappingError` naming the file and the key."""
        try:
            raw = yaml.safe_load(Path(path).read_text("utf-8"))
        except yaml.YAMLError as err:
            mark = getattr(err, "problem_mark", None)
            where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
            problem = getattr(err, "problem", None) or type(err).__name__
            raise ImportMappingError(f"{path}: not valid YAML{where}: {problem}") from None
        raw = {} if raw is None else raw
        if not isinstance(raw, dict):
            raise ImportMappingError(
                f"{path}: expected a mapping of keys to values, got a {type(raw).__name__}"
            )
        unknown = set(raw) - set(cls.__dataclass_fields__)
        if unknown:
            raise ImportMappingError(
                f"{path}: unknown mapping keys {sorted(unknown, key=str)}; "
                f"valid: {sorted(cls.__dataclass_fields__)}"
            )
        try:
            mapping = _ADAPTER.validate_python(raw)
        except pydantic.ValidationError as err:
            first = err.errors()[0]
            key = ".".join(str(p) for p in first["loc"])
            raise ImportMappingError(
                f"{path}: {key}: {first['msg']} (got {first['input']!r})"
            ) from None
        if mapping.date_tz is not None:
            try:
                zoneinfo.ZoneInfo(mapping.date_tz)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                raise ImportMappingError(
                    f"{path}: date_tz: unknown time zone {mapping.date_tz!r} "
                    "(an IANA name such as America/Sao_Paulo)"
                ) from None
        return mapping

    @property
    def columns(self) -> list[str]:
        cols = [self.series_column, self.date_column, self.value_column]
        if self.release_column and self.release_column not in cols:
            cols.append(self.release_column)
        return cols


_ADAPTER = pydantic.TypeAdapter(ImportMapping)


def read_database(url: str, mapping: ImportMapping) -> pd.DataFrame:
    """Select the mapped columns from the source table (identifiers quoted by SQLAlchemy)."""
    schema, _, name = mapping.table.rpartition(".")
    table = sa.table(name, *(sa.column(c) for c in mapping.columns), schema=schema or None)
    engine = sa.create_engine(database_url(url))
    try:
        with engine.connect() as conn:
            inspector = sa.inspect(conn)
            if not inspector.has_table(name, schema=schema or None):
                raise ImportMappingError(f"table {mapping.table!r} not found in the database")
            present = {c["name"] for c in inspector.get_columns(name, schema=schema or None)}
            missing = [c for c in mapping.columns if c not in present]
            if missing:
                raise ImportMappingError(
                    f"table {mapping.table!r} lacks columns {missing}; it has {sorted(present)}"
                )
            return pd.read_sql(sa.select(table), conn)
    except sa.exc.DBAPIError as err:  # cannot connect, no permission, ...: one clear line
        shown = safe_url(engine.url)
        detail = str(err.orig).strip().splitlines()[0] if err.orig else type(err).__name__
        raise ConnectorError(SOURCE, f"{shown}: {detail}") from None
    finally:
        engine.dispose()


def database_url(url: str) -> sa.URL:
    """``url`` as a SQLAlchemy URL; ``postgresql://`` and ``postgres://`` get the psycopg2
    driver the package ships (SQLAlchemy 2.1 would otherwise look for psycopg 3)."""
    try:
        parsed = sa.make_url(url)
    except sa.exc.ArgumentError:
        raise ImportMappingError(
            "the database url is not a SQLAlchemy URL (e.g. postgresql://user@host:5432/db)"
        ) from None
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg2")
    return parsed


def read_export(path: str | Path, mapping: ImportMapping) -> pd.DataFrame:
    """Read a COPY export (CSV with header, or Parquet) of the source table."""
    path = Path(path)
    if path.suffix.lower() == ".parquet":
        frame = pd.read_parquet(path)
    elif path.suffix.lower() in (".csv", ".txt"):
        frame = pd.read_csv(path)
    else:
        raise ImportMappingError(f"{path}: expected a .csv or .parquet export")
    missing = [c for c in mapping.columns if c not in frame.columns]
    if missing:
        raise ImportMappingError(f"{path} lacks columns {missing}; it has {list(frame.columns)}")
    return frame


def to_observations(
    raw: pd.DataFrame, mapping: ImportMapping, known: dict[str, SeriesSpec]
) -> pd.DataFrame:
    """Map source rows to observation rows (the lake validates them on write)."""
    codes = {s.code: s.id for s in known.values() if s.source == SOURCE}
    codes.update({sid: sid for sid in known})
    codes.update(mapping.series_map)
    series_id = raw[mapping.series_column].astype(str).map(codes)
    unknown = sorted(set(raw.loc[series_id.isna(), mapping.series_column].astype(str)))
    if unknown:
        raise ImportMappingError(
            f"source codes not in the catalog nor in series_map: {unknown[:20]}"
            f"{' ...' if len(unknown) > 20 else ''}; nothing was imported"
        )
    dates: Any = raw[mapping.date_column]
    if mapping.date_tz:
        stamps = pd.to_datetime(dates, utc=True)
        obs_date = stamps.dt.tz_convert(mapping.date_tz).dt.tz_localize(None).dt.normalize()
    else:
        obs_date = pd.to_datetime(dates).dt.normalize()
    if mapping.release_column:
        release = raw[mapping.release_column]
        if pd.api.types.is_object_dtype(release) or pd.api.types.is_string_dtype(release):
            release = pd.to_datetime(release, format="mixed")
    else:
        parts = [
            pd.Series(known[str(sid)].release_times(obs_date.loc[idx]), index=idx)
            for sid, idx in series_id.groupby(series_id).groups.items()
        ]
        release = pd.concat(parts).reindex(raw.index)
    return pd.DataFrame(
        {
            "series_id": series_id,
            "obs_date": obs_date,
            "value": raw[mapping.value_column],
            "release_time": release,
            "source": SOURCE,
        }
    )


def import_timescale(
    lake: Lake,
    *,
    url: str | None = None,
    export: str | Path | None = None,
    mapping: ImportMapping | None = None,
) -> WriteResult:
    """Pull from a database ``url`` or read a COPY ``export`` and write it to ``lake``."""
    if (url is None) == (export is None):
        raise ImportMappingError("give exactly one of a database url or an export file")
    mapping = mapping or ImportMapping()
    raw = read_database(url, mapping) if url is not None else read_export(str(export), mapping)
    return lake.write(to_observations(raw, mapping, lake.known_series()))

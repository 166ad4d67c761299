"""Incremental, idempotent ingest from the public sources into the lake.

For each selected series: fetch only what is new since the lake's last release (with a
look-back window so recent revisions are seen), stamp release times, drop what the lake
already knows, and write. Stamping follows the point-in-time rules:

* sources with their own vintages (ALFRED) keep their release dates;
* for the others a new period gets the catalog rule's release time, or the moment it was
  observed if the source published it before the rule says (a market price seen before
  its close is provisional and skipped);
* a changed value for a period already stored becomes a new vintage released at the
  moment it was observed, so the lake builds the revision history the source does not keep.

Caveat for backfills: a source without vintages only tells today's value, so the first
ingest of a revisable series (IBC-Br, SIDRA GDP/IP/retail) stamps revised values at their
first-release times. That history is "latest data"; real-time vintages start with the first
ingest. Only ALFRED's history is real-time from the start.

Every series is written on its own: one that fails (after its fallback source, if the
catalog names one) leaves its lake data exactly as it was and the others go on.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import httpx
import numpy as np
import pandas as pd
from tqdm import tqdm

from research_core._typing import with_overrides
from research_core.catalog import SeriesSpec
from research_core.connectors import CONNECTORS, Connector, connector
from research_core.errors import ConnectorError, LakeError, WorkbenchError
from research_core.lake.quality import LOOKBACK
from research_core.lake.store import Lake

REVISABLE_LOOKBACK = {"M": pd.DateOffset(months=24), "Q": pd.DateOffset(years=3)}
STATUSES = ("added", "unchanged", "failed", "would add")


@dataclass(frozen=True)
class SeriesOutcome:
    """What the ingest did for one series."""

    series_id: str
    source: str
    status: str
    added: int = 0
    revised: int = 0
    unchanged: int = 0
    fallback: bool = False
    first_obs: pd.Timestamp | None = None
    last_obs: pd.Timestamp | None = None
    error: str = ""


@dataclass(frozen=True)
class IngestReport:
    """Per-series outcomes of one ingest run."""

    outcomes: tuple[SeriesOutcome, ...]
    observed_at: pd.Timestamp
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """True when no series failed."""
        return not any(o.status == "failed" for o in self.outcomes)

    def to_frame(self) -> pd.DataFrame:
        """One row per series."""
        cols = list(SeriesOutcome.__dataclass_fields__)
        return pd.DataFrame([o.__dict__ for o in self.outcomes], columns=cols)

    def summary(self) -> str:
        """A table and a totals line for people."""
        frame = self.to_frame()
        if frame.empty:
            return "ingest: nothing selected"
        shown = frame[["series_id", "source", "status", "added", "revised", "unchanged", "error"]]
        counts = frame["status"].value_counts()
        totals = ", ".join(f"{counts.get(s, 0)} {s}" for s in STATUSES if counts.get(s, 0))
        head = (
            f"ingest at {self.observed_at:%Y-%m-%d %H:%M} UTC{' (dry run)' if self.dry_run else ''}"
        )
        return f"{head}\n{shown.to_string(index=False)}\n{totals}; {int(frame['added'].sum())} rows"


def ingestible(
    lake: Lake, sources: Iterable[str] | None = None, series: Iterable[str] | None = None
) -> list[SeriesSpec]:
    """Catalog series a connector can fetch, filtered by source and id."""
    known = lake.known_series()
    if series:
        missing = sorted(set(series) - set(known))
        if missing:
            raise WorkbenchError(f"unknown series {missing}")
        specs = [known[s] for s in series]
    else:
        specs = list(known.values())
    if sources:
        unknown = sorted(set(sources) - set(CONNECTORS))
        if unknown:
            raise WorkbenchError(f"unknown source(s) {unknown}; known: {sorted(CONNECTORS)}")
        specs = [s for s in specs if s.source in set(sources)]
    bad = [s.id for s in specs if s.source not in CONNECTORS]
    if series and bad:
        raise WorkbenchError(f"no connector for {bad} (their sources are not public APIs)")
    return [s for s in specs if s.source in CONNECTORS]


def fetch_window(
    spec: SeriesSpec, stored: pd.DataFrame, since: Any = None, gap_start: Any = None
) -> tuple[pd.Timestamp | None, pd.Timestamp | None]:
    """(start obs_date, released_since) for the next fetch of ``spec``."""
    if since is not None:
        return pd.Timestamp(since).normalize(), None
    if stored.empty:
        return None, None
    last_obs = pd.Timestamp(stored["obs_date"].max())
    back = (REVISABLE_LOOKBACK if spec.revisable else LOOKBACK).get(spec.frequency, LOOKBACK["M"])
    start = last_obs - back
    if gap_start is not None:
        start = min(start, pd.Timestamp(gap_start))
    released = pd.Timestamp(stored["release_time"].max()).tz_convert(spec.tz).tz_localize(None)
    return start, released.normalize()


def stamp(
    spec: SeriesSpec,
    fetched: pd.DataFrame,
    stored: pd.DataFrame,
    observed_at: pd.Timestamp,
    *,
    vintaged: bool,
) -> tuple[pd.DataFrame, int, int]:
    """Rows to write, and how many were revisions and how many already known."""
    rows = fetched.reset_index(drop=True)
    order = stored.sort_values(["obs_date", "release_time"])
    latest = order.groupby("obs_date")["value"].last()
    last_release = order.groupby("obs_date")["release_time"].last()
    obs = pd.DatetimeIndex(rows["obs_date"])
    prior = latest.reindex(obs).to_numpy(dtype="float64", na_value=np.nan)
    value = rows["value"].to_numpy(dtype="float64")
    changed = ~np.isnan(prior) & ~np.isclose(value, prior, rtol=1e-12, atol=0.0)
    if not vintaged:
        release = _naive_utc(rows["release_time"])
        now = np.datetime64(observed_at.tz_convert("UTC").tz_localize(None), "ns")
        early = release > now
        if spec.release.get("rule") == "close":  # a price seen before its close is provisional
            keep = ~early
            rows, release, changed, obs = rows.loc[keep], release[keep], changed[keep], obs[keep]
            early = early[keep]
        release = np.where(early, now, release)
        floor = _naive_utc(last_release.reindex(obs)) + np.timedelta64(1, "us")
        revised_at = np.where(floor > now, floor, now)
        release = np.where(changed, revised_at, release)
        rows = rows.assign(release_time=pd.to_datetime(release, utc=True))
    both = pd.concat(
        [stored.assign(_new=False), rows.assign(_new=True)], ignore_index=True
    ).sort_values(["obs_date", "release_time", "_new"], kind="stable")
    both = both.drop_duplicates(["obs_date", "release_time"], keep="first")
    repeat = (both["obs_date"] == both["obs_date"].shift()) & (
        both["value"] == both["value"].shift()
    )
    new = both.loc[both["_new"].to_numpy() & ~repeat.to_numpy()].drop(columns="_new")
    known = len(rows) - len(new)
    revised = int(new["obs_date"].isin(latest.index).sum())
    return new.reset_index(drop=True), revised, known


def _naive_utc(values: Any) -> np.ndarray:
    """UTC instants as naive ``datetime64[ns]`` (NaT where missing)."""
    stamps = pd.DatetimeIndex(pd.to_datetime(values, utc=True)).tz_localize(None)
    return stamps.to_numpy(dtype="datetime64[ns]")


def _stored(lake: Lake, series_id: str) -> pd.DataFrame:
    frame = lake.vintages(series_id)[["obs_date", "value", "release_time"]]
    frame["release_time"] = pd.to_datetime(frame["release_time"], utc=True)
    return frame


def ingest_series(
    lake: Lake,
    spec: SeriesSpec,
    get: Callable[[str], Connector],
    observed_at: pd.Timestamp,
    *,
    since: Any = None,
    gap_start: Any = None,
    dry_run: bool = False,
) -> SeriesOutcome:
    """Fetch, stamp and write one series (its fallback source if the primary fails)."""
    stored = _stored(lake, spec.id)
    start, released_since = fetch_window(spec, stored, since, gap_start)
    attempts = [(spec, False)]
    if spec.fallback:
        attempts.append(
            (replace(spec, source=spec.fallback["source"], code=spec.fallback["code"]), True)
        )
    errors: list[str] = []
    for source_spec, is_fallback in attempts:
        try:
            conn = get(source_spec.source)
            fetched = conn.fetch(source_spec, start, released_since=released_since)
            rows, revised, known = stamp(spec, fetched, stored, observed_at, vintaged=conn.vintaged)
            if not dry_run and not rows.empty:
                rows = rows.assign(series_id=spec.id, source=source_spec.source)
                cols = ["series_id", "obs_date", "value", "release_time", "source"]
                if "withdrawn" in rows:  # ALFRED "." rows (NaN values) kept as withdrawals
                    rows = rows.assign(withdrawn=rows["withdrawn"].eq(True))
                    cols.append("withdrawn")
                lake.write(rows[cols])
        except (WorkbenchError, httpx.HTTPError) as exc:
            errors.append(
                str(exc) if isinstance(exc, ConnectorError) else f"{source_spec.source}: {exc}"
            )
            continue
        status = ("would add" if dry_run else "added") if len(rows) else "unchanged"
        return SeriesOutcome(
            spec.id,
            source_spec.source,
            status,
            len(rows) - revised,
            revised,
            known,
            is_fallback,
            rows["obs_date"].min() if len(rows) else None,
            rows["obs_date"].max() if len(rows) else None,
        )
    return SeriesOutcome(spec.id, spec.source, "failed", error=" | then ".join(errors))


@dataclass(frozen=True)
class IngestOptions:
    """How a run ingests: from ``since`` (None: each series' own start), ``dry_run``
    (fetch, write nothing), ``catch_up`` (refetch from each series' first gap), the
    ``observed_at`` time stamped on the rows (None: now) and a progress bar."""

    since: Any = None
    dry_run: bool = False
    catch_up: bool = False
    observed_at: pd.Timestamp | None = None
    progress: bool = True


def ingest(
    lake: Lake,
    *,
    sources: Sequence[str] | None = None,
    series: Sequence[str] | None = None,
    connectors: Callable[[str], Connector] | None = None,
    options: IngestOptions | None = None,
    **overrides: object,
) -> IngestReport:
    """Bring the selected series up to date; see the module docstring for the rules.
    ``options`` (:class:`IngestOptions`, or its fields by keyword, e.g. ``dry_run=True``)."""
    o = with_overrides(options or IngestOptions(), overrides, LakeError)
    since, dry_run, catch_up, observed_at, progress = (
        o.since,
        o.dry_run,
        o.catch_up,
        o.observed_at,
        o.progress,
    )
    specs = ingestible(lake, sources, series)
    now = observed_at if observed_at is not None else pd.Timestamp.now(tz="UTC")
    gaps: dict[str, pd.Timestamp] = {}
    if catch_up:
        from research_core.lake.quality import gap_starts

        gaps = gap_starts(lake, [s.id for s in specs])
    made: dict[str, Connector] = {}

    def get(name: str) -> Connector:
        if name not in made:
            made[name] = connectors(name) if connectors else connector(name)
        return made[name]

    outcomes = []
    try:
        for spec in tqdm(specs, desc="ingest", unit="series", disable=not progress):
            outcomes.append(
                ingest_series(
                    lake, spec, get, now, since=since, gap_start=gaps.get(spec.id), dry_run=dry_run
                )
            )
    finally:
        for conn in made.values():
            conn.close()
    return IngestReport(tuple(outcomes), now, dry_run)

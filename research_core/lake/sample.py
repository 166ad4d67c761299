"""The deterministic sample lake: every catalog series from 2005 with believable dynamics.

Real data shipped by PyPI packages drive the sample where they exist: S&P 500 daily closes
1999-2018 and WTI 1986-2019 (``arch.data``), US core CPI to 2018 (``arch.data``) and US real
GDP to 2009Q3 (``statsmodels`` macrodata). A seeded generator continues them and fills the
rest: a calm/stress regime chain (plus the known stress episodes), fat-tailed shocks, a
global risk factor (the S&P 500 return) and a Brazil factor that move FX, CDS, equities and
curves together, Taylor-rule step policy rates on Copom/FOMC meeting days, Phillips-curve
inflation with FX pass-through, and revisions for revisable series. Release times follow
the catalog rules and the B3/NYSE calendars. Every row has ``source = "sample"``: it is
sample data, never to be read as the real history.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from research_core.calendars import business_day_range
from research_core.catalog import SeriesSpec, series_catalog
from research_core.config import get_settings
from research_core.errors import WorkbenchError
from research_core.lake.sample_paths import PathGenerator, SampleSpec
from research_core.lake.store import MANIFEST, SAMPLE_SOURCE, Lake, WriteResult

SOURCE = SAMPLE_SOURCE


def _rows(
    spec: SeriesSpec,
    path: pd.Series,
    start: pd.Timestamp,
    end_utc: pd.Timestamp,
    rng: np.random.Generator,
) -> pd.DataFrame:
    """Observation rows (with vintages for revisable series) on the series' own calendar."""
    path = path.dropna()
    if spec.frequency == "D":
        cal = spec.release.get("calendar", "WEEKDAYS")
        sessions = business_day_range(start, path.index[-1], cal)
        path = path.reindex(sessions, method="ffill")
    elif spec.frequency == "M":
        path = path.resample("MS").last()
    elif spec.frequency == "Q":
        path = path.resample("QS").last()
    path = path[path.index >= start].dropna()
    first = spec.release_times(path.index)
    true = path.to_numpy()
    frames = [pd.DataFrame({"obs_date": path.index, "value": true, "release_time": first})]
    if spec.revisable:
        # First print noisy, second less so, third final; vintage k is published together
        # with period t+k's first release.
        scale = 0.5 * 1.4826 * float(np.median(np.abs(np.diff(true)))) if len(true) > 2 else 0.0
        frames = []
        for k, size in enumerate((1.0, 0.5, 0.0)):
            release = pd.Series(first).shift(-k)
            values = true + rng.normal(0, size * scale, len(true))
            frames.append(
                pd.DataFrame(
                    {"obs_date": path.index, "value": values, "release_time": release.to_numpy()}
                )
            )
    rows = pd.concat(frames, ignore_index=True).dropna(subset=["release_time"])
    rows["release_time"] = pd.to_datetime(rows["release_time"], utc=True)
    rows = rows[rows["release_time"] <= end_utc]
    rows.insert(0, "series_id", spec.id)
    rows["source"] = SOURCE
    return rows


def sample_observations(spec: SampleSpec) -> pd.DataFrame:
    """All sample-lake rows for the shipped catalog (deterministic in ``spec``)."""
    gen = PathGenerator(spec)
    gen.markets()
    gen.macro()
    paths = gen.values()
    catalog = series_catalog()
    missing = sorted(set(catalog) - set(paths))
    if missing:
        raise WorkbenchError(f"sample generator has no recipe for catalog series {missing}")
    end_utc = (spec.end + pd.Timedelta(days=1)).tz_localize("America/Sao_Paulo").tz_convert("UTC")
    rng = np.random.default_rng(spec.seed + 1)
    frames = [_rows(catalog[sid], paths[sid], spec.start, end_utc, rng) for sid in catalog]
    out = pd.concat(frames, ignore_index=True)
    out["release_time"] = pd.to_datetime(out["release_time"], utc=True)
    return out


def build_sample_lake(
    path: str, *, start: str, end: str, seed: int, progress: Callable[[str], None] | None = None
) -> WriteResult:
    """Build (or top up, idempotently) the sample lake at ``path``."""
    spec = SampleSpec(pd.Timestamp(start), pd.Timestamp(end), int(seed))
    if spec.end <= spec.start:
        raise WorkbenchError(f"sample-lake end {end} must be after start {start}")
    if spec.start < pd.Timestamp("2000-01-01"):
        raise WorkbenchError("sample-lake start must be 2000-01-01 or later")
    rows = sample_observations(spec)
    if progress:
        progress(f"generated {len(rows):,} rows for {rows['series_id'].nunique()} series")
    lake = Lake.open(path, create=True)
    return lake.write(rows)


def open_sample_lake(path: str | Path | None = None) -> Lake:
    """The lake at ``path`` (default: config ``lake_path``), first built from the sample
    generator (config ``sample_start``, ``sample_end``, ``sample_seed``) when no lake is
    there: what a research notebook opens. Never rewrites an existing lake."""
    s = get_settings()
    root = Path(path) if path is not None else s.lake_path
    if not (root / MANIFEST).exists():
        build_sample_lake(str(root), start=s.sample_start, end=s.sample_end, seed=s.sample_seed)
    return Lake.open(root)

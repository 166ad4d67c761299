"""Benchmark: many as-of snapshots of many vintaged series (issue #2, item 9).

Data: ``--series`` business-daily series (NYSE sessions) from ``--start`` to 2026-10-30,
each observation first released 1-45 days after its date and revised once 14-60 days
later (about 2 vintages per observation); ``--dates`` month-end as-of dates.

Compared on the same Parquet file, Parquet read included in every timing:

* ``lake.panel``            research_core (sorted arrays, running max + searchsorted)
* ``pandas merge_asof``     running best per series, then ``merge_asof`` by series
* ``duckdb ASOF JOIN``      window functions for the running best, then ASOF JOIN
* ``polars join_asof``      the same running best in polars (when the [bench] extra is in)
* ``naive pandas loop``     filter / sort / take-last per as-of date

It also times the read-time cost of the lake's Parquet page-checksum verification (every
lake read verifies them; issue 14.3): the same files read with and without it.

Every method's answer is checked identical to ``lake.panel``'s. Run ``python
benchmarks/pit_asof.py`` (full size: 250 series, 2000-2026, 320 dates).
"""

from __future__ import annotations

import argparse
import importlib.util
import shutil
import tempfile
import time
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pyarrow.dataset as ds
from _timing import best_of  # benchmarks/ is on sys.path when run as a script

from research_core.calendars import business_day_range
from research_core.lake import Lake
from research_core.lake.files import clear_cache, scan
from research_core.lake.schema import ARROW_SCHEMA

END = "2026-10-30"


def make_rows(n_series: int, start: str, seed: int = 0) -> pd.DataFrame:
    """Vintaged observation rows for ``n_series`` synthetic daily series."""
    rng = np.random.default_rng(seed)
    days = business_day_range(start, END, "NYSE")
    n = len(days)
    frames = []
    for k in range(n_series):
        first = days + pd.to_timedelta(rng.integers(1, 46, n), unit="D")
        revised = first + pd.to_timedelta(rng.integers(14, 61, n), unit="D")
        hours = pd.to_timedelta(rng.integers(9, 19, 2 * n), unit="h")
        values = np.cumsum(rng.standard_normal(n))
        frames.append(
            pd.DataFrame(
                {
                    "series_id": f"BENCH.S{k:03d}",
                    "obs_date": np.tile(days, 2),
                    "value": np.r_[values, values + rng.normal(0, 0.1, n)],
                    "release_time": (np.r_[first, revised] + hours).tz_localize("UTC"),
                    "source": "bench",
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def build_lake(root: Path, n_series: int, start: str) -> tuple[Lake, list[str], int]:
    lake = Lake.open(root, create=True)
    ids = [f"BENCH.S{k:03d}" for k in range(n_series)]
    for sid in ids:
        lake.register(sid, frequency="D", units="x", country="US")
    rows = make_rows(n_series, start)
    lake.write(rows)
    return lake, ids, len(rows)


def by_lake(root: Path, ids: list[str], dates: pd.DatetimeIndex) -> pd.DataFrame:
    clear_cache()  # a cold read every time, like the peers
    return Lake.open(root).panel(ids, dates)


def checksum_cost(files: list[str], repeat: int) -> tuple[float, float]:
    """Seconds to read every lake column with and without page-checksum verification."""
    cols = list(ARROW_SCHEMA.names)
    checked, _ = best_of(repeat, lambda: scan(files, cols, None))
    plain, _ = best_of(repeat, lambda: ds.dataset(files, format="parquet").to_table(columns=cols))
    return checked, plain


def _read(files: list[str]) -> pd.DataFrame:
    cols = ["series_id", "obs_date", "value", "release_time"]
    df = pd.read_parquet(files, columns=cols, partitioning=None)
    df["obs_date"] = pd.to_datetime(df["obs_date"]).astype("datetime64[ns]")
    return df


def by_naive_loop(files: list[str], ids: list[str], stamps: pd.DatetimeIndex) -> pd.DataFrame:
    df = _read(files).sort_values(["series_id", "obs_date", "release_time"], kind="stable")
    out = []
    for as_of in stamps:
        last = df[df["release_time"] <= as_of].groupby("series_id").tail(1).set_index("series_id")
        snap = last.reindex(ids)[["obs_date", "value", "release_time"]]
        out.append(snap.assign(as_of=as_of).reset_index())
    return pd.concat(out, ignore_index=True)


def _running_best(df: pd.DataFrame) -> pd.DataFrame:
    """Per series, in release order: latest period known so far and its newest vintage."""
    df = df.sort_values(["series_id", "release_time", "obs_date"], kind="stable")
    df["best_obs"] = df.groupby("series_id", sort=False)["obs_date"].cummax()
    hit = df["obs_date"] == df["best_obs"]
    df["best_value"] = df["value"].where(hit)
    df["best_release"] = df["release_time"].where(hit)
    df[["best_value", "best_release"]] = df.groupby("series_id", sort=False)[
        ["best_value", "best_release"]
    ].ffill()
    return df


def by_merge_asof(files: list[str], ids: list[str], stamps: pd.DatetimeIndex) -> pd.DataFrame:
    best = _running_best(_read(files)).sort_values("release_time", kind="stable")
    grid = pd.DataFrame(
        {"as_of": np.repeat(stamps, len(ids)), "series_id": np.tile(ids, len(stamps))}
    ).sort_values("as_of", kind="stable")
    out = pd.merge_asof(
        grid,
        best[["release_time", "series_id", "best_obs", "best_value", "best_release"]],
        left_on="as_of",
        right_on="release_time",
        by="series_id",
        direction="backward",
    )
    return out.rename(
        columns={"best_obs": "obs_date", "best_value": "value", "release_time": "_r"}
    ).rename(columns={"best_release": "release_time"})


DUCKDB_SQL = """
WITH r AS (
    SELECT series_id, release_time, obs_date, value,
           max(obs_date) OVER w AS best_obs,
           row_number() OVER w AS rn
    FROM read_parquet($files)
    WINDOW w AS (PARTITION BY series_id ORDER BY release_time, obs_date
                 ROWS UNBOUNDED PRECEDING)
), b AS (
    SELECT series_id, release_time, best_obs, rn,
           last_value(CASE WHEN obs_date = best_obs THEN value END IGNORE NULLS) OVER w2
               AS best_value,
           last_value(CASE WHEN obs_date = best_obs THEN release_time END IGNORE NULLS) OVER w2
               AS best_release
    FROM r
    WINDOW w2 AS (PARTITION BY series_id ORDER BY rn ROWS UNBOUNDED PRECEDING)
), c AS (
    SELECT * FROM b QUALIFY rn = max(rn) OVER (PARTITION BY series_id, release_time)
)
SELECT g.as_of, g.series_id, c.best_obs AS obs_date, c.best_value AS value,
       c.best_release AS release_time
FROM grid g ASOF LEFT JOIN c
    ON g.series_id = c.series_id AND g.as_of >= c.release_time::TIMESTAMPTZ
"""


def by_duckdb(files: list[str], ids: list[str], stamps: pd.DatetimeIndex) -> pd.DataFrame:
    grid = pd.DataFrame(
        {"as_of": np.repeat(stamps, len(ids)), "series_id": np.tile(ids, len(stamps))}
    )
    with duckdb.connect() as con:
        con.execute("SET TimeZone = 'UTC'")
        con.register("grid", grid)
        return con.sql(DUCKDB_SQL, params={"files": files}).to_arrow_table().to_pandas()


def by_polars(files: list[str], ids: list[str], stamps: pd.DatetimeIndex) -> pd.DataFrame:
    import polars as pl

    warnings.filterwarnings("ignore", message="Sortedness of columns")  # sorted above
    cols = ["series_id", "obs_date", "value", "release_time"]
    df = pl.read_parquet(files, columns=cols, hive_partitioning=False)
    hit = pl.col("obs_date") == pl.col("best_obs")
    best = (
        df.sort(["series_id", "release_time", "obs_date"])
        .with_columns(best_obs=pl.col("obs_date").cum_max().over("series_id"))
        .with_columns(
            best_value=pl.when(hit).then(pl.col("value")).forward_fill().over("series_id"),
            best_release=pl.when(hit).then(pl.col("release_time")).forward_fill().over("series_id"),
        )
        .sort("release_time")
    )
    grid = pl.DataFrame(
        {"as_of": np.repeat(stamps, len(ids)), "series_id": np.tile(ids, len(stamps))}
    ).sort("as_of")
    out = grid.join_asof(
        best.select("release_time", "series_id", "best_obs", "best_value", "best_release"),
        left_on="as_of",
        right_on="release_time",
        by="series_id",
        strategy="backward",
    )
    return (
        out.drop("release_time")
        .rename({"best_obs": "obs_date", "best_value": "value", "best_release": "release_time"})
        .to_pandas()
    )


def _canonical(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame[["as_of", "series_id", "obs_date", "value", "release_time"]].copy()
    out["as_of"] = (
        pd.to_datetime(out["as_of"], utc=True).dt.floor("us").astype("datetime64[ns, UTC]")
    )
    out["obs_date"] = pd.to_datetime(out["obs_date"]).astype("datetime64[ns]")
    out["release_time"] = pd.to_datetime(out["release_time"], utc=True).astype(
        "datetime64[ns, UTC]"
    )
    out["series_id"] = out["series_id"].astype(str)
    return out.sort_values(["as_of", "series_id"]).reset_index(drop=True)


def _time(fn: Callable[[], pd.DataFrame], repeat: int) -> tuple[float, pd.DataFrame]:
    best, result = float("inf"), pd.DataFrame()
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    """Run the benchmark; returns seconds per method (and prints the ratios)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=250)
    parser.add_argument("--start", default="2000-01-03")
    parser.add_argument("--dates", type=int, default=320)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-naive", action="store_true")
    args = parser.parse_args(argv)

    tmp = Path(tempfile.mkdtemp(prefix="bench-pit-"))
    try:
        t0 = time.perf_counter()
        lake, ids, n_rows = build_lake(tmp / "lake", args.series, args.start)
        files = [str(p) for p in lake.files()]
        build_s = time.perf_counter() - t0
        month_ends = pd.date_range(args.start, END, freq="ME")[: args.dates]
        stamps = Lake.open(tmp / "lake").panel(ids[:1], month_ends)["as_of"]
        stamps = pd.DatetimeIndex(stamps)
        print(
            f"{n_rows:,} rows, {len(ids)} series, {len(month_ends)} as-of dates "
            f"(lake built in {build_s:.1f}s)"
        )
        methods: dict[str, Callable[[], pd.DataFrame]] = {
            "lake.panel": lambda: by_lake(tmp / "lake", ids, month_ends),
            "pandas merge_asof": lambda: by_merge_asof(files, ids, stamps),
            "duckdb ASOF JOIN": lambda: by_duckdb(files, ids, stamps),
        }
        if importlib.util.find_spec("polars") is not None:  # the [bench] extra
            methods["polars join_asof"] = lambda: by_polars(files, ids, stamps)
        if not args.skip_naive:
            methods["naive pandas loop"] = lambda: by_naive_loop(files, ids, stamps)
        seconds: dict[str, float] = {}
        reference: pd.DataFrame | None = None
        for name, fn in methods.items():
            repeat = 1 if name == "naive pandas loop" else args.repeat
            seconds[name], result = _time(fn, repeat)
            got = _canonical(result)
            if reference is None:
                reference = got
            else:
                pd.testing.assert_frame_equal(got, reference, check_exact=True)
        base = seconds["lake.panel"]
        print(f"{'method':<20}{'seconds':>10}{'x lake.panel':>14}")
        for name, sec in seconds.items():
            print(f"{name:<20}{sec:>10.3f}{sec / base:>14.1f}")
        print("all answers identical to lake.panel: yes")
        checked, plain = checksum_cost(files, args.repeat)
        print(
            f"read-time page checksums: {checked:.3f}s verified vs {plain:.3f}s unverified "
            f"({100 * (checked / plain - 1):+.0f}% on the Parquet read)"
        )
        ratio = seconds["pandas merge_asof"] / base
        print(
            f"target: lake.panel >= 4x faster than merge_asof -> {ratio:.1f}x "
            f"({'met' if ratio >= 4 else 'NOT met'})"
        )
        return seconds
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

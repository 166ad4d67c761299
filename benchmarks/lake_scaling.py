"""Benchmark: lake maintenance costs grow linearly with the work (issue 14.11).

For scale k in 1, 2, 4, 8, 16 it builds a lake of ``k x --series`` researcher series
(``--days`` daily rows each) and times

* ``register``     registering all the series (append-only registry: O(1) each),
* ``check``        ``check_lake`` (one pass over the files, not one per series),
* ``write@files``  one small write after ``k x --writes`` earlier small writes (the
                   file count is bounded by auto-compaction, so this stays flat).

It prints seconds and seconds per unit of work; linear costs show a flat per-unit column.
Run ``python benchmarks/lake_scaling.py`` (``--scales 1,2,4`` for a quick look).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from research_core.lake import Lake
from research_core.lake.maintenance import check_lake


def _rows(ids: list[str], days: int, start: str, seed: int) -> pd.DataFrame:
    obs = pd.bdate_range(start, periods=days)
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "series_id": np.repeat(ids, days),
            "obs_date": np.tile(obs, len(ids)),
            "value": rng.normal(size=len(ids) * days),
            "release_time": np.tile((obs + pd.Timedelta(hours=21)).tz_localize("UTC"), len(ids)),
            "source": "bench",
        }
    )


def one_scale(root: Path, n_series: int, days: int, n_writes: int) -> dict[str, float]:
    lake = Lake.open(root, create=True)
    ids = [f"BENCH.S{k:05d}" for k in range(n_series)]
    t0 = time.perf_counter()
    for sid in ids:
        lake.register(sid, frequency="D", units="x")
    register = time.perf_counter() - t0
    lake.write(_rows(ids, days, "2015-01-01", 0))
    t0 = time.perf_counter()
    report = check_lake(lake)
    check = time.perf_counter() - t0
    assert report.ok, report.summary()
    for w in range(n_writes):  # many small later writes: the file count grows
        start = str((pd.Timestamp("2030-01-07") + pd.Timedelta(weeks=w)).date())
        lake.write(_rows(ids[w % n_series : w % n_series + 1], 5, start, w))
    t0 = time.perf_counter()
    lake.write(_rows(ids[:1], 5, "2029-06-04", 10**6))
    last_write = time.perf_counter() - t0
    return {
        "register": register,
        "check": check,
        "write": last_write,
        "files": float(len(lake.files())),
    }


def main(argv: Sequence[str] | None = None) -> dict[int, dict[str, float]]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--series", type=int, default=50)
    parser.add_argument("--days", type=int, default=500)
    parser.add_argument("--writes", type=int, default=20)
    parser.add_argument("--scales", default="1,2,4,8,16")
    args = parser.parse_args(argv)
    out: dict[int, dict[str, float]] = {}
    print(
        f"{'scale':>5}{'series':>8}{'register s':>12}{'ms/series':>10}{'check s':>9}"
        f"{'ms/series':>10}{'files':>7}{'write ms':>10}"
    )
    for k in (int(x) for x in args.scales.split(",")):
        tmp = Path(tempfile.mkdtemp(prefix="bench-scale-"))
        try:
            n = k * args.series
            r = out[k] = one_scale(tmp / "lake", n, args.days, k * args.writes)
            print(
                f"{k:>5}{n:>8}{r['register']:>12.2f}{1e3 * r['register'] / n:>10.2f}"
                f"{r['check']:>9.2f}{1e3 * r['check'] / n:>10.2f}{int(r['files']):>7}"
                f"{1e3 * r['write']:>10.1f}"
            )
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


if __name__ == "__main__":
    main()

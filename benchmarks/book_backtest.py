"""Benchmark: the book backtest on the sample lake (issue #18, item 1).

Target: the monthly ERC book from 2010-01 to 2026-10, causality verification on, in under
10 minutes on 2 cores. Measured here, in one run:

* ``book backtest``   ``run_book_backtest`` over the window (``--workers`` processes gather
                      the signals, then the decisions run in order), ``--verify`` dates
                      recomputed on lakes cut at the date
* ``live decision``   the peer: the live path ``portfolio.decide(lake.at(D))`` at one date
                      (covariance read from the view), best of ``--repeat``; times the
                      number of rebalance dates, it is what a plain loop would cost

Prints the phases (gathering signals, the ordered decisions, causality checks, marks and
the simulation) from a cProfile of the main process (``--profile N`` shows its top N
entries; the workers' time shows up as waiting in ``Executor.map``) and the load average,
since the machine may be shared. Run ``python benchmarks/book_backtest.py``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import time
from collections.abc import Sequence
from pathlib import Path

import pandas as pd
from _timing import best_of  # benchmarks/ is on sys.path when run as a script

from research_core.backtest.book import run_book_backtest
from research_core.backtest.engine import rebalance_dates
from research_core.config import get_settings
from research_core.lake import Lake
from research_core.lake.sample import build_sample_lake
from research_core.portfolio import decide

TARGET_SECONDS = 600.0
PHASES = {  # cProfile entries (file:function) that make up the run
    "gather signals (workers)": "backtest/book.py:prepare",
    "ordered decisions": "backtest/book.py:decide",
    "causality checks": "causality.py:verify_decisions",
    "marks (MarketData.build)": "market.py:build",
    "simulation": "core.py:simulate",
}


def open_lake(path: str | None) -> Lake:
    s = get_settings()
    root = Path(path or s.lake_path)
    if not (root / "_lake.json").exists():
        build_sample_lake(str(root), start=s.sample_start, end=s.sample_end, seed=s.sample_seed)
    return Lake.open(root)


def _phase_times(stats: pstats.Stats) -> dict[str, float]:
    out = dict.fromkeys(PHASES, 0.0)
    for (file, _, func), (_, _, _, cum, _) in stats.stats.items():  # type: ignore[attr-defined]
        for name, key in PHASES.items():
            f, fn = key.split(":")
            if file.replace("\\", "/").endswith(f) and func == fn:
                out[name] += cum
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lake", help="lake directory (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--start", default="2010-01-04")
    p.add_argument("--end", default="2026-10-30")
    p.add_argument("--method", default="erc")
    p.add_argument("--freq", default="M")
    p.add_argument("--workers", type=int, default=2)
    p.add_argument("--verify", type=int, default=2)
    p.add_argument("--repeat", type=int, default=1, help="runs of the one-date peer")
    p.add_argument("--profile", type=int, default=0, metavar="N", help="print top N entries")
    args = p.parse_args(argv)
    lake = open_lake(args.lake)
    dates = rebalance_dates(args.start, args.end, args.freq)

    prof = cProfile.Profile()
    t0 = time.perf_counter()
    prof.enable()
    book = run_book_backtest(
        lake,
        args.start,
        args.end,
        method=args.method,
        freq=args.freq,
        workers=args.workers,
        verify=args.verify,
    )
    prof.disable()
    total = time.perf_counter() - t0
    stats = pstats.Stats(prof)
    day = dates[len(dates) // 2]
    one, _ = best_of(args.repeat, lambda: decide(lake.at(day), method=args.method))
    attributed = float(book.attribution.to_numpy().sum())
    change = float(book.result.equity.iloc[-1] - 1.0)
    assert abs(attributed - change) < 1e-9, (attributed, change)  # attribution is exact

    print(book.summary())
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    print(f"book backtest: {total:8.1f} s for {len(dates)} rebalances ({args.workers} workers)")
    print(f"  target < {TARGET_SECONDS:.0f} s: {'met' if total < TARGET_SECONDS else 'MISSED'}")
    for name, sec in _phase_times(stats).items():
        print(f"  {name:<28} {sec:8.1f} s")
    naive = one * len(dates)
    print(f"live decision at {day.date()}: {one:6.2f} s; x{len(dates)} dates = {naive:.0f} s")
    print(f"speed-up over a plain loop of live decisions: {naive / total:.1f}x")
    if args.profile:
        out = io.StringIO()
        pstats.Stats(prof, stream=out).sort_stats("cumulative").print_stats(args.profile)
        print(out.getvalue())
    return {"book backtest": total, "live decision": one, "rebalances": float(len(dates))}


if __name__ == "__main__":
    pd.set_option("display.width", 120)
    main()

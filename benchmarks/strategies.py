"""Benchmark: every configured strategy backtested 2010-01 → 2026-10 (issue 29, row 1).

Target: all of them in at most 60 s, none over 5 s, on 2 cores. One process, the
configured order, causality verification off (it costs an export of the lake and a cold
decision per checked date, 2-5 s a backtest whatever its span; ``book_backtest.py`` times
it). Run side by side (:mod:`_paths`):

* ``earlier``    unit histories rebuilt at every rebalance, no agent report store, both
                 cross-asset HMMs refitted at every date: the code before issue 29
* ``new``        unit histories extended, agent reports stored per lake snapshot and date
                 (the store emptied first: a cold start), HMMs refitted yearly
* ``new, warm``  the same again: the agent reports come from the store (a second run, or
                 the book backtest and the pipeline after the strategies)

Checks before any time is printed: every strategy's signals, weights and daily returns
are identical to 1e-12 between the paths, except XA_REGIME_01 under the yearly refit (a
model change: its largest difference is printed), which is run once more on the new path
with ``refit="every"`` and must equal the earlier path (skip with ``--no-every-check``).
Prints wall and CPU seconds per strategy and path, the ratios, and the 1-minute load
average around each run (the machine may be shared). Run
``python benchmarks/strategies.py [--strategies A,B] [--start D --end D]``.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence

import numpy as np
from _paths import Timed, breakdown, code_path, empty_store, forget, timed

from research_core.agents.cross_asset import regime_refit
from research_core.backtest.engine import BacktestResult, run_backtest
from research_core.config import get_settings
from research_core.lake import Lake
from research_core.strategies import load_config

TARGET_TOTAL, TARGET_EACH = 60.0, 5.0
MODEL_CHANGE = "XA_REGIME_01"  # yearly HMM refits: not the earlier numbers by design


def _gap(a: BacktestResult, b: BacktestResult) -> float:
    """Largest absolute difference of signals, weights and returns (inf if shapes differ)."""
    gap = 0.0
    for field in ("signals", "weights", "returns"):
        x, y = getattr(a, field), getattr(b, field)
        a_, b_ = x.to_numpy(dtype=float), y.to_numpy(dtype=float)
        if not x.index.equals(y.index) or a_.shape != b_.shape:
            return float("inf")
        if (np.isnan(a_) != np.isnan(b_)).any():
            return float("inf")
        gap = max(gap, float(np.nanmax(np.abs(a_ - b_), initial=0.0)))
    return gap


def _run_all(
    lake: Lake, names: Sequence[str], start: str, end: str
) -> dict[str, tuple[Timed, BacktestResult]]:
    book = load_config()
    return {n: timed(lambda n=n: run_backtest(book[n], lake, start, end, verify=0)) for n in names}


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lake", help="lake directory (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--start", default="2010-01-04")
    p.add_argument("--end", default="2026-10-30")
    p.add_argument("--strategies", help="comma-separated names (default: every configured)")
    p.add_argument("--no-every-check", action="store_true", help="skip XA_REGIME_01 'every'")
    p.add_argument(
        "--skip-earlier", action="store_true", help="time the new path only (no identity check)"
    )
    p.add_argument(
        "--breakdown", action="store_true", help="profile each strategy over 5 s (cold, new)"
    )
    args = p.parse_args(argv)
    lake = Lake.open(args.lake or get_settings().lake_path)
    names = args.strategies.split(",") if args.strategies else list(load_config())
    lake.at(args.end).series("BR.CDI")  # the lake's files read once, for every path

    runs: dict[str, dict[str, tuple[Timed, BacktestResult]]] = {}
    if not args.skip_earlier:
        with code_path("earlier"):
            runs["earlier"] = _run_all(lake, names, args.start, args.end)
    empty_store(lake)
    with code_path("new"):
        runs["new"] = _run_all(lake, names, args.start, args.end)
        forget()  # a new process: only the lake's store remembers
        runs["new, warm"] = _run_all(lake, names, args.start, args.end)
    for name in names if "earlier" in runs else ():
        earlier = runs["earlier"][name][1]
        for path in ("new", "new, warm"):
            gap = _gap(runs[path][name][1], earlier)
            if name != MODEL_CHANGE and not gap <= 1e-12:
                raise AssertionError(f"{name}: {path} differs from earlier by {gap:.2e}")
    if MODEL_CHANGE in names and "earlier" in runs and not args.no_every_check:
        with code_path("new"), regime_refit("every"):
            every = run_backtest(load_config()[MODEL_CHANGE], lake, args.start, args.end, verify=0)
        gap = _gap(every, runs["earlier"][MODEL_CHANGE][1])
        if not gap <= 1e-12:
            raise AssertionError(f"{MODEL_CHANGE} refit='every' differs by {gap:.2e}")
        print(f"{MODEL_CHANGE} with refit='every' on the new path: identical to earlier")

    cols = list(runs)
    print(f"{len(names)} strategies {args.start} → {args.end}, verify off, one process")
    print(f"{'strategy':<14}" + "".join(f"{c + ' wall/cpu s':>22}" for c in cols) + "  load")
    for name in names:
        cells = "".join(
            f"{runs[c][name][0].wall:>12.1f}/{runs[c][name][0].cpu:<9.1f}" for c in cols
        )
        print(f"{name:<14}{cells}{runs['new'][name][0].load:6.1f}")
    out: dict[str, dict[str, float]] = {}
    for c in cols:
        wall = sum(t.wall for t, _ in runs[c].values())
        cpu = sum(t.cpu for t, _ in runs[c].values())
        worst = max(runs[c], key=lambda n: runs[c][n][0].wall)
        load = float(np.mean([t.load for t, _ in runs[c].values()]))
        out[c] = {"wall": wall, "cpu": cpu, "slowest": runs[c][worst][0].wall, "load": load}
        print(
            f"{c:<10} total {wall:7.1f} s wall, {cpu:7.1f} s CPU at load {load:4.1f}; slowest "
            f"{worst} {runs[c][worst][0].wall:.1f} s (targets {TARGET_TOTAL:.0f} s total, "
            f"{TARGET_EACH:.0f} s each)"
        )
    for c in ("new", "new, warm") if "earlier" in runs else ():
        print(
            f"earlier / {c}: {out['earlier']['wall'] / out[c]['wall']:.1f}x wall, "
            f"{out['earlier']['cpu'] / out[c]['cpu']:.1f}x CPU"
        )
    if MODEL_CHANGE in names and "earlier" in runs:
        gap = _gap(runs["new"][MODEL_CHANGE][1], runs["earlier"][MODEL_CHANGE][1])
        e, n = (runs[c][MODEL_CHANGE][1].metrics["sharpe"] for c in ("earlier", "new"))
        print(
            f"{MODEL_CHANGE} yearly refit vs every date (a model change): largest difference "
            f"{gap:.3f} (risk units, weights, returns); Sharpe {e:.2f} -> {n:.2f}"
        )
    print(f"load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if args.breakdown:
        _breakdowns(lake, [n for n in names if runs["new"][n][0].wall > TARGET_EACH], args)
    return out


def _breakdowns(lake: Lake, names: Sequence[str], args: argparse.Namespace) -> None:
    """Where each slow strategy's time goes, cold (no stored agent report), new path."""
    book = load_config()
    for name in names:
        empty_store(lake)
        with code_path("new"):
            lines = breakdown(
                lambda n=name: run_backtest(book[n], lake, args.start, args.end, verify=0)
            )
        print(f"{name}: where the time goes (cumulative, under cProfile)")
        print("\n".join(lines))


if __name__ == "__main__":
    main()

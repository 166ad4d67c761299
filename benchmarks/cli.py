"""Benchmark: what a person waits for at the command line (issue 29, rows 3 and 4).

* ``backtest``  ``workbench backtest RATES_BR_01 --start 2015-01-02 --end 2026-10-30`` with
                its defaults (causality verified at 3 dates, the report written); target 2 s
* ``unverified`` the same with ``--verify 0``: the difference is what the check costs
* ``import``    ``import research_core.backtest.engine`` alone (what every backtest pays
                before it starts)
* ``agents``    ``workbench agents run --as-of 2026-10-30 --no-write``; target 2 s

``--breakdown`` runs ``backtest`` once more (new path) under cProfile with a CPU-time clock
and prints where its CPU goes: start-up imports, the B3 calendar, the market data, the
decisions, the causality check, the simulation, the figures and the report.

Each command runs in a fresh process, as typed (start-up and imports included), on a copy
of the lake as known at ``--end`` (so the trial ledger and the agent report store of the
lake are not touched), side by side on the paths of :mod:`_paths`: ``earlier`` (the
process switched to it before the command runs), ``new`` (the copy's store empty: a cold
start), ``warm`` (the same command again: agent reports from the store). Prints wall and
CPU seconds (of the child), their ratios, and the load average around each run. Run
``python benchmarks/cli.py``; for the code before a change, run it with ``PYTHONPATH`` at
a checkout of that code.
"""

from __future__ import annotations

import argparse
import os
import pstats
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _args import lake_parser, open_lake
from _paths import empty_store

from research_core.lake.maintenance import export_as_of

TARGET = 2.0
EARLIER = (
    "import sys; from research_core import pnl; from research_core.agents import store; "
    "from research_core.agents.cross_asset import CrossAssetAgent; "
    "pnl.INCREMENTAL = store.ENABLED = False; CrossAssetAgent.refit = 'every'; "
    "from research_core.cli import main; sys.exit(main(sys.argv[1:]))"
)
NEW = "import sys; from research_core.cli import main; sys.exit(main(sys.argv[1:]))"
IMPORT = "import research_core.backtest.engine"
PROFILED = (
    "import cProfile, sys, time; from research_core.cli import main; "
    "p = cProfile.Profile(time.process_time); p.runcall(main, sys.argv[2:]); "
    "p.dump_stats(sys.argv[1])"
)
# The stages of a backtest, in the order it runs them: file, function, what it is.
STAGES = """
calendars.py business_days B3 calendar (exchange_calendars)
market.py build market data (marks from the end view; the calendar in it)
engine.py _decide_in_order decisions (a view per rebalance)
causality.py verify_decisions causality check
core.py simulate simulation
metrics.py performance metrics
ledger.py record trial ledger
backtests.py figures figures (plotly)
report.py write_report report files
"""


def command(name: str, args: argparse.Namespace, out: Path) -> list[str]:
    """The CLI arguments of benchmark ``name`` (none for ``import``)."""
    if name == "agents":
        return ["agents", "run", "--as-of", args.end, "--no-write"]
    if name == "import":
        return []
    verify = str(args.verify if name == "backtest" else 0)
    window = ["--start", args.start, "--end", args.end]
    return ["backtest", args.strategy, *window, "--verify", verify, "--quiet", "--out", str(out)]


def run(argv: list[str], path: str) -> tuple[float, float, float]:
    """Wall and child-CPU seconds of ``argv`` in a fresh process, and the mean load."""
    code = IMPORT if not argv else EARLIER if path == "earlier" else NEW
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    load0, t0 = os.getloadavg()[0], time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, check=False
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv) or code} failed: {done.stderr[-2000:]}")
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return wall, cpu, (load0 + os.getloadavg()[0]) / 2


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    p = lake_parser(__doc__, start="2015-01-02")
    p.add_argument("--strategy", default="RATES_BR_01")
    p.add_argument("--verify", type=int, default=3)
    p.add_argument("--paths", default="earlier,new,warm")
    p.add_argument("--commands", default="import,backtest,unverified,agents")
    p.add_argument("--breakdown", action="store_true", help="where the backtest's CPU goes")
    args = p.parse_args(argv)
    lake = open_lake(args.lake)
    out: dict[str, dict[str, float]] = {}
    with tempfile.TemporaryDirectory(prefix="workbench-bench-cli-") as tmp:
        copy = export_as_of(lake, args.end, Path(tmp) / "lake")
        for name in args.commands.split(","):
            for path in args.paths.split(","):
                if path == "new":
                    empty_store(copy)
                argv = command(name, args, Path(tmp) / f"out-{name}-{path}")
                argv += ["--path", str(copy.root)] if argv else []
                wall, cpu, load = run(argv, path)
                out[f"{name} ({path})"] = {"wall": wall, "cpu": cpu, "load": load}
        lines = (
            breakdown(command("backtest", args, Path(tmp) / "bd"), copy.root)
            if args.breakdown
            else []
        )
    print(f"CLI, fresh process per command; lake copy as of {args.end}")
    for key, m in out.items():
        print(f"{key:<22} {m['wall']:7.1f} s wall {m['cpu']:7.1f} s CPU at load {m['load']:4.1f}")
    for path in args.paths.split(","):
        checked, unchecked = out.get(f"backtest ({path})"), out.get(f"unverified ({path})")
        if checked and unchecked:
            cost = {k: checked[k] - unchecked[k] for k in ("wall", "cpu")}
            print(f"causality check ({path}): {cost['wall']:.1f} s wall {cost['cpu']:.1f} s CPU")
    for name in ("backtest", "agents"):
        first = f"{name} (earlier)"
        for key in [k for k in out if k.startswith(name) and k != first and first in out]:
            ratio = out[first]["wall"] / out[key]["wall"]
            print(f"{first} / {key}: {ratio:.1f}x wall (target {TARGET:.0f} s)")
    print("\n".join(lines))
    print(f"load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return out


def breakdown(argv: list[str], lake: Path) -> list[str]:
    """CPU seconds of the :data:`STAGES` of one ``backtest`` run in a fresh process
    (cumulative, under cProfile: inflated by the profiler, so compare shares), and the
    start-up before the command runs (imports and argument parsing)."""
    with tempfile.NamedTemporaryFile(suffix=".prof") as f:
        argv = [*argv, "--path", str(lake)]
        done = subprocess.run([sys.executable, "-c", PROFILED, f.name, *argv], capture_output=True)
        if done.returncode != 0 or done.stderr.strip().startswith(b"error"):
            raise RuntimeError(f"{' '.join(argv)} failed: {done.stderr[-2000:]!r}")
        stats = pstats.Stats(f.name).stats  # type: ignore[attr-defined]
    cum = {(Path(file).name, name): v[3] for (file, _, name), v in stats.items()}
    total = max(v[3] for v in stats.values())
    run = cum.get(("backtest.py", "_cmd_backtest"), 0.0)
    lines = [f"backtest under cProfile: {total:.2f} s CPU; where it goes"]
    rows = [("start-up: imports, parsing", total - run)]
    for line in STAGES.strip().splitlines():
        file, func, label = line.split(" ", 2)
        rows.append((label, cum.get((file, func), 0.0)))
    lines += [f"  {sec:6.2f} s {sec / total:6.1%}  {label}" for label, sec in rows]
    return lines


if __name__ == "__main__":
    main()

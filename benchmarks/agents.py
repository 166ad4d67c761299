"""Benchmark: the five agents on the sample lake (issue #4, item 6).

Targets: all five agents for one date in under 10 s; a monthly history from 2010 to the
lake's end in under 2 minutes. Measured here, in one run:

* ``one date (PITView)``         ``run_agents(lake.at(D))`` on the full lake, best of ``--repeat``
* ``one date (truncated copy)``  the naive point-in-time way: copy the rows released by D
                                 into a new lake, then run — the peer the view replaces;
                                 its reports are checked identical to the view's
* ``monthly history``            ``run_history`` over month-ends ``--start`` to ``--end``

``--per-agent`` also prints each agent's CPU milliseconds per month-end over that span, cold
(in-process memo emptied first, dates in order: what the first book backtest pays; issue 29).

``--startup`` also runs ``workbench agents run --as-of D --no-write`` in a fresh process on
the truncated copy, its store empty then filled (issue 29: target 2 s), and prints its CPU
seconds and those of each library it imports (outermost import, what it pulls in included).

Run ``python benchmarks/agents.py`` (uses WORKBENCH_LAKE_PATH, building the sample lake if
it is missing).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from _paths import forget  # benchmarks/ is on sys.path when run as a script
from _timing import best_of

from research_core._typing import AsOf
from research_core.agents import run_agents
from research_core.agents.history import as_of_dates, run_history
from research_core.agents.runner import agent_order, run_agent
from research_core.config import get_settings
from research_core.errors import AgentDataError, InsufficientDataError
from research_core.lake import Lake
from research_core.lake.maintenance import export_as_of
from research_core.lake.sample import build_sample_lake

TARGETS = {"one date (PITView)": 10.0, "monthly history": 120.0}
# A fresh process running the CLI: CPU seconds in all, and in each outermost import of a
# library (not the standard library's, not research_core's).
STARTUP = """
import builtins, json, sys, time
clock, real, inside, spent = time.process_time, builtins.__import__, [0], {}
skip = set(sys.stdlib_module_names) | {"research_core"}
def timed(name, globals=None, locals=None, fromlist=(), level=0):
    top = name.partition(".")[0]
    if level or top in skip or inside[0] or name in sys.modules:
        return real(name, globals, locals, fromlist, level)
    inside[0], t0 = 1, clock()
    try:
        return real(name, globals, locals, fromlist, level)
    finally:
        inside[0], spent[top] = 0, spent.get(top, 0.0) + clock() - t0
builtins.__import__ = timed
from research_core.cli import main
code = main(sys.argv[1:])
print(json.dumps({"code": code, "cpu": clock(), "imports": spent}), file=sys.stderr)
"""


def open_lake(path: str | None) -> Lake:
    s = get_settings()
    root = Path(path or s.lake_path)
    if not (root / "_lake.json").exists():
        build_sample_lake(str(root), start=s.sample_start, end=s.sample_end, seed=s.sample_seed)
    return Lake.open(root)


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lake", help="lake directory (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--date", default="2026-10-30", help="the one-date run's as-of")
    p.add_argument("--start", default="2010-01-01")
    p.add_argument("--end", default="2026-10-30")
    p.add_argument("--repeat", type=int, default=3)
    p.add_argument("--startup", action="store_true", help="the CLI's cold and warm CPU")
    p.add_argument("--per-agent", action="store_true", help="each agent's cold CPU per date")
    args = p.parse_args(argv)
    lake = open_lake(args.lake)
    run_agents(lake.at(args.date))  # warm: imports, lake arrays cached

    def one_date() -> None:
        forget()  # the reports (and HMM fits) memoized in process: computed every time
        run_agents(lake.at(args.date))

    seconds = {"one date (PITView)": best_of(args.repeat, one_date)[0]}

    with tempfile.TemporaryDirectory() as tmp:
        counter = iter(range(10**6))

        def truncated() -> None:
            copy = export_as_of(lake, args.date, Path(tmp) / f"lake{next(counter)}")
            reports = run_agents(copy.at(args.date))
            forget()
            view = run_agents(lake.at(args.date))
            assert all(reports[k].to_dict() == view[k].to_dict() for k in view), "PIT mismatch"

        t_check, _ = best_of(1, truncated)
        if args.startup:
            cli = ["agents", "run", "--as-of", args.date, "--path", f"{tmp}/lake0", "--no-write"]
            lines = [startup(cli, label) for label in ("store empty", "store filled")]
        t_view = seconds["one date (PITView)"]
        seconds["one date (truncated copy)"] = t_check - t_view  # the view's run is subtracted

    dates = as_of_dates(args.start, args.end, "M")
    forget()
    seconds["monthly history"], _ = best_of(1, lambda: run_history(lake, dates, progress=False))

    print(f"agents on {lake.root}: one date {args.date}; history {len(dates)} month-ends")
    print(f"{'measure':<28}{'seconds':>10}{'target':>10}{'x target':>10}")
    for name, sec in seconds.items():
        target = TARGETS.get(name)
        ratio = f"{sec / target:.3f}" if target else "-"
        print(f"{name:<28}{sec:>10.3f}{target or float('nan'):>10.1f}{ratio:>10}")
    ratio = seconds["one date (truncated copy)"] / seconds["one date (PITView)"]
    print(f"truncated copy / PITView: {ratio:.2f}x (reports identical)")
    if args.startup:
        print("\n".join(lines))
    if args.per_agent:
        load = os.getloadavg()[0]
        ms, short = per_agent(lake, dates)
        cold = ", ".join(f"{name} {v:.1f}" for name, v in ms.items())
        print(f"cold CPU ms per month-end (load {load:.1f}): {cold}; too little history: {short}")
    return seconds


def per_agent(lake: Lake, dates: Sequence[AsOf]) -> tuple[dict[str, float], dict[str, int]]:
    """Each agent's CPU milliseconds per date over ``dates`` in order, the memo emptied
    first, and at how many dates it had too little history to report (its try counted)."""
    forget()
    spent: dict[str, float] = {}
    short: dict[str, int] = {}
    for date in dates:
        view, reports = lake.at(date), {}
        for name in agent_order():
            t0 = time.process_time()
            try:
                reports[name] = run_agent(view, name, reports)
            except (AgentDataError, InsufficientDataError):
                short[name] = short.get(name, 0) + 1
            spent[name] = spent.get(name, 0.0) + time.process_time() - t0
    return {name: 1000 * cpu / len(dates) for name, cpu in spent.items()}, short


def startup(cli: list[str], label: str) -> str:
    """``workbench <cli>`` in a fresh process: its CPU seconds, the load, the imports'."""
    done = subprocess.run(
        [sys.executable, "-c", STARTUP, *cli], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(cli)} failed: {done.stderr[-2000:]}")
    got = json.loads(done.stderr.strip().splitlines()[-1])
    imports = sorted(got["imports"].items(), key=lambda kv: -kv[1])
    text = ", ".join(f"{name} {sec:.2f}" for name, sec in imports if sec >= 0.01)
    return (
        f"agents run, {label}: {got['cpu']:.2f} s CPU at load {os.getloadavg()[0]:.1f} "
        f"(target 2 s); imports {sum(got['imports'].values()):.2f} s: {text}"
    )


if __name__ == "__main__":
    main()

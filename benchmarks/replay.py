"""Benchmark: replay one stored decision, and run the agents at one date (issue #29).

Each measure runs in a fresh process, as a person meets it (``workbench pms replay ID``,
``workbench agents run --as-of D``), and prints where the time goes: seconds importing
(``-X importtime``'s total), seconds working, the process's CPU seconds, the heaviest
imports and, from cProfile, the heaviest calls and how many agents were computed.

* ``replay (store kept)``   the first decision proposed by the book at ``--date``, replayed
                            (what the proposal gathered on that snapshot, agent reports,
                            signals and unit returns, kept in the lake's store); must say
                            IDENTICAL
* ``replay (store empty)``  the same after the store is deleted (a new code version):
                            every agent and strategy recomputed
* ``agents run (cold)``     ``agents run --as-of`` with the store empty
* ``agents run (warm)``     the same again: every report from the store

Run ``python benchmarks/replay.py [--lake PATH]`` (default WORKBENCH_LAKE_PATH; it works on
a copy of the lake and a PMS database in a temporary folder).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from research_core.config import get_settings

PROFILE = """
import cProfile, json, pstats, sys
from research_core.agents import runner
from research_core.cli import main
computed, known = [], runner._known
def spy(view, name):
    got = known(view, name)
    if got is None:
        computed.append(f"{name}@{view.as_of:%Y-%m-%d}")
    return got
runner._known = spy
prof = cProfile.Profile()
prof.enable()
main(sys.argv[1:])
prof.disable()
stats = pstats.Stats(prof)
top = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])
calls = [(f"{k[0].rsplit('/', 1)[-1]}:{k[2]}", v[3]) for k, v in top
         if "research_core" in k[0] and "<" not in k[2] and "/cli/" not in k[0]
         and "__init__" not in k[0]][:8]
print(json.dumps({"computed": computed, "calls": calls}), file=sys.stderr)
"""
_IMPORT = re.compile(r"import time:\s+(\d+) \|\s+(\d+) \|( ?)(\S+)$")


def measure(args: list[str], before: Callable[[], None]) -> dict[str, Any]:
    """``workbench <args>`` in a fresh process, timed (wall, CPU); then again (``before``
    called before each run) under ``-X importtime``, and under cProfile, for the breakdown."""
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    cmd = [sys.executable, "-m", "research_core.cli", *args]
    before()
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run = subprocess.run(cmd, capture_output=True, text=True, env=env)
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
    before()
    imp = subprocess.run(
        [sys.executable, "-X", "importtime", *cmd[1:]], capture_output=True, text=True, env=env
    )
    top = [
        (n, int(c) / 1e6)
        for m in map(_IMPORT.match, imp.stderr.splitlines())
        if m
        for _, c, _, n in [m.groups()]
    ]
    before()
    prof = subprocess.run(
        [sys.executable, "-c", PROFILE, *args], capture_output=True, text=True, env=env
    )
    lines = prof.stderr.strip().splitlines()
    return {
        "wall": wall,
        "cpu": cpu,
        "load": os.getloadavg()[0],
        "code": run.returncode,
        "stdout": run.stdout,
        "stderr": run.stderr[-2000:],
        "import_s": sum(s for _, s in top),
        "imports": sorted(top, key=lambda t: -t[1])[:6],
        **json.loads(lines[-1]),
    }


def show(name: str, r: dict[str, Any]) -> None:
    print(
        f"{name:<22}{r['wall']:>7.2f} s wall {r['cpu']:>6.2f} s cpu  load {r['load']:.1f}  "
        f"imports {r['import_s']:.2f} s, agents computed {len(r['computed'])} {r['computed'][:6]}"
    )
    print("    top imports: " + ", ".join(f"{n} {s:.2f} s" for n, s in r["imports"]))
    print("    top calls:   " + ", ".join(f"{n} {s:.2f} s" for n, s in r["calls"]))


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--lake", help="lake directory (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--date", default="2026-10-01", help="the proposal's as-of date")
    p.add_argument("--as-of", default="2026-10-30", help="the agents run's as-of date")
    args = p.parse_args(argv)
    from research_core.agents.store import FOLDER
    from research_core.lake import Lake
    from research_core.pms import PMS

    source = Path(args.lake or get_settings().lake_path)
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as tmp:  # a copy: its store is emptied between runs
        shutil.copytree(source, Path(tmp) / "lake", ignore=shutil.ignore_patterns("artifacts"))
        lake = Lake.open(Path(tmp) / "lake")
        store = lake.root / FOLDER
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        pms = PMS.open(url, lake=lake, actor="system")
        t0 = time.perf_counter()
        pms.propose(args.date, min_trade=0.15, n_sims=2000)
        print(f"proposals at {args.date}: {time.perf_counter() - t0:.1f} s")
        journal = pms.journal()
        decision = int(journal.index[journal["action"] == "propose"][0])
        pms.engine.dispose()
        replay = ["pms", "replay", str(decision), "--db", url, "--path", str(lake.root)]
        run = ["agents", "run", "--as-of", args.as_of, "--path", str(lake.root), "--no-write"]
        texts = []
        for name, cmd, empty in (
            ("replay (store kept)", replay, False),
            ("replay (store empty)", replay, True),
            ("agents run (cold)", run, True),
            ("agents run (warm)", run, False),
        ):
            r = measure(
                cmd, lambda e=empty: shutil.rmtree(store, ignore_errors=True) if e else None
            )
            show(name, r)
            out[name] = r["cpu"]
            if cmd is replay:
                assert r["code"] == 0 and "IDENTICAL" in r["stdout"], r["stdout"] + r["stderr"]
            else:
                texts.append(r["stdout"])
    assert texts[0] == texts[1], "the stored reports print differently from the computed"
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"CPU of all child processes {u.ru_utime + u.ru_stime:.1f} s")
    return out


if __name__ == "__main__":
    main()

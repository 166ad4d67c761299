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
* ``page, first replay``    where the PM waits: the Decision Journal page's kernel (its
                            pool cell, then the page's PMS and journal view) replays one
                            decision with its Replay button (the first click of a visit)
* ``page (store kept)``     then another decision, in the same kernel
* ``page (store emptied)``  then a third after the store is deleted and the in-process
                            memo cleared: every agent and strategy recomputed, imports paid
* ``import floor``          a process importing only the other packages a ``pms replay``
                            imports (:data:`FLOOR`), each timed: what no replay process can
                            go below (the ERC solver is scipy's trust-exact; the journal's
                            two rows are read with SQLAlchemy Core, without the ORM)

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

import research_core
from research_core.config import get_settings

TOP_CALLS = """
import pstats
def top_calls(prof, n=8):
    stats = pstats.Stats(prof)
    top = sorted(stats.stats.items(), key=lambda kv: -kv[1][3])
    return [(f"{k[0].rsplit('/', 1)[-1]}:{k[2]}", v[3]) for k, v in top
            if "research_core" in k[0] and "<" not in k[2] and "/cli/" not in k[0]
            and "/viz/" not in k[0] and "__init__" not in k[0]][:n]
"""
PROFILE = (
    TOP_CALLS
    + """
import cProfile, json, sys
from research_core.agents import runner
from research_core.cli import main
computed, lookup = [], runner._lookup
def spy(view, name):  # every check for a known report goes through _lookup
    got = lookup(view, name)
    tag = f"{name}@{view.as_of:%Y-%m-%d}"
    if got[2] is None and tag not in computed:
        computed.append(tag)
    return got
runner._lookup = spy
prof = cProfile.Profile()
prof.enable()
main(sys.argv[1:])
prof.disable()
print(json.dumps({"computed": computed, "calls": top_calls(prof)}), file=sys.stderr)
"""
)
PAGE = (
    TOP_CALLS
    + """
import cProfile, json, os, shutil, sys, time
from research_core._memo import MEMO
from research_core.agents.store import FOLDER
c0, w0 = time.process_time(), time.perf_counter()
exec(sys.argv[1])  # the page's pool cell: its imports and preloads
from research_core.viz.pms_common import open_pms
from research_core.viz.pms_pages import journal_view
pms, problem = open_pms()
box = journal_view(pms)
(number, button), result = box.children[3].children, box.children[4]
out = {"open": (time.process_time() - c0, time.perf_counter() - w0)}
def click(name, decision, empty, profile=None):
    if empty:
        shutil.rmtree(pms.lake.root / FOLDER, ignore_errors=True)
        MEMO.clear()
    number.value = str(decision)
    c, w = time.process_time(), time.perf_counter()
    if profile: profile.enable()
    button.click()
    if profile: profile.disable()
    assert "IDENTICAL" in result.value, result.value
    out[name] = (time.process_time() - c, time.perf_counter() - w)
decisions = [int(d) for d in sys.argv[2:]]
click("first", decisions[0], False)
click("kept", decisions[1], False)
click("emptied", decisions[2], True)
for name, d, empty in (("kept", decisions[3], False), ("emptied", decisions[4], True)):
    prof = cProfile.Profile(time.process_time)  # CPU seconds, as the figures above
    click("profiled", d, empty, prof)
    out[name + " calls"] = top_calls(prof)
print(json.dumps(out), file=sys.stderr)
"""
)
# The other packages a `pms replay` process imports, in its order, and why: numpy and pandas
# (everything), pyarrow's Parquet reader (the lake), pydantic-settings (the settings), yaml
# (the catalog), SQLAlchemy Core and its SQLite dialect (the journal's rows), scipy.optimize
# (ERC's trust-exact; the package's __init__ brings linalg, sparse, spatial and special).
FLOOR = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "pydantic_settings",
    "yaml",
    "sqlalchemy",
    "sqlalchemy.dialects.sqlite",
    "scipy.optimize",
)
FLOOR_CODE = """
import gc, importlib, json, sys, time
out = {}
for name in sys.argv[1:]:
    c = time.process_time()
    importlib.import_module(name)
    out[name] = time.process_time() - c
print(json.dumps(out))
gc.freeze()  # as the workbench process does: its exit does not walk these modules
"""
DASHBOARDS = Path(research_core.__file__).resolve().parents[1] / "dashboards"  # the code's
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


def page(url: str, lake: Path, decisions: list[int]) -> dict[str, Any]:
    """The Decision Journal page's replay in one kernel-like process: its pool cell (from
    the dashboard), its PMS and journal view, then the Replay button clicked for
    ``decisions`` (first, kept, emptied; then kept and emptied again under cProfile)."""
    nb = json.loads((DASHBOARDS / "decision_journal.ipynb").read_text(encoding="utf-8"))
    cell = "".join(next(c["source"] for c in nb["cells"] if c["cell_type"] == "code"))
    env = {**os.environ, "PYTHONPATH": os.getcwd(), "WORKBENCH_DB_URL": url}
    env["WORKBENCH_LAKE_PATH"] = str(lake)
    cmd = [sys.executable, "-c", PAGE, cell, *map(str, decisions)]
    run = subprocess.run(cmd, capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr[-3000:]
    return {**json.loads(run.stderr.strip().splitlines()[-1]), "load": os.getloadavg()[0]}


def floor() -> tuple[float, float, dict[str, float]]:
    """Wall and CPU seconds of a process that only imports :data:`FLOOR`, and the CPU
    seconds of each import in turn (what it adds to those before it)."""
    cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    run = subprocess.run(
        [sys.executable, "-c", FLOOR_CODE, *FLOOR], check=True, capture_output=True, text=True
    )
    wall = time.perf_counter() - t0
    cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    each = json.loads(run.stdout.strip().splitlines()[-1])
    return wall, cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime, each


def show_page(r: dict[str, Any], out: dict[str, float]) -> None:
    """The page's figures beside the CLI's: CPU and wall of each click, and where the
    time of the kept and emptied replays goes."""
    cpu, wall = r["open"]
    print(f"page open (pool cell, PMS, journal view) {wall:.2f} s wall {cpu:.2f} s cpu")
    for key, name in (
        ("first", "page, first replay"),
        ("kept", "page (store kept)"),
        ("emptied", "page (store emptied)"),
    ):
        cpu, wall = r[key]
        out[name] = cpu
        print(f"{name:<22}{wall:>7.2f} s wall {cpu:>6.2f} s cpu  load {r['load']:.1f}")
        if key != "first":
            calls = r[f"{key} calls"]
            print("    top calls:   " + ", ".join(f"{n} {s:.2f} s" for n, s in calls))


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
    p.add_argument("--replay-only", action="store_true", help="skip the agents runs")
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
        proposed = [int(i) for i in journal.index[journal["action"] == "propose"]]
        decision = proposed[0]
        pms.engine.dispose()
        replay = ["pms", "replay", str(decision), "--db", url, "--path", str(lake.root)]
        run = ["agents", "run", "--as-of", args.as_of, "--path", str(lake.root), "--no-write"]
        texts = []
        runs = [("replay (store kept)", replay, False), ("replay (store empty)", replay, True)]
        runs += [("page", [], False)]  # before `agents run (cold)` empties the store
        if not args.replay_only:
            runs += [("agents run (cold)", run, True), ("agents run (warm)", run, False)]
        for name, cmd, empty in runs:
            if not cmd:  # the page: its first click finds the store the CLI replay refilled
                show_page(page(url, lake.root, (proposed * 5)[1:6]), out)
                continue
            r = measure(
                cmd, lambda e=empty: shutil.rmtree(store, ignore_errors=True) if e else None
            )
            show(name, r)
            out[name] = r["cpu"]
            if cmd is replay:
                assert r["code"] == 0 and "IDENTICAL" in r["stdout"], r["stdout"] + r["stderr"]
            else:
                texts.append(r["stdout"])
    wall, cpu, each = floor()
    out["import floor"] = cpu
    parts = ", ".join(f"{name} {s:.2f} s" for name, s in each.items())
    print(f"{'import floor':<22}{wall:>7.2f} s wall {cpu:>6.2f} s cpu  ({parts})")
    assert args.replay_only or texts[0] == texts[1], "the stored reports print differently"
    u = resource.getrusage(resource.RUSAGE_CHILDREN)
    print(f"CPU of all child processes {u.ru_utime + u.ru_stime:.1f} s")
    return out


if __name__ == "__main__":
    main()

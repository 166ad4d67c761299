"""The code paths issue 29's benchmarks compare, in one process, and the load they ran at.

``earlier``: every unit history rebuilt from nothing at each view (``pnl.INCREMENTAL``
off), no agent report store, the cross-asset HMMs refitted at every date. ``new``: the
defaults. Not switched off on the earlier path (so it is faster than the code before issue
29): each series read once per ``unit_index`` call, a unit's carry taken from its history,
the larger in-process memo of agent reports. Both bound BLAS/OpenMP to one thread (the
engine does it). In-process memos are emptied between runs so neither path reuses the
other's work; the lake's arrays stay loaded (both paths read the same files).
"""

from __future__ import annotations

import cProfile
import os
import pstats
import shutil
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from research_core import pnl
from research_core._memo import MEMO
from research_core.agents import cross_asset
from research_core.agents import store as report_store
from research_core.lake.store import Lake

T = TypeVar("T")
PATHS = ("earlier", "new")


def forget() -> None:
    """Empty every in-process memo of units, unit returns, agent reports and HMM fits."""
    MEMO.clear()


def empty_store(lake: Lake) -> None:
    """Remove the lake's stored agent reports (a cache: always safe), for a cold start."""
    shutil.rmtree(lake.root / report_store.FOLDER, ignore_errors=True)


@contextmanager
def code_path(name: str) -> Iterator[None]:
    """Run the block on the ``earlier`` or the ``new`` path (see the module docstring)."""
    if name not in PATHS:
        raise ValueError(f"path {name!r}: valid {PATHS}")
    earlier = name == "earlier"
    forget()
    pnl.INCREMENTAL = report_store.ENABLED = not earlier
    try:
        with cross_asset.regime_refit("every" if earlier else "yearly"):
            yield
    finally:
        pnl.INCREMENTAL = report_store.ENABLED = True
        forget()


@dataclass(frozen=True)
class Timed:
    wall: float  # seconds
    cpu: float  # seconds of this process (children apart)
    load: float  # 1-minute load average, mean of before and after


def timed(func: Callable[[], T]) -> tuple[Timed, T]:
    """Wall and CPU seconds of one call, with the load average around it."""
    load0, wall0, cpu0 = os.getloadavg()[0], time.perf_counter(), time.process_time()
    result = func()
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return Timed(wall, cpu, (load0 + os.getloadavg()[0]) / 2), result


def breakdown(func: Callable[[], object], top: int = 8) -> list[str]:
    """Where one call spends its time: the ``top`` functions of ``research_core`` by
    cumulative seconds under cProfile (inflated by the profiler; compare them, not the
    totals), as ``seconds  share  module:function`` lines."""
    prof = cProfile.Profile()
    prof.runcall(func)
    stats = pstats.Stats(prof).stats  # type: ignore[attr-defined]
    total = max(v[3] for v in stats.values())
    own = [
        (cum, f"{Path(file).stem}:{name}")
        for (file, _, name), (_, _, _, cum, _) in stats.items()
        if "research_core" in file and "backtest/engine" not in file
    ]
    own.sort(reverse=True)
    return [f"{cum:8.2f} s {cum / total:6.1%}  {where}" for cum, where in own[:top]]

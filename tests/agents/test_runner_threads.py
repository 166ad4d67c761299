"""An agent computes with BLAS/OpenMP held to one thread, wherever it is called from
(issue 29): ``workbench agents run --as-of`` ran its fits unbounded, and scikit-learn's
OpenMP pool (the cross-asset agent's k-means start) spinning on a 2-core machine doubled
the command's CPU (5.3 s instead of 2.7 s without ``OMP_NUM_THREADS`` set)."""

from __future__ import annotations

import sys
from pathlib import Path
from types import FrameType
from typing import Any

from threadpoolctl import threadpool_info, threadpool_limits

from research_core._memo import MEMO
from research_core._threads import OneThread, one_thread
from research_core.agents.base import Agent
from research_core.agents.runner import run_agent
from research_core.lake import Lake


def pools() -> int:
    """The most threads any loaded BLAS/OpenMP pool may use now."""
    return max(p["num_threads"] for p in threadpool_info())


def test_an_agent_runs_with_its_pools_held_to_one_thread(sample_lake_path: Path) -> None:
    view = Lake.open(sample_lake_path).at("2013-07-17")
    MEMO.clear()  # the agent computes here, whatever earlier tests in this process ran
    seen: list[int] = []

    def probe(frame: FrameType, event: str, arg: Any) -> None:  # a profiler hook
        if event == "call" and frame.f_code is Agent.run.__code__:
            seen.append(pools())

    with threadpool_limits(2):  # the caller's pools: two threads, as on a 2-core machine
        assert pools() == 2
        sys.setprofile(probe)
        try:
            run_agent(view, "fiscal", {})
        finally:
            sys.setprofile(None)
        assert pools() == 2  # the caller's limit is back
    assert seen == [1]


def test_one_thread_reuses_the_limit_held_and_ends_with_its_own() -> None:
    with threadpool_limits(2):
        with one_thread():
            assert pools() == 1
        assert pools() == 2
        with OneThread() as held:
            with one_thread():
                assert pools() == 1 and held._seen == len(sys.modules)
            assert pools() == 1  # the outer block's limit holds until it ends
        assert pools() == 2

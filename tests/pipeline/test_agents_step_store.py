"""The pipeline's agents step reads and keeps the agents' reports in the lake's store
(issue 29, deliverable 2): a rerun of the step on the same snapshot and date, as a new
process would (the in-process memo emptied), computes no agent again, and writes the same
reports.json byte for byte as a run with an empty store."""

from __future__ import annotations

import functools
import shutil
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from research_core._memo import MEMO
from research_core.agents import runner
from research_core.agents.store import FOLDER
from research_core.pipeline import steps
from tests.agents.agent_lake import AS_OF, build


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> Iterator[Counter[str]]:
    """How many times each agent computes a report (its real ``run``, counted), with the
    in-process memo empty before and after."""
    runs: Counter[str] = Counter()

    def counting(name: str, run: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(run)
        def wrapped(self: Any, *args: Any, **kwargs: Any) -> Any:
            runs[name] += 1
            return run(self, *args, **kwargs)

        return wrapped

    for name, cls in runner.AGENTS.items():
        monkeypatch.setattr(cls, "run", counting(name, cls.run))
    MEMO.clear()
    yield runs
    MEMO.clear()


def test_the_agents_step_computes_each_agent_once_per_snapshot_and_date(
    tmp_path_factory: pytest.TempPathFactory, tmp_path: Path, counted: Counter[str]
):
    lake = build(tmp_path_factory.getbasetemp() / "agent_lake").lake  # the shared agent lake
    store = lake.root / FOLDER
    shutil.rmtree(store, ignore_errors=True)  # an empty store

    def step(run: str) -> bytes:
        MEMO.clear()  # as a new process: only the store knows earlier reports
        run_dir = tmp_path / run / "2021-03-15"
        steps.agents(lake_path=str(lake.root), as_of=AS_OF, run_dir=str(run_dir))
        return (run_dir / "artifacts" / "agents" / "reports.json").read_bytes()

    try:
        first = step("first")
        assert counted == Counter({name: 1 for name in runner.AGENTS})  # all five, once
        assert step("rerun") == first
        assert counted == Counter({name: 1 for name in runner.AGENTS})  # read back, not rerun
        shutil.rmtree(store)
        assert step("empty") == first  # an empty store computes them again, identically
        assert counted == Counter({name: 2 for name in runner.AGENTS})
    finally:
        shutil.rmtree(store, ignore_errors=True)  # leave the shared lake as it was

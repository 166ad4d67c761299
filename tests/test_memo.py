"""The one in-process memo of work done on lake views (issue 28, item 3): bounded per kind,
safe under threads, keyed by snapshot, and one failure semantics for agent reports."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from research_core._memo import MEMO, Kind, ViewMemo
from research_core.agents import runner
from research_core.errors import AgentDataError
from research_core.lake.store import Lake
from research_core.strategies.base import agent_position
from tests.lake.conftest import rows


@pytest.fixture
def empty() -> Iterator[None]:
    MEMO.clear()
    yield
    MEMO.clear()


def test_a_kind_keeps_its_newest_entries_up_to_its_size():
    memo, small, other = ViewMemo(), Kind[int]("small", 3), Kind[int]("other", 3)
    for i in range(5):
        memo.put(small, (i,), i * 10)
    memo.put(other, (0,), -1)
    memo.put(small, (3,), 33)  # rewritten: now the newest
    memo.put(small, (5,), 50)  # evicts (2,), the oldest written
    assert memo.keys(small) == [(4,), (3,), (5,)]
    assert [memo.get(small, (i,)) for i in range(6)] == [None, None, None, 33, 40, 50]
    assert memo.get(other, (0,)) == -1  # kinds are bounded apart


def test_threads_writing_and_reading_at_once_leave_a_bounded_consistent_memo():
    memo, kind = ViewMemo(), Kind[int]("k", 64)
    wrong: list[tuple[object, ...]] = []

    def work(t: int) -> None:
        for i in range(400):
            memo.put(kind, (t, i), t * 1000 + i)
            got = memo.get(kind, (t, i // 2))
            if got is not None and got != t * 1000 + i // 2:
                wrong.append((t, i, got))

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    keys = memo.keys(kind)
    assert not wrong and len(keys) == 64
    assert all(memo.get(kind, k) == k[0] * 1000 + k[1] for k in keys)  # type: ignore[operator]


def test_an_agent_that_cannot_run_yet_fails_once_the_same_way_for_every_caller(
    tmp_path: Path, empty: None
):
    lake = Lake.open(tmp_path / "lake", create=True)
    lake.register("TEST.A", frequency="D", units="bp")
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03 12:00"]))
    view = lake.at("2024-02-01")
    # A strategy reading the agent is flat; the runner keeps why, once, in the one memo ...
    assert agent_position(view, "fx_equilibrium", "USDBRL.FUT") == 0.0
    keys = MEMO.keys(runner.REPORTS)
    assert [k[3] for k in keys] == ["fx_equilibrium"]
    failure = MEMO.get(runner.REPORTS, keys[0])
    assert isinstance(failure, runner.NotYet) and "BRL.USD.PTAX" in failure.message
    # ... and a direct call raises that same error without running the agent again.
    with pytest.raises(AgentDataError, match=r"BRL\.USD\.PTAX has no data"):
        runner.agent_report(view, "fx_equilibrium")
    assert MEMO.keys(runner.REPORTS) == keys
    # A write makes a new snapshot: the agent runs again on what the new view sees.
    lake.write(rows("BRL.USD.PTAX", ["2024-01-02"], [5.0], ["2024-01-03 12:00"]))
    with pytest.raises(AgentDataError, match=r"CMD\.IRON\.ORE has no data"):
        runner.agent_report(lake.at("2024-02-01"), "fx_equilibrium")
    assert len(MEMO.keys(runner.REPORTS)) == 2

"""A view's shelf is one file (issue 29: a cold book spent 0.4-1 ms CPU creating a file for
each source at each date): what every source said at a date is written once, merged with
what another process kept meanwhile, and a damaged shelf is recomputed."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from research_core.agents.store import shelf, stored_reports
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.signals.sources import Outcome, collect_signals
from research_core.strategies.base import BaseStrategy, StrategyParams
from tests.lake.conftest import rows
from tests.signals.kept import keep_module_of

AS_OF = "2024-01-10"


class Sign(BaseStrategy[StrategyParams]):
    """TEST — long DI1 1y above 10 %, short below. Reference: none (counts its runs)."""

    name = "TEST_SIGN"
    family = "rates"
    instruments = ("DI1.1Y",)
    runs: ClassVar[list[str]] = []

    def positions(self, view: PITView) -> Mapping[str, float]:
        Sign.runs.append(str(view.as_of))
        return {"DI1.1Y": 0.5 if view.series("BR.DI.1Y").iloc[-1] > 10.0 else -0.5}


@pytest.fixture
def lake(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Lake:
    keep_module_of(Sign, monkeypatch)
    lake = Lake.open(tmp_path / "lake", create=True)
    days = ["2024-01-08", "2024-01-09", "2024-01-10"]
    lake.write(rows("BR.DI.1Y", days, [11.0, 11.5, 12.0], [f"{d} 21:00" for d in days]))
    Sign.runs.clear()
    return lake


def _files(store_folder: Path) -> list[Path]:
    return [p for p in store_folder.rglob("*") if p.is_file() and not p.name.startswith(".")]


def test_three_strategies_at_a_date_are_one_file_written_once(lake: Lake):
    three = {"A": Sign(), "B": Sign(vol_target=0.2), "C": Sign(vol_target=0.3)}
    with stored_reports(lake) as store:
        assert store is not None
        first = collect_signals(lake.at(AS_OF), strategies=three, agents=[])
        files = _files(store.folder)
        assert len(files) == 1  # one file for the view, not one per strategy
        again = collect_signals(lake.at(AS_OF), strategies=three, agents=[])
    assert len(Sign.runs) == 3  # the second collection read all three back
    assert again.signals == first.signals and len(first.signals) == 3
    assert again.freshness == first.freshness


def test_two_writers_of_one_view_keep_both_and_a_damaged_shelf_is_recomputed(
    lake: Lake, caplog: pytest.LogCaptureFixture
):
    with stored_reports(lake):
        one, two = shelf(lake.at(AS_OF)), shelf(lake.at(AS_OF))
        assert one is not None and two is not None
        assert one.get("x", Outcome) is None and two.get("y", Outcome) is None
        one.put("x", Outcome(freshness=0.25))
        two.put("y", Outcome(freshness=0.75))  # merged with what ``one`` wrote meanwhile
        third = shelf(lake.at(AS_OF))
        assert third is not None
        assert third.get("x", Outcome) == Outcome(freshness=0.25)
        assert third.get("y", Outcome) == Outcome(freshness=0.75)
        assert third.get("x", str) is None  # not of the kind asked for
        third.path.write_bytes(third.path.read_bytes()[:-5] + b"torn!")
        collect_signals(lake.at(AS_OF), strategies={"A": Sign()}, agents=[])
        assert "fails its checksum; recomputing" in caplog.text and len(Sign.runs) == 1
        collect_signals(lake.at(AS_OF), strategies={"A": Sign()}, agents=[])
    assert len(Sign.runs) == 1  # the recomputed shelf was written whole again


def _put_many(root: str, prefix: str, n: int) -> None:
    """A writer process: ``n`` entries put one by one on the view's shelf."""
    lake = Lake.open(root)
    with stored_reports(lake):
        kept = shelf(lake.at(AS_OF))
        assert kept is not None
        for i in range(n):
            kept.put(f"{prefix}{i}", Outcome(freshness=i / n))


def test_two_processes_writing_one_view_at_once_keep_every_entry(lake: Lake):
    """Each merge reads, updates and replaces the file under the shelves' lock: without
    it, two processes writing at once dropped about a third of each other's entries
    (review, issue 29)."""
    import multiprocessing

    fork = multiprocessing.get_context("fork")
    writers = [fork.Process(target=_put_many, args=(str(lake.root), p, 60)) for p in "ab"]
    for w in writers:
        w.start()
    for w in writers:
        w.join(60)
    assert [w.exitcode for w in writers] == [0, 0]
    with stored_reports(lake):
        kept = shelf(lake.at(AS_OF))
        assert kept is not None
        missing = [
            f"{p}{i}" for p in "ab" for i in range(60) if kept.get(f"{p}{i}", Outcome) is None
        ]
    assert missing == []


def test_the_shelf_lock_is_as_writable_as_the_shelves(lake: Lake):
    """Another user who may write the shelves may take their lock: it is created with
    the shelves' mode, 0o666 less the umask (review: flock's 0o644 left other users
    merging without it)."""
    import os
    import stat

    from research_core import _files

    old = os.umask(0o002)  # a shared lake's group-writable umask
    _files.umask.cache_clear()  # read once per process
    try:
        with stored_reports(lake):
            kept = shelf(lake.at(AS_OF))
            assert kept is not None
            kept.put("x", Outcome(freshness=0.5))
            lock = kept.path.parent / ".lock"
            modes = {stat.S_IMODE(p.stat().st_mode) for p in (lock, kept.path)}
    finally:
        os.umask(old)
        _files.umask.cache_clear()
    assert modes == {0o664}  # 0o666 & ~0o002, by hand

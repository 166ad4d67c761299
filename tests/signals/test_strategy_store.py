"""Strategy outputs kept per lake snapshot and date (issue 29, deliverable 2): a stored
outcome is reused, a revision released by the as-of recomputes it, a write after it does
not; a lake cut at the date (the causality check) never reads the store."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import pytest

from research_core._memo import MEMO
from research_core.agents import runner
from research_core.agents.store import stored_reports
from research_core.errors import InsufficientDataError
from research_core.lake.maintenance import export_as_of
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.signals.sources import collect_signals, strategy_key
from research_core.strategies.base import BaseStrategy, StrategyParams
from tests.lake.conftest import rows
from tests.signals.kept import keep_module_of

AS_OF = "2024-01-10"  # end of that day in the fund's zone (America/Sao_Paulo)


class Level(BaseStrategy[StrategyParams]):
    """TEST — long DI1 1y when the last 1y rate is above 10 %, short below. Reference: none
    (a test strategy that counts its runs)."""

    name = "TEST_LEVEL"
    family = "rates"
    instruments = ("DI1.1Y",)
    runs: ClassVar[list[str]] = []  # the as-of of every run

    def positions(self, view: PITView) -> Mapping[str, float]:
        Level.runs.append(str(view.as_of))
        rate = view.series("BR.DI.1Y").iloc[-1]
        if rate == 0.0:
            raise InsufficientDataError("TEST_LEVEL: a zero rate says nothing")
        return {"DI1.1Y": 0.5 if rate > 10.0 else -0.5}


@pytest.fixture(autouse=True)
def kept_here(monkeypatch: pytest.MonkeyPatch) -> None:
    keep_module_of(Level, monkeypatch)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    """Three daily 1y DI rates, each released at 21:00 UTC on its day."""
    lake = Lake.open(tmp_path / "lake", create=True)
    days = ["2024-01-08", "2024-01-09", "2024-01-10"]
    lake.write(rows("BR.DI.1Y", days, [11.0, 11.5, 12.0], [f"{d} 21:00" for d in days]))
    Level.runs.clear()
    return lake


def said(view: PITView, strategy: BaseStrategy) -> tuple[list[tuple[str, int, float]], float]:
    """(instrument, direction, weight) of the strategy's signals at ``view``, freshness."""
    got = collect_signals(view, strategies={"L": strategy}, agents=[])
    signals = [(s.instrument, s.direction, s.weight or 0.0) for s in got.signals]
    return signals, got.freshness.get("strategy:L", float("nan"))


def test_a_stored_outcome_is_reused_and_a_revision_by_the_as_of_recomputes_it(lake: Lake):
    strategy = Level()
    long_ = ([("DI1.1Y", 1, 0.5)], 1.0)  # 12 % > 10 %: long half a unit; quoted that day
    with stored_reports(lake):
        assert said(lake.at(AS_OF), strategy) == long_
        assert said(lake.at(AS_OF), strategy) == long_
        assert len(Level.runs) == 1  # the second view of the same snapshot read it back
        # tomorrow's rate (released after the as-of): no view up to AS_OF sees it
        lake.write(rows("BR.DI.1Y", ["2024-01-11"], [9.0], ["2024-01-11 21:00"]))
        assert said(lake.at(AS_OF), strategy) == long_
        assert len(Level.runs) == 1
        # a revision of the 10th to 9 %, released on the 10th: the as-of sees it
        lake.write(rows("BR.DI.1Y", ["2024-01-10"], [9.0], ["2024-01-10 22:00"]))
        assert said(lake.at(AS_OF), strategy) == ([("DI1.1Y", -1, -0.5)], 1.0)
        assert len(Level.runs) == 2
        # the day before does not see the revision: still its first (and only) run
        assert said(lake.at("2024-01-09"), strategy) == ([("DI1.1Y", 1, 0.5)], 1.0)
        assert said(lake.at("2024-01-09"), strategy) == ([("DI1.1Y", 1, 0.5)], 1.0)
        assert len(Level.runs) == 3
        # other parameters are another strategy: computed, not read
        said(lake.at(AS_OF), Level(vol_target=0.2))
        assert len(Level.runs) == 4
    said(lake.at(AS_OF), strategy)  # no store in use: computed
    assert len(Level.runs) == 5


def test_a_skipped_strategy_is_kept_with_its_reason(lake: Lake):
    lake.write(rows("BR.DI.1Y", ["2024-01-10"], [0.0], ["2024-01-10 22:00"]))
    with stored_reports(lake):
        for _ in range(2):
            got = collect_signals(lake.at(AS_OF), strategies={"L": Level()}, agents=[])
            assert got.skipped == {"strategy:L": "TEST_LEVEL: a zero rate says nothing"}
            assert got.signals == () and "strategy:L" not in got.freshness
    assert len(Level.runs) == 1


def test_a_lake_cut_at_the_date_recomputes(lake: Lake, tmp_path: Path):
    """The causality check decides again on a copy of the lake cut at the date: with the
    original lake's store in use (as in the book backtest), the copy never reads it."""
    strategy = Level()
    cut = export_as_of(lake, AS_OF, tmp_path / "cut")
    with stored_reports(lake):
        assert said(lake.at(AS_OF), strategy) == said(cut.at(AS_OF), strategy)
        said(cut.at(AS_OF), strategy)
    assert len(Level.runs) == 3


def test_a_strategy_without_a_source_file_is_not_kept():
    cell_code = "class Cell(BaseStrategy):\n    def positions(self, view):\n        return {}\n"
    namespace: dict[str, object] = {"BaseStrategy": BaseStrategy, "__name__": "a_cell"}
    exec(cell_code, namespace)  # as a notebook defines it: its module has no file
    cell = namespace["Cell"]
    assert isinstance(cell, type)
    assert strategy_key(cell.__new__(cell)) is None  # a notebook cell's class: no file
    key = strategy_key(Level())
    assert key is not None and key.startswith("strategy.TEST_LEVEL,")
    assert key != strategy_key(Level(vol_target=0.2))


def test_what_an_agent_said_is_read_back_without_its_report(sample_lake_path: Path, tmp_path: Path):
    """The agents' part of collect_signals is kept too (signals and freshness, small): a
    second run on the same snapshot reads it without reading or running the report."""
    cut = export_as_of(Lake.open(sample_lake_path), "2016-06-30", tmp_path / "cut")
    view = cut.at("2016-06-30")
    MEMO.clear()
    alone = collect_signals(view, strategies={}, agents=["fiscal"])  # no store in use
    MEMO.clear()
    with stored_reports(cut):
        first = collect_signals(view, strategies={}, agents=["fiscal"])
        assert [k[3] for k in MEMO.keys(runner.REPORTS)] == ["fiscal"]  # computed
        MEMO.clear()
        again = collect_signals(cut.at("2016-06-30"), strategies={}, agents=["fiscal"])
        assert list(MEMO.keys(runner.REPORTS)) == []  # neither read nor run
    MEMO.clear()
    assert again.signals == first.signals == alone.signals and len(alone.signals) > 0
    assert again.freshness == first.freshness == alone.freshness
    assert list(again.freshness) == ["agent:fiscal"]

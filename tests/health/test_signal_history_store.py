"""The meta-model's signal history reads the strategy's positions at each rebalance from its
outcome kept in the lake's store (issue 29, deliverable 2): a second history on the same
snapshot runs the strategy at no date, and both equal the positions a direct
``generate_signals`` gives (and the hand-computed ones); a date where the strategy lacks
data raises its own error, computed or read back."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest

from research_core.errors import InsufficientDataError
from research_core.health.meta import signal_history
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.lake.vintage import view_at
from research_core.strategies.base import BaseStrategy, StrategyParams
from tests.health.smalllake import rows
from tests.signals.kept import keep_module_of

DAYS = pd.bdate_range("2024-01-02", "2024-03-29")  # weekdays, Jan–Mar 2024
# the 1y rate: 11 % in January, 9 % in February, 10.5 % in March (zero: no print yet)
RATE = np.select([DAYS.month == 1, DAYS.month == 2], [11.0, 9.0], 10.5)


class Level(BaseStrategy[StrategyParams]):
    """TEST — long DI1 1y when the last 1y rate is above 10 %, short below; flat until it
    has six prints. Reference: none (a test strategy that counts its runs)."""

    name = "TEST_LEVEL_HEALTH"
    family = "rates"
    instruments = ("DI1.1Y", "DI1.2Y")
    runs: ClassVar[list[str]] = []

    def positions(self, view: PITView) -> Mapping[str, float]:
        Level.runs.append(f"{view.as_of.tz_convert('America/Sao_Paulo'):%Y-%m-%d}")
        rate = view.series("BR.DI.1Y")
        if rate.iloc[-1] == 0.0:
            raise InsufficientDataError("TEST_LEVEL_HEALTH: a zero rate says nothing")
        side = 0.5 if rate.iloc[-1] > 10.0 else -0.5
        return {"DI1.1Y": side * (len(rate) > 5), "DI1.2Y": 0.0}


@pytest.fixture(autouse=True)
def kept_here(monkeypatch: pytest.MonkeyPatch) -> None:
    keep_module_of(Level, monkeypatch)


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake.open(tmp_path / "lake", create=True)
    lake.write(rows("BR.CDI", [0.0] * len(DAYS), DAYS))
    lake.write(rows("BR.DI.1Y", list(RATE), DAYS))
    lake.write(rows("BR.DI.2Y", [10.0] * len(DAYS), DAYS))
    Level.runs.clear()
    return lake


def test_a_second_history_reads_every_position_from_the_store(lake: Lake):
    strategy = Level()
    first = signal_history(strategy, lake, "2024-01-03", "2024-03-29")
    dates = first.signals.index
    assert len(Level.runs) == len(dates)  # once per rebalance (Fridays and the last day)
    # By hand: flat the first week (five prints or fewer), then long in January (11 %),
    # short in February (9 %), long in March (10.5 %); DI1.2Y always flat.
    side = np.select([dates.month == 1, dates.month == 2], [0.5, -0.5], 0.5)
    side[dates <= "2024-01-08"] = 0.0
    expected = pd.DataFrame({"DI1.1Y": side, "DI1.2Y": 0.0}, index=dates)
    pd.testing.assert_frame_equal(first.signals, expected, check_exact=True)
    # the positions a direct call gives at each date (the earlier code path)
    direct = [strategy.generate_signals(view_at(lake, d)).to_numpy() for d in dates]
    runs = len(Level.runs)
    assert np.array_equal(first.signals.to_numpy(), np.vstack(direct))
    again = signal_history(strategy, lake, "2024-01-03", "2024-03-29")
    assert len(Level.runs) == runs  # read back: the strategy ran at no date
    pd.testing.assert_frame_equal(again.signals, first.signals, check_exact=True)
    pd.testing.assert_frame_equal(again.prices, first.prices, check_exact=True)


def test_a_date_without_data_raises_the_strategys_own_error_computed_or_read(lake: Lake):
    late = DAYS[DAYS > "2024-02-15"]
    lake.write(rows("BR.DI.1Y", [0.0] * len(late), late, released="22:00"))  # revised to 0
    strategy = Level()
    for _ in range(2):  # computed, then the stored skip read back
        with pytest.raises(InsufficientDataError, match="a zero rate says nothing"):
            signal_history(strategy, lake, "2024-01-03", "2024-03-29")
    # Counted by hand: the weekly rebalances from 2024-01-03 are the Fridays 5, 12, 19, 26
    # Jan, 2, 9, 16 Feb. The first history ran the six before the skip, kept them, and ran
    # the 16th twice (its outcome, kept as skipped, then again to raise); the second read
    # the six back and ran only the 16th, to raise.
    assert Level.runs[6:] == ["2024-02-16"] * 3 and len(Level.runs) == 9

"""strategy_signals reads a strategy's risk units from its array (issue 29: a Series per
strategy and date cost more than many strategies' positions), except when the strategy
overrides ``generate_signals``: then its override decides, as before."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd

from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.signals.sources import strategy_signals
from research_core.strategies.base import BaseStrategy, StrategyParams

AS_OF = "2024-01-10"


class Plain(BaseStrategy[StrategyParams]):
    """TEST — fixed positions. Reference: none."""

    name = "TEST_PLAIN"
    family = "rates"
    instruments = ("DI1.1Y", "DI1.2Y", "DI1.5Y")

    def positions(self, view: PITView) -> Mapping[str, float]:
        return {"DI1.1Y": 0.25, "DI1.5Y": -3.0}  # DI1.2Y flat; -3 clips to -1


class Overridden(Plain):
    """TEST — fixed positions, its own generate_signals. Reference: none."""

    def generate_signals(self, view: PITView) -> pd.Series:
        return pd.Series({"DI1.2Y": 0.5}, name=self.name)


def test_the_array_path_and_an_override(tmp_path) -> None:
    view = Lake.open(tmp_path / "lake", create=True).at(AS_OF)
    got = [
        (s.instrument, s.direction, s.strength, s.weight) for s in strategy_signals(view, Plain())
    ]
    assert got == [("DI1.1Y", 1, 0.5, 0.25), ("DI1.5Y", -1, 2.0, -1.0)]  # by hand: 2 x |u|
    assert all(type(s.weight) is float for s in strategy_signals(view, Plain()))
    mine = [(s.instrument, s.weight) for s in strategy_signals(view, Overridden())]
    assert mine == [("DI1.2Y", 0.5)]

"""``latest_values`` on a vintage view gives the latest period at that view's vintage, as
``latest`` and ``series`` do (review of issue 29: it gave the as-of vintage, so a
first-release backtest of a strategy reading ``latest_values``, the curve trades, saw
revised values). Expected values by hand from the writes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from research_core.lake.store import Lake
from research_core.lake.vintage import VintageView
from tests.lake.conftest import rows

DAY = pd.Timestamp("2024-01-02").value  # the one period, int64 ns


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    """TEST.A 2024-01-02: first 1.0 (released the 3rd), revised to 1.5 (the 10th)."""
    lake = Lake.open(tmp_path / "lake", create=True)
    lake.register("TEST.A", frequency="D", units="bp")
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03 12:00"]))
    lake.write(rows("TEST.A", ["2024-01-02"], [1.5], ["2024-01-10 12:00"]))
    return lake


@pytest.mark.parametrize(
    ("vintage", "as_of", "want"),
    [
        ("first_release", "2024-01-11", 1.0),  # revised by then; its first value is 1.0
        ("latest", "2024-01-05", 1.5),  # not revised by then; its newest value is 1.5
    ],
)
def test_latest_values_follow_the_views_vintage(lake: Lake, vintage: str, as_of: str, want):
    view = VintageView(lake.reader(), pd.Timestamp(as_of, tz="UTC"), vintage)  # type: ignore[arg-type]
    obs, values = view.latest_values(["TEST.A"])
    assert obs.tolist() == [DAY] and values.tolist() == [want]
    assert view.latest(["TEST.A"])["value"].tolist() == [want]
    assert view.series("TEST.A").tolist() == [want]

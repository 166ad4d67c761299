"""``PITView.series`` and ``values`` read arrays straight from the rows a view selects
(issue 29: no frame built per read); each vintage's view answers by its own rule."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.lake.store import Lake
from research_core.lake.vintage import VintageView
from tests.lake.conftest import rows


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    """TEST.A: 2024-01-02 first 1.0 (released the 3rd), revised to 1.5 (the 10th);
    2024-01-03 is 2.0 (the 4th)."""
    lake = Lake.open(tmp_path / "lake", create=True)
    lake.register("TEST.A", frequency="D", units="bp")
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03 12:00"]))
    lake.write(rows("TEST.A", ["2024-01-03"], [2.0], ["2024-01-04 12:00"]))
    lake.write(rows("TEST.A", ["2024-01-02"], [1.5], ["2024-01-10 12:00"]))
    return lake


@pytest.mark.parametrize(
    ("vintage", "as_of", "want"),
    [  # by hand from the fixture's three writes
        ("as_of", "2024-01-05 00:00", [1.0, 2.0]),
        ("as_of", "2024-01-11 00:00", [1.5, 2.0]),
        ("first_release", "2024-01-11 00:00", [1.0, 2.0]),
        ("latest", "2024-01-05 00:00", [1.5, 2.0]),  # revisions of periods known then
    ],
)
def test_series_and_values_follow_each_vintage(lake: Lake, vintage: str, as_of: str, want):
    stamp = pd.Timestamp(as_of, tz="UTC")
    view = lake.at(stamp) if vintage == "as_of" else VintageView(lake.reader(), stamp, vintage)  # type: ignore[arg-type]
    days = pd.DatetimeIndex(["2024-01-02", "2024-01-03"], name="obs_date").as_unit("ns")
    pd.testing.assert_series_equal(
        view.series("TEST.A"), pd.Series(want, index=days, name="TEST.A"), check_exact=True
    )
    obs, values = view.values("TEST.A")
    assert obs.tolist() == days.asi8.tolist() and values.tolist() == want
    assert np.array_equal(view.history("TEST.A")["value"].to_numpy(), values)

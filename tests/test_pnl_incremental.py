"""Unit histories extended from one view to the next (issue 29, item 3): the same numbers,
bit for bit, as a build from nothing, revisions seen, each series read once per call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core import pnl
from research_core._memo import MEMO
from research_core.catalog import instruments
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from tests.lake.conftest import rows


@pytest.fixture
def fresh() -> Iterator[None]:
    """No unit built before the test (and none left behind)."""
    MEMO.clear()
    yield
    MEMO.clear()


def _levels(view: PITView, ids: list[str], incremental: bool) -> dict[str, pd.Series]:
    """Each instrument's compounded unit return at ``view`` (those priced by then)."""
    pnl.INCREMENTAL = incremental
    if not incremental:
        MEMO.clear()
    try:
        return {i: pnl._base_level(view, i) for i in ids if _priced(view, i)}
    finally:
        pnl.INCREMENTAL = True


def _priced(view: PITView, iid: str) -> bool:
    return len(view.series(pnl.instrument(iid).price_series)) >= 2


def test_extended_units_equal_units_built_from_nothing(sample_lake_path: Path, fresh: None):
    # Weekly views forward, then back to an earlier date and forward again: every unit of
    # every instrument is the same array, bit for bit, as a build from nothing at that view.
    lake = Lake.open(sample_lake_path)
    ids = list(instruments())
    days = [*pd.date_range("2013-11-29", "2014-01-31", freq="W-FRI"), pd.Timestamp("2012-06-29")]
    days += [pd.Timestamp("2012-07-06"), pd.Timestamp("2020-03-31")]
    for day in days:
        view = lake.at(day)
        extended = _levels(view, ids, incremental=True)
        cold = _levels(view, ids, incremental=False)
        assert extended.keys() == cold.keys() and len(cold) >= 15
        for iid, level in cold.items():
            assert extended[iid].index.equals(level.index), (iid, day)
            assert np.array_equal(extended[iid].to_numpy(), level.to_numpy(), equal_nan=True)
        carries = {i: pnl.carry(view, i) for i in cold}
        MEMO.clear()  # carry() from a unit and carry() alone agree
        assert carries == {i: pnl.carry(view, i) for i in cold}


def test_a_revision_after_the_last_view_is_seen_when_the_unit_is_extended(
    tmp_path: Path, fresh: None
):
    # ES.FUT is the S&P 500 in USD, translated to BRL at each day's USD/BRL. By hand (the
    # convention of tests/risk/test_instrument_pnl.py): the BRL return from day t-1 to t is
    # (S_t / S_(t-1) - 1) * X_t / X_(t-1); the first step has no USD/BRL before it: 0.
    lake = Lake.open(tmp_path / "lake", create=True)
    days = ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-05", "2024-01-08"]
    released = [f"{d} 22:00" for d in days]
    lake.write(rows("US.SPX", days[:3], [100.0, 102.0, 99.0], released[:3], "sample"))
    lake.write(rows("BRL.USD.SPOT", days[:3], [5.0, 5.1, 5.0], released[:3], "sample"))
    first = pnl._base_level(lake.at("2024-01-04"), "ES.FUT")
    assert first.tolist() == pytest.approx([1.0, 1 + (99 / 102 - 1) * 5.0 / 5.1], rel=1e-15)
    # Two more days, and a revision of 2024-01-03's close (102 -> 101) released on the 5th.
    lake.write(rows("US.SPX", days[3:], [100.0, 103.0], released[3:], "sample"))
    lake.write(rows("BRL.USD.SPOT", days[3:], [5.2, 5.2], released[3:], "sample"))
    lake.write(rows("US.SPX", [days[1]], [101.0], ["2024-01-05 12:00"], "sample"))
    later = pnl._base_level(lake.at("2024-01-08"), "ES.FUT")  # extends the unit above
    steps = [0.0, (99 / 101 - 1) * 5.0 / 5.1, (100 / 99 - 1) * 5.2 / 5.0, 103 / 100 - 1]
    assert later.to_numpy() == pytest.approx(np.cumprod(1 + np.array(steps)), rel=1e-14)
    assert later.index.equals(pd.DatetimeIndex(days[1:], name="obs_date"))
    MEMO.clear()
    assert np.array_equal(pnl._base_level(lake.at("2024-01-08"), "ES.FUT").to_numpy(), later)
    # As of the 4th the revision (released on the 5th) is not known: 102, extended back.
    again = pnl._base_level(lake.at("2024-01-04"), "ES.FUT")
    assert again.tolist() == pytest.approx([1.0, 1 + (99 / 102 - 1) * 5.0 / 5.1], rel=1e-15)


class CountingView:
    """A real view that counts the series read through it."""

    def __init__(self, view: PITView) -> None:
        self.view, self.reads, self.passes = view, [], 0

    def series(self, series_id: str) -> pd.Series:
        self.reads.append(series_id)
        return self.view.series(series_id)

    def values(self, series_id: str) -> tuple[np.ndarray, np.ndarray]:
        self.reads.append(series_id)
        return self.view.values(series_id)

    def history_arrays(self, series_ids: list[str]) -> list[tuple[np.ndarray, ...]]:
        self.reads.extend(series_ids)
        self.passes += 1
        return self.view.history_arrays(series_ids)

    def marked_arrays(self, series_ids: list[str]) -> object:
        self.reads.extend(series_ids)
        self.passes += 1
        return self.view.marked_arrays(series_ids)

    def __getattr__(self, name: str) -> object:
        return getattr(self.view, name)


def test_unit_index_reads_each_series_once(sample_lake_path: Path, fresh: None):
    # Four DI tenors share the CDI and each other's quotes as roll-down points: read once,
    # all in one pass over the lake (a weekly decision pays one pass, not one per series).
    view = CountingView(Lake.open(sample_lake_path).at("2024-06-28"))
    ids = ["DI1.1Y", "DI1.2Y", "DI1.3Y", "DI1.5Y"]
    index = pnl.unit_index(view, ids, "2023-06-01")  # type: ignore[arg-type]
    assert list(index.columns) == ids and (index.iloc[0] == 1.0).all()
    assert sorted(view.reads) == sorted(set(view.reads)) and "BR.CDI" in view.reads
    pillars = {f"BR.DI.{t}" for t in ("3M", "6M", "1Y", "2Y", "3Y", "5Y")}
    assert view.passes == 1 and set(view.reads) == {"BR.CDI", *pillars}

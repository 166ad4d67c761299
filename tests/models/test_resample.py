"""``weekly_last`` is ``resample("W-FRI").last()`` without the resampler's per-week Python
loop (#29): the expected values are pandas' own resampler (the peer) or written by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.agents._features import monthly
from research_core.models.resample import weekly_last


def _peer(data):
    return data.resample("W-FRI").last()


def test_hand_built_weeks_with_a_gap_and_a_missing_friday():
    # Mon 2024-01-01 .. : week to Fri 01-05 holds 1, 2 (NaN on Fri is skipped: last seen 2);
    # week to 01-12 is empty; week to 01-19 holds Sat 01-13 (4) and Thu 01-18 (5)
    index = pd.to_datetime(["2024-01-01", "2024-01-04", "2024-01-05", "2024-01-13", "2024-01-18"])
    series = pd.Series([1.0, 2.0, np.nan, 4.0, 5.0], index=index, name="x")
    out = weekly_last(series)
    expected = pd.Series(
        [2.0, np.nan, 5.0],
        index=pd.DatetimeIndex(["2024-01-05", "2024-01-12", "2024-01-19"], freq="W-FRI"),
        name="x",
    )
    pd.testing.assert_series_equal(out, expected)


@pytest.mark.parametrize("unit", ["ns", "us"])
def test_same_as_pandas_on_an_irregular_daily_frame(unit):
    rng = np.random.default_rng(29)
    days = pd.date_range("2009-12-30", "2026-10-30", freq="D").as_unit(unit)
    days = days[rng.random(len(days)) < 0.6]  # holidays, weekends, whole weeks missing
    data = pd.DataFrame(rng.normal(size=(len(days), 2)), index=days, columns=["a", "b"])
    data[data > 1.5] = np.nan
    pd.testing.assert_frame_equal(weekly_last(data), _peer(data))
    pd.testing.assert_series_equal(weekly_last(data["a"]), _peer(data["a"]))


def test_one_point_empty_and_tz_aware_fall_back_to_pandas():
    one = pd.Series([3.0], index=pd.DatetimeIndex(["2026-10-31"]))  # a Saturday
    pd.testing.assert_series_equal(weekly_last(one), _peer(one))
    assert weekly_last(one).index[0] == pd.Timestamp("2026-11-06")  # the next Friday
    empty = pd.Series([], index=pd.DatetimeIndex([]), dtype=float)
    pd.testing.assert_series_equal(weekly_last(empty), _peer(empty))
    aware = pd.Series([1.0, 2.0], index=pd.date_range("2026-10-01", periods=2, tz="UTC"))
    pd.testing.assert_series_equal(weekly_last(aware), _peer(aware))


def test_unsorted_dates_take_the_last_by_date_as_pandas():
    # Friday 2024-01-05 then Wednesday 2024-01-03, stored out of date order: the week's last
    # value by date is Friday's 0.0 (pandas' resample sorts; file order would give 1.0)
    s = pd.Series([0.0, 1.0], pd.DatetimeIndex(["2024-01-05", "2024-01-03"]))
    assert weekly_last(s).tolist() == [0.0]
    assert monthly(s, how="last").tolist() == [0.0]

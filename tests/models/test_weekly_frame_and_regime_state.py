"""The cross-asset agent's cheaper paths (#29): ``weekly_last_frame`` places each series'
last value of each week on the week grid instead of building the daily union (expected:
written by hand, or pandas' resampler on the concatenated frame, the peer), and a regime's
duration and current state are read off arrays (expected: 1 / (1 - p_ii) by hand)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.models.regimes import RegimeResult
from research_core.models.resample import weekly_last_frame


def _peer(columns: dict[str, pd.Series]) -> pd.DataFrame:
    return pd.concat(columns, axis=1, sort=True).resample("W-FRI").last()


def test_hand_built_two_series_with_a_gap_week_and_a_missing_value() -> None:
    # a: Mon 01-01 = 1, Fri 01-05 = NaN (skipped: the week's last seen is 1), Thu 01-18 = 3
    # b: Tue 01-09 = 10, Fri 01-12 = 11; no value of either in the week to 01-19 for b
    a = pd.Series(
        [1.0, np.nan, 3.0], index=pd.to_datetime(["2024-01-01", "2024-01-05", "2024-01-18"])
    )
    b = pd.Series([10.0, 11.0], index=pd.to_datetime(["2024-01-09", "2024-01-12"]))
    out = weekly_last_frame({"a": a, "b": b})
    expected = pd.DataFrame(
        {"a": [1.0, np.nan, 3.0], "b": [np.nan, 11.0, np.nan]},
        index=pd.DatetimeIndex(["2024-01-05", "2024-01-12", "2024-01-19"], freq="W-FRI"),
    )
    pd.testing.assert_frame_equal(out, expected)


@pytest.mark.parametrize("unit", ["ns", "us"])
def test_same_as_pandas_on_series_of_different_spans(unit: str) -> None:
    rng = np.random.default_rng(29)
    columns = {}
    for name, start, end in (("x", "2005-03-02", "2026-10-30"), ("y", "2008-07-15", "2024-01-09")):
        days = pd.date_range(start, end, freq="D", name="obs_date").as_unit(unit)
        days = days[rng.random(len(days)) < 0.6]  # holidays, weekends, whole weeks missing
        values = rng.normal(size=len(days))
        values[values > 1.5] = np.nan
        columns[name] = pd.Series(values, index=days)
    pd.testing.assert_frame_equal(weekly_last_frame(columns), _peer(columns))


def test_what_the_grid_cannot_take_goes_through_pandas() -> None:
    days = pd.date_range("2024-01-01", periods=40, freq="D")
    values = np.arange(40.0)
    cases = [
        {"a": pd.Series(values, index=days[::-1]), "b": pd.Series(values, index=days)},  # unsorted
        {"a": pd.Series(values, index=days.rename("d")), "b": pd.Series(values, index=days)},
        {"a": pd.Series(np.nan, index=days), "b": pd.Series(values, index=days)},  # no value
    ]
    for columns in cases:
        pd.testing.assert_frame_equal(weekly_last_frame(columns), _peer(columns))


def test_regime_duration_and_current_state_by_hand() -> None:
    labels = ["calm", "storm"]
    result = RegimeResult(
        "hmm",
        pd.DataFrame([[0.2, 0.8], [0.7, 0.3]], columns=labels),
        pd.DataFrame(np.zeros((2, 1)), index=labels),
        pd.DataFrame([[0.9, 0.1], [0.25, 0.75]], index=labels, columns=labels),
        0.0,
        True,
    )
    assert result.current == "calm" and result.current_probability == 0.7
    assert result.duration("calm") == pytest.approx(10.0)  # 1 / (1 - 0.9)
    assert result.duration("storm") == pytest.approx(4.0)  # 1 / (1 - 0.75)

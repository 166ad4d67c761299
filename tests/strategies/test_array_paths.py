"""The strategies' array paths against the pandas expressions they replace (issue 29).

pandas is the independent reference here: each test builds the Series the old code built
(index, alignment, ``dropna``, ``resample``) from hand-written rows and checks the array
helper gives the same numbers, bit for bit, including the awkward alignments (dates one
series lacks, NaN values, a series that starts before or ends after the other).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.models.resample import week_lasts
from research_core.models.scores import zscore_last
from research_core.signals.aggregate import PROVENANCE, aggregate
from research_core.strategies._market import dropped, on_common_dates
from research_core.strategies.base import trend_z
from research_core.strategies.inflation import weekly_gap
from tests.signals.test_aggregate import sig


def _arrays(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    return s.index.as_unit("ns").asi8, s.to_numpy(dtype=float)  # a view's reads: ns


def _series(dates: list[str], values: list[float]) -> pd.Series:
    return pd.Series(values, index=pd.DatetimeIndex(dates, name="obs_date"), dtype=float)


A = _series(
    ["2024-01-02", "2024-01-03", "2024-01-04", "2024-01-08", "2024-01-09"],
    [10.0, 10.25, np.nan, 10.5, 10.75],
)
B = _series(["2024-01-03", "2024-01-04", "2024-01-05", "2024-01-09"], [3.0, 3.5, 4.0, 4.5])
C = _series(["2024-01-02", "2024-01-03", "2024-01-09", "2024-01-10"], [100.0, 150.0, 50.0, 60.0])


def test_values_on_common_dates_give_the_aligned_expression_of_the_series():
    a, b, c = on_common_dates([_arrays(A), _arrays(B), _arrays(C)])
    got = dropped(a - b - c / 100)
    want = (A - B - C / 100).dropna().to_numpy()  # pandas aligns on the union, NaN dropped
    assert got.tobytes() == want.tobytes()
    assert list(got) == [10.25 - 3.0 - 1.5, 10.75 - 4.5 - 0.5]  # by hand: 2024-01-03, 01-09


def test_one_calendar_is_read_as_it_is():
    a, b = on_common_dates([_arrays(B), _arrays(B * 2)])
    assert (a - b).tolist() == (B - B * 2).tolist() == [-3.0, -3.5, -4.0, -4.5]


def test_scores_on_values_are_the_scores_on_the_series():
    rng = np.random.default_rng(7)
    s = _series(list(pd.bdate_range("2020-01-01", periods=300).astype(str)), rng.normal(size=300))
    s.iloc[[5, 50, 299]] = np.nan
    tail = s.dropna().iloc[-120:]  # pandas: the last 120 known values, the last one's z
    want = (tail.iloc[-1] - tail.mean()) / tail.std()
    assert zscore_last(s.to_numpy(), 120) == pytest.approx(want, rel=1e-12)
    logs = np.log(s.abs()).dropna()  # the 21-step change over sd(diff, last 252) * sqrt(21)
    want = (logs.iloc[-1] - logs.iloc[-22]) / (logs.diff().iloc[-252:].std() * np.sqrt(21))
    assert trend_z(np.log(s.abs().to_numpy()), 21) == pytest.approx(want, rel=1e-12)


def _weekly(series: pd.Series) -> pd.Series:
    return series.resample("W-FRI").last()  # pandas' own weeks, not the code under test


def test_weekly_gap_is_the_breakeven_less_the_focus_carried_over_its_weeks():
    # Focus starts two weeks before the breakeven (those weeks must not be carried in),
    # skips a week, and stops before the breakeven does; the breakeven has an empty week
    # and a NaN print.
    be = _series(
        ["2024-01-15", "2024-01-19", "2024-01-23", "2024-02-05", "2024-02-06", "2024-02-14"],
        [5.0, 5.25, np.nan, 5.5, 5.75, 6.0],
    )
    focus = _series(
        ["2024-01-03", "2024-01-10", "2024-01-24", "2024-02-07"], [4.0, 4.1, 4.2, np.nan]
    )
    be_w, focus_w = _weekly(be), _weekly(focus)
    want = (be_w - focus_w.reindex(be_w.index).ffill()).dropna().to_numpy()
    got = weekly_gap(_arrays(be), _arrays(focus))
    assert got.tobytes() == want.tobytes()
    # by hand: week to 01-19: 5.25 less nothing known inside the breakeven's weeks (the
    # 01-10 print is before them) -> dropped; week to 01-26: no breakeven value; week to
    # 02-09: 5.75 - 4.2 (carried from 01-24); week to 02-16: 6.0 - 4.2
    assert got.tolist() == [5.75 - 4.2, 6.0 - 4.2]


def test_weekly_gap_of_empty_series_is_empty():
    empty = _series([], [])
    assert len(weekly_gap(_arrays(empty), _arrays(B))) == 0
    assert len(weekly_gap(_arrays(B), _arrays(empty))) == 0
    weeks, last = week_lasts(*_arrays(empty))
    assert len(weeks) == len(last) == 0


def test_aggregate_provenance_is_the_frame_of_its_rows():
    sigs = [
        sig("strategy:A", "DI1.2Y", 1, 1.5, 0.5),
        sig("agent:x", "DI1.2Y", -1, 0.5, 0.8),
        sig("strategy:B", "USDBRL.FUT", 1, 4.0, 0.5),
    ]
    prov = aggregate(sigs, freshness={"agent:x": 0.5}).provenance
    rows = [  # by hand: weight = confidence x freshness; strength capped at 3
        ("DI1.2Y", "strategy:A", 1, 1.5, 0.5, 1.0, 0.5),
        ("DI1.2Y", "agent:x", -1, 0.5, 0.8, 0.5, 0.4),
        ("USDBRL.FUT", "strategy:B", 1, 3.0, 0.5, 1.0, 0.5),
    ]
    want = pd.DataFrame(rows, columns=list(PROVENANCE))
    want["contribution"] = [0.5 * 1.5 / 0.9, 0.4 * -0.5 / 0.9, 3.0]
    pd.testing.assert_frame_equal(prov, want, check_exact=False, rtol=1e-15)
    assert prov.dtypes.tolist() == want.dtypes.tolist()

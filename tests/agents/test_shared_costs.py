"""What every agent pays per date, made cheaper (issue 29) and still the same: the view's
arrays instead of a history frame per series, staleness from the periods alone, and
monthly sampling by month number instead of a resampler."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.agents import AGENTS
from research_core.agents._features import monthly, weekly_returns
from research_core.lake.quality import staleness
from research_core.lake.store import Lake
from tests.lake.conftest import rows


@pytest.fixture
def small(tmp_path: Path) -> Lake:
    """TEST.A: 2024-01-02 is 1.0 (released the 3rd) then withdrawn (NaN, the 8th);
    2024-01-03 is 2.0 (the 4th), revised to 2.5 (the 10th)."""
    lake = Lake.open(tmp_path / "lake", create=True)
    lake.register("TEST.A", frequency="D", units="bp")
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03 12:00"]))
    lake.write(rows("TEST.A", ["2024-01-03"], [2.0], ["2024-01-04 12:00"]))
    withdrawal = rows("TEST.A", ["2024-01-02"], [np.nan], ["2024-01-08 12:00"])
    lake.write(withdrawal.assign(withdrawn=True))
    lake.write(rows("TEST.A", ["2024-01-03"], [2.5], ["2024-01-10 12:00"]))
    return lake


@pytest.mark.parametrize(
    ("as_of", "days", "values", "released"),
    [  # by hand from the fixture's four writes
        ("2024-01-05 00:00", ["2024-01-02", "2024-01-03"], [1.0, 2.0], ["01-03", "01-04"]),
        ("2024-01-09 00:00", ["2024-01-03"], [2.0], ["01-04"]),  # 01-02 withdrawn
        ("2024-01-11 00:00", ["2024-01-03"], [2.5], ["01-10"]),
    ],
)
def test_history_arrays_are_the_history(small: Lake, as_of, days, values, released) -> None:
    view = small.at(pd.Timestamp(as_of, tz="UTC"))
    ((obs, value, release),) = view.history_arrays(["TEST.A"])
    assert obs.dtype == np.dtype("datetime64[ns]")
    assert pd.DatetimeIndex(obs).equals(pd.DatetimeIndex(days))
    assert value.tolist() == values
    want = [pd.Timestamp(f"2024-{d} 12:00", tz="UTC").value for d in released]
    assert release.tolist() == want
    frame = view.history("TEST.A")
    assert release.tolist() == pd.DatetimeIndex(frame["release_time"]).as_unit("ns").asi8.tolist()


@pytest.mark.parametrize("as_of", ["2014-03-31", "2026-10-30"])
def test_agent_load_is_the_frame_path(sample_lake_path: Path, as_of: str) -> None:
    """Every declared series and input row of every agent, against the history frames
    and the staleness rule read off them (the path ``Agent.load`` took before)."""
    view = Lake.open(sample_lake_path).at(as_of)
    for name in AGENTS:
        agent = AGENTS[name]()
        data, inputs = agent.load(view, [])
        expected = []
        for sid in (*agent.required, *agent.optional):
            hist = view.history(sid)
            if hist.empty:
                assert sid not in data
                continue
            pd.testing.assert_series_equal(data[sid], hist["value"].rename(sid), check_exact=True)
            last = hist.iloc[-1]
            stale = bool(staleness(view.spec(sid), hist, view.as_of))
            age = int((view.as_of - last["release_time"]).days)
            expected.append([sid, hist.index[-1], last["release_time"], last["value"], age, stale])
        want = pd.DataFrame(expected, columns=list(inputs.columns))
        inputs = inputs.loc[inputs["series_id"].isin(want["series_id"])].reset_index(drop=True)
        pd.testing.assert_frame_equal(inputs, want, check_exact=True)


def test_staleness_from_the_periods_alone(sample_lake_path: Path) -> None:
    view = Lake.open(sample_lake_path).at("2026-10-30")
    found = 0
    for sid in ("BR.IPCA.MOM", "BR.SELIC.TARGET", "US.GDP.QOQ", "BRL.USD.PTAX"):
        hist = view.history(sid)
        late = hist["release_time"].max() + pd.Timedelta(days=200)
        for when in (view.as_of, late):
            by_periods = staleness(view.spec(sid), hist.index, when)
            assert by_periods == staleness(view.spec(sid), hist, when)
            found += len(by_periods)
    assert found >= 4  # 200 days after its last release every one of them is overdue


def test_monthly_is_pandas_resample() -> None:
    rng = np.random.default_rng(5)
    days = pd.bdate_range("2010-01-01", "2014-12-31", name="obs_date")
    series = pd.Series(rng.normal(100, 30, len(days)), index=days, name="x")
    gappy = series.where(rng.random(len(series)) > 0.2).drop(series.loc["2012-06"].index)
    first_empty = series.where(series.index.year > 2010)  # 2010's months all NaN
    last_gone = series.where(series.index.year < 2014)
    for s in (series, gappy, first_empty, last_gone, series.iloc[:0], series * np.nan):
        for how in ("mean", "last"):
            grouped = s.resample("MS")
            want = (grouped.mean() if how == "mean" else grouped.last()).dropna()
            got = monthly(s, how)
            pd.testing.assert_series_equal(got, want, check_exact=True, check_freq=True)


def test_weekly_returns_are_pandas_resample() -> None:
    """Friday-to-Friday returns by week number, against ``resample("W-FRI").last()``: a
    daily series with a five-week hole (its weeks are dropped, not bridged) beside a
    weekly one."""
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2015-01-05", "2019-12-31", name="obs_date")
    daily = pd.Series(np.exp(rng.normal(0, 0.01, len(days)).cumsum()), index=days)
    daily = daily.drop(days[200:225])
    fridays = pd.date_range("2015-01-09", "2019-12-27", freq="W-FRI", name="obs_date")
    weekly = pd.Series(np.exp(rng.normal(0, 0.02, len(fridays)).cumsum()), index=fridays)
    prices = {"a": daily, "b": weekly}
    for log in (True, False):
        frame = pd.concat(prices, axis=1, sort=True).resample("W-FRI").last()
        want = (frame.apply(np.log).diff() if log else frame.diff()).dropna()
        got = weekly_returns(prices, log=log)
        pd.testing.assert_frame_equal(got, want, check_exact=True, check_freq=True)
    assert len(got) < len(fridays) - 5  # the hole's weeks are gone

"""The agents' per-date inputs on arrays (issue 29): monthly means against pandas' groupby,
one period's release time against the calendar worked by hand, the next period against
pandas' offsets, and each series read once per view content without crossing as-ofs."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.agents._features import monthly
from research_core.agents.base import _reads
from research_core.catalog import SeriesSpec, series_catalog
from research_core.lake.quality import STEP, _next_period, staleness
from research_core.lake.store import Lake


def _series(rng: np.random.Generator, kind: int, gaps: bool) -> pd.Series:
    n = int(rng.integers(2, 400))
    if kind == 0:
        index = pd.bdate_range("2009-12-15", periods=n, name="obs_date")
    elif kind == 1:
        index = pd.date_range("2008-01-04", periods=n, freq="W-FRI", name="obs_date")
    else:
        days = pd.date_range("2005-01-01", "2026-01-01").to_numpy()
        index = pd.DatetimeIndex(np.sort(rng.choice(days, n, replace=False)), name="obs_date")
    values = rng.normal(0, 1, n) * 10.0 ** rng.integers(-3, 6) + rng.normal() * 1e3
    if gaps:  # missing values: pandas sums the known ones with Kahan's compensation
        values[rng.random(n) < 0.4] = np.nan
    return pd.Series(values, index=index, name="x")


@pytest.mark.parametrize("gaps", [False, True])
def test_monthly_is_pandas_groupby_by_month_to_the_bit(gaps: bool) -> None:
    """The peer: pandas' own groupby on calendar months, with and without missing values
    (two different pandas kernels), then the all-missing months dropped."""
    rng = np.random.default_rng(11)
    for trial in range(40):
        s = _series(rng, trial % 3, gaps)
        months = s.index.to_period("M").to_timestamp()
        for how in ("mean", "last"):
            by = s.groupby(months)
            want = (by.mean() if how == "mean" else by.last()).dropna()
            got = monthly(s, how)
            np.testing.assert_array_equal(got.to_numpy(), want.to_numpy())
            np.testing.assert_array_equal(got.index.to_numpy(), want.index.to_numpy())
            assert got.index.name == "obs_date" and got.name == "x"


def test_monthly_mean_with_an_infinite_value_is_pandas() -> None:
    days = pd.bdate_range("2020-01-01", "2020-03-31", name="obs_date")
    values = np.linspace(1.0, 2.0, len(days))
    values[[3, 30]] = [np.inf, np.nan]  # pandas resets the compensation after an inf
    s = pd.Series(values, index=days)
    want = s.groupby(days.to_period("M").to_timestamp()).mean()
    np.testing.assert_array_equal(monthly(s).to_numpy(), want.to_numpy())
    assert np.isinf(monthly(s).iloc[0])


def test_one_periods_release_time_worked_by_hand() -> None:
    """February 2024 under "45 days after the period, 12:00 New York, NYSE": the period
    ends 29 Feb; +45 days is Sunday 14 April; the next session is Monday 15 April; 12:00
    EDT (UTC-4) is 16:00 UTC."""
    rule = {"rule": "after_period", "lag_days": 45, "time": "12:00"}
    rule |= {"tz": "America/New_York", "calendar": "NYSE"}
    spec = SeriesSpec("X.M", "x", "test", "x", "M", "%", "US", "activity", release=rule)
    assert spec.release_time(pd.Timestamp("2024-02-01")) == pd.Timestamp("2024-04-15 16:00Z")
    # stale once the grace (10 days for monthly series) is over: 25 April 16:00 UTC
    periods = pd.DatetimeIndex(["2023-12-01", "2024-01-01"])
    assert staleness(spec, periods, pd.Timestamp("2024-04-25 16:00Z")) == []
    (late,) = staleness(spec, periods, pd.Timestamp("2024-04-27 17:00Z"))
    assert (
        late["detail"] == "next period 2024-02-01 due by 2024-04-25 16:00 UTC (+grace); 2 days late"
    )


RULES = {(s.frequency, repr(sorted(s.release.items()))): s for s in series_catalog().values()}


@pytest.mark.parametrize("spec", [s for s in RULES.values() if s.release], ids=lambda s: s.id)
def test_release_time_is_the_release_calendars(spec: SeriesSpec) -> None:
    """One spec per distinct release rule: the same instants as the index of them."""
    days = pd.date_range("2003-01-01", "2026-12-31", freq="97D")
    assert [spec.release_time(d) for d in days] == list(spec.release_times(days))


def test_next_period_is_pandas_offset() -> None:
    """The peer: the calendar offsets (``STEP``) from every day of 1995-2030, and from a
    month start with a time of day and at another datetime unit."""
    days = list(pd.date_range("1995-01-01", "2030-12-31", freq="D")[::23])
    days += [pd.Timestamp("2020-01-01 05:00"), pd.Timestamp("2020-03-01").as_unit("s")]
    for frequency, step in STEP.items():
        for day in days:
            got, want = _next_period(day, frequency), day + step
            assert got == want and got.unit == want.unit, (frequency, day)


def _rows(values: list[float], released: pd.DatetimeIndex) -> pd.DataFrame:
    obs = pd.date_range("2020-01-01", periods=len(values), freq="MS")
    return pd.DataFrame(
        {"series_id": "BR.IPCA.MOM", "obs_date": obs[: len(values)], "value": values}
        | {"release_time": released, "source": "test"}
    )


def test_reads_are_shared_per_view_content_never_across_as_ofs(tmp_path: Path) -> None:
    """Read on one view, a series is not what a later view, or a view made after a
    revision at the same as-of, sees: each reads what it can see (dates by hand)."""
    lake = Lake.open(tmp_path / "lake", create=True)
    released = pd.DatetimeIndex(["2020-02-20", "2020-03-20", "2020-04-20"], tz="UTC")
    lake.write(_rows([0.1, 0.2, 0.3], released))
    ids = ["BR.IPCA.MOM", "US.CPI.YOY"]  # the second has nothing: None
    early = lake.at("2020-03-31")
    read, nothing = _reads(early, ids)
    assert nothing is None and read is not None
    assert list(read.values) == [0.1, 0.2] and read.row["obs_date"] == pd.Timestamp("2020-02-01")
    (later,) = _reads(lake.at("2020-04-30"), ids[:1])
    assert later is not None and list(later.values) == [0.1, 0.2, 0.3]
    lake.write(_rows([0.1, 0.25], pd.DatetimeIndex(["2020-02-20", "2020-03-25"], tz="UTC")))
    (revised,) = _reads(lake.at("2020-03-31"), ids[:1])
    assert revised is not None and list(revised.values) == [0.1, 0.25]
    (again,) = _reads(early, ids[:1])  # the first view was made before the revision
    assert again is not None and list(again.values) == [0.1, 0.2]

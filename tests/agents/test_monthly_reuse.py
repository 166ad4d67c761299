"""``monthly`` keeps its months per content of the series (issue 29): a revised day in a
complete month gives that month's new mean (pandas' ``resample("MS").mean()`` of the
revised series is the peer), and writing into a result changes no later one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.agents._features import monthly


def daily_series() -> pd.Series:
    days = pd.bdate_range("2015-01-01", "2016-03-15")
    values = 3.2 + np.random.default_rng(7).normal(0, 0.05, len(days)).cumsum()
    values[40] = np.nan  # a missing day: the compensated path
    return pd.Series(values, days, name="BRL.USD.PTAX")


def test_a_revised_day_gives_the_new_month_mean() -> None:
    series = daily_series()
    first = monthly(series)
    revised = series.copy()
    revised.iloc[100] += 0.3  # a day of a complete month, revised
    again = monthly(revised)
    peer = revised.resample("MS").mean().dropna()
    pd.testing.assert_series_equal(again, peer, check_freq=False, rtol=1e-15)
    month = revised.index[100].to_period("M").to_timestamp()
    assert again[month] != first[month]


def test_writing_into_a_result_changes_no_later_one() -> None:
    series = daily_series()
    first = monthly(series)
    first.iloc[:] = 0.0
    peer = series.resample("MS").mean().dropna()
    pd.testing.assert_series_equal(monthly(series), peer, check_freq=False, rtol=1e-15)

"""``monthly`` keeps its months per content of the series (issue 29): a revised day in a
complete month gives that month's new mean (pandas' ``resample("MS").mean()`` of the
revised series is the peer), and writing into a result changes no later one."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.agents._features import compound, monthly


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


def test_compound_is_kept_per_content_and_each_result_its_own() -> None:
    index = pd.date_range("2010-01-01", periods=60, freq="MS", name="obs_date")
    ipca = pd.Series(np.random.default_rng(3).normal(0.4, 0.3, 60), index, name="BR.IPCA.MOM")

    def peer(s: pd.Series) -> pd.Series:  # the pandas chain compound replaces
        return (np.expm1(np.log1p(s / 100).rolling(12).sum()) * 100).dropna()

    first = compound(ipca, 12)
    first.iloc[:] = 0.0  # written into: the kept values are not
    pd.testing.assert_series_equal(compound(ipca, 12), peer(ipca), check_exact=True)
    revised = ipca.copy()
    revised.iloc[30] += 0.5  # a revised month: new content, recomputed
    pd.testing.assert_series_equal(compound(revised, 12), peer(revised), check_exact=True)
    shifted = ipca.set_axis(index + pd.DateOffset(years=1))  # the same changes, later months
    pd.testing.assert_series_equal(compound(shifted, 12), peer(shifted), check_exact=True)

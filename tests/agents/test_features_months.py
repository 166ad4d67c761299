"""Month numbers by search (issue 29) against numpy's calendar conversion, and monthly
means on them against pandas' resample, at several datetime units and before 1970."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.agents._features import _month_numbers, monthly


@pytest.mark.parametrize("unit", ["ns", "us", "s"])
def test_month_numbers_are_numpys_months(unit: str) -> None:
    rng = np.random.default_rng(3)
    seconds = np.sort(rng.integers(-2_000_000_000, 4_000_000_000, 3000))  # 1906 to 2096
    dates = seconds.astype("datetime64[s]").astype(f"datetime64[{unit}]")
    want = dates.astype("datetime64[M]").astype(np.int64)  # numpy's own calendar
    np.testing.assert_array_equal(_month_numbers(dates), want)
    edges = np.array(["1969-12-31T23:59:59", "1970-01-01", "2024-02-29T23:59", "2024-03-01"])
    edges = edges.astype("datetime64[s]").astype(f"datetime64[{unit}]")
    np.testing.assert_array_equal(_month_numbers(edges), [-1, 0, 649, 650])  # by hand


def test_monthly_before_1970_is_pandas_resample() -> None:
    days = pd.bdate_range("1965-03-01", "1972-06-30", name="obs_date")
    s = pd.Series(np.random.default_rng(4).normal(5, 2, len(days)), index=days)
    for how in ("mean", "last"):
        grouped = s.resample("MS")
        want = (grouped.mean() if how == "mean" else grouped.last()).dropna()
        pd.testing.assert_series_equal(monthly(s, how), want, check_exact=True, check_freq=True)

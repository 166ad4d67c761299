"""The Phillips forecast runs on the months of the index's own time zone (review of #29:
the array path read a Tokyo month start, 15:00 UTC the day before, as the month before)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.models.phillips import phillips_curve


def _curve(months: pd.DatetimeIndex):
    rng = np.random.default_rng(11)
    n = len(months)
    inflation = pd.Series(0.4 + rng.normal(0, 0.2, n), months)
    expectations = pd.Series(0.35 + rng.normal(0, 0.05, n), months)
    gap, fx = (pd.Series(rng.normal(0, 1, n), months) for _ in range(2))
    return phillips_curve(inflation, expectations, gap, fx, seasonal=True)


def test_a_tokyo_index_forecasts_its_next_twelve_local_months() -> None:
    naive = pd.date_range("2003-01-01", "2013-06-01", freq="MS")
    tokyo = _curve(naive.tz_localize("Asia/Tokyo"))
    # the last month is June 2013 in Tokyo: the forecast is July 2013 to June 2014 there
    expected = pd.date_range("2013-07-01", periods=12, freq="MS", tz="Asia/Tokyo")
    assert tokyo.forecast_path.index.equals(expected)
    # the same numbers on the same calendar months, naive: the same forecast (the seasonal
    # dummies of July..June, not June..May)
    plain = _curve(naive)
    assert plain.forecast_path.index.equals(expected.tz_localize(None))
    np.testing.assert_array_equal(tokyo.forecast_path.to_numpy(), plain.forecast_path.to_numpy())
    assert tokyo.forecast_12m == plain.forecast_12m

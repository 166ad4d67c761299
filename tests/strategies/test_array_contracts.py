"""What the array paths of #29 refuse or keep (review of the strategies-on-arrays change):
the view's shared arrays are read-only, a curve of zero pillars keeps bootstrap's checks,
a value known before the first observation is NaN whatever the order of the dates asked
for, and helpers that need sorted dates say so instead of answering wrongly."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.curves.hold import _bootstrap_rows, known_at
from research_core.errors import CurveError, ModelError, PriceHistoryError
from research_core.lake import Lake
from research_core.models.resample import week_lasts
from research_core.pnl import view_reads
from research_core.strategies._market import on_common_dates, values_of


def test_the_views_shared_values_cannot_be_written(sample_lake_path):
    view = Lake.open(sample_lake_path).at("2016-01-08")
    values = values_of(view, "BRL.USD.SPOT")
    with pytest.raises(ValueError, match="read-only"):
        values[-1] *= 1.10
    obs, _ = view_reads(view).values("BRL.USD.SPOT")
    with pytest.raises(ValueError, match="read-only"):
        obs[0] = 0


def test_zero_pillar_curves_keep_the_pillar_checks():
    quotes = np.array([[10.0, 10.5, 11.0]])
    good = _bootstrap_rows(np.array([1.0, 2.0, 3.0]), quotes, ("zero",) * 3, "annual")
    # by hand: a zero rate r at t years, annual: log DF = -t * log(1 + r)
    np.testing.assert_allclose(good[0], -np.array([1, 2, 3]) * np.log1p([0.10, 0.105, 0.11]))
    for grid, kinds in (
        (np.array([1.0, 1.0, 2.0]), ("zero",) * 3),  # a repeated pillar
        (np.array([-1.0, 1.0, 2.0]), ("zero",) * 3),  # a negative time
        (np.array([1.0, 2.0, 3.0]), ("zero", "zer0", "zero")),  # an unknown kind
    ):
        with pytest.raises(CurveError):
            _bootstrap_rows(grid, quotes, kinds, "annual")
    with pytest.raises(CurveError, match="pillars"):
        _bootstrap_rows(np.array([1.0, 2.0, 3.0]), quotes[:, :2], ("zero",) * 3, "annual")


def test_known_at_puts_nan_before_the_first_value_in_any_order():
    day = np.timedelta64(1, "D").astype("timedelta64[ns]").astype(np.int64)
    dates = np.array([10, 12]) * day  # values 2.0 known from day 10, 3.0 from day 12
    asked = np.array([11, 5, 12]) * day  # by hand: 2.0, nothing known yet, 3.0
    got = known_at((dates, np.array([2.0, 3.0])), asked)
    np.testing.assert_array_equal(got, [2.0, np.nan, 3.0])


def test_helpers_that_need_sorted_dates_refuse_unsorted_ones():
    d = pd.DatetimeIndex(["2024-01-05", "2024-01-03", "2024-01-04"]).asi8
    other = pd.DatetimeIndex(["2024-01-03", "2024-01-04"]).asi8
    with pytest.raises(PriceHistoryError, match="sorted"):
        on_common_dates([(d, np.ones(3)), (other, np.ones(2))])
    with pytest.raises(ModelError, match="ascending"):
        week_lasts(d.view("datetime64[ns]"), np.ones(3))

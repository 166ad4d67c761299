"""The monetary agent's Taylor chart, built once a report and read by both the signal and
the chart (issue 29), against the prescription and the path gap computed by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.agents.base import Evidence
from research_core.agents.monetary import COUNTRIES, _at, _path_gap_history, _rule_chart
from research_core.models import taylor_rule


def test_chart_and_signal_history_by_hand() -> None:
    rng = np.random.default_rng(7)
    months = pd.date_range("2015-01-01", periods=72, freq="MS")
    inflation = pd.Series(4 + rng.normal(0, 1, 72), months)
    gap = pd.Series(rng.normal(0, 2, 72), months).iloc[2:]  # starts two months later
    rate = pd.Series(10 + np.cumsum(rng.normal(0, 0.3, 72)), months)
    market = pd.Series(rate.to_numpy() + rng.normal(0, 0.5, 72), months).drop(months[[10, 40]])
    rule = taylor_rule(rate, inflation, gap)
    features = {"BR": {"rate": rate, "inflation": inflation, "gap": gap, "market": market}}
    ev = Evidence(months[-1], features, {"taylor_BR": rule}, {})
    chart = _rule_chart(ev, COUNTRIES[0])

    c, a, b = (float(rule.long_run.loc[k, "coef"]) for k in ("intercept", "inflation", "gap"))
    want_months = months[2:]  # where inflation and the gap are both known
    assert chart.index.equals(want_months)
    for m in want_months:  # the prescription c + a·pi + b·gap, by hand, month by month
        assert chart.loc[m, "rule"] == c + a * inflation[m] + b * gap[m]
        assert chart.loc[m, "rate"] == rate[m]
        if m in months[[10, 40]]:
            assert np.isnan(chart.loc[m, "market"])  # no market rate that month
        else:
            assert chart.loc[m, "market"] == market[m]
    assert _rule_chart(ev, COUNTRIES[0]) is chart  # built once a report

    weight = np.mean([rule.rho**h for h in range(1, 13)])  # the 1y path's average decay
    history = _path_gap_history(rule, chart, 1.0)
    priced = [m for m in want_months if m not in months[[10, 40]]]
    assert list(history.index) == priced
    for m in priced:
        want = weight * rate[m] + (1 - weight) * chart.loc[m, "rule"] - market[m]
        assert abs(history[m] - want) < 1e-12


def test_values_at_dates_by_hand() -> None:
    """``_at``: a series' values at given dates, NaN where it has none (by a search)."""
    months = pd.date_range("2000-01-01", periods=6, freq="MS")
    series = pd.Series([1.0, 2.0, 4.0, 5.0], months[[0, 1, 3, 4]])
    asked = pd.DatetimeIndex(["1999-12-01", *months.astype(str), "2000-08-01"])
    want = [np.nan, 1.0, 2.0, np.nan, 4.0, 5.0, np.nan, np.nan]  # by hand
    np.testing.assert_array_equal(_at(series, asked), want)
    np.testing.assert_array_equal(_at(series.iloc[:0], months[:2]), [np.nan, np.nan])
    unsorted = series.iloc[[2, 0, 3, 1]]  # not by date: looked up, not searched
    np.testing.assert_array_equal(_at(unsorted, asked), want)

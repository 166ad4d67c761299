"""The cross-asset agent's features on arrays give, bit for bit, what the pandas helpers
give (issue 29: the same operations without a frame per step): weekly changes against
``weekly_returns``, the growth and inflation z-score means against ``standardize`` of the
complete rows and their row mean, the year-on-year rates against ``yoy``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.agents import cross_asset
from research_core.agents._features import level_from_changes, weekly_returns, yoy
from research_core.agents.cross_asset import _macro_features, _mean_z, _weekly_changes, _yoy
from research_core.models import standardize

DAYS = pd.bdate_range("2020-01-01", "2020-09-30")
MONTHS = pd.date_range("2010-01-01", periods=90, freq="MS", name="obs_date")
COLUMNS = ("spx", "ibov", "usdbrl", "cds")


@pytest.mark.parametrize("seed", range(20))
def test_weekly_changes_are_weekly_returns(seed: int) -> None:
    rng = np.random.default_rng(seed)
    levels = {}
    for k in COLUMNS:  # gappy daily series, their own dates each
        s = pd.Series(np.cumsum(rng.standard_normal(len(DAYS))), DAYS.rename("obs_date"))
        levels[k] = s[rng.uniform(size=len(s)) < rng.uniform(0.3, 1.0)]
    expected = weekly_returns(levels, log=False)
    expected["cds"] /= 100
    got = _weekly_changes(levels)
    pd.testing.assert_frame_equal(got, expected, check_exact=True, check_freq=True)


def test_weekly_changes_sample_sorted_series_without_the_daily_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Series on sorted dates are sampled from their arrays (the frame's per-date index
    checks cost more than the sampling); unsorted dates still take the frame's path. Both
    give ``weekly_returns``' numbers, index frequency included."""
    rng = np.random.default_rng(3)
    days = DAYS.rename("obs_date")
    levels = {k: pd.Series(np.cumsum(rng.standard_normal(len(DAYS))), days) for k in COLUMNS}
    levels["cds"] = levels["cds"].iloc[20:]  # starts later: its first weeks are not complete
    frames: list[int] = []
    real = cross_asset.weekly_last_frame

    def counted(columns: dict[str, pd.Series]) -> pd.DataFrame:
        frames.append(1)
        return real(columns)

    monkeypatch.setattr(cross_asset, "weekly_last_frame", counted)
    for case in (levels, {**levels, "ibov": levels["ibov"].iloc[::-1]}):
        expected = weekly_returns(case, log=False)
        expected["cds"] /= 100
        got = _weekly_changes(case)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, check_freq=True)
    assert frames == [1]  # only the unsorted case went through the frame


@pytest.mark.parametrize("seed", range(10))
def test_growth_and_inflation_are_the_helpers_numbers(seed: int) -> None:
    rng = np.random.default_rng(seed)
    ip = pd.Series(rng.normal(0.2, 0.8, len(MONTHS)), MONTHS)
    ibc = pd.Series(100 + np.cumsum(rng.normal(0.1, 0.5, len(MONTHS))), MONTHS)
    ibc.iloc[rng.integers(0, len(ibc))] = np.nan  # a gap: dropped with the year after it
    level = level_from_changes(ip)
    pd.testing.assert_series_equal(_yoy(ip.index, level.to_numpy()), yoy(level), check_names=False)
    pd.testing.assert_series_equal(_yoy(ibc.index, ibc.to_numpy()), yoy(ibc), check_names=False)
    cols = {"us": yoy(level), "br": yoy(ibc)}
    expected = standardize(pd.DataFrame(cols).dropna()).mean(axis=1)
    pd.testing.assert_series_equal(_mean_z(cols), expected, check_exact=True, check_freq=True)


@pytest.mark.parametrize("bad", [-999.0, -100.5, np.nan])
def test_growth_steps_over_a_print_below_minus_100_pct_as_pandas_does(bad: float) -> None:
    """A sentinel or unit error in the IP feed (a change below -100 %) has no log: pandas'
    running sum steps over it. On the array, cumsum carried the NaN to every later month,
    so growth (and the macro regime) stopped at the bad print (review, issue 29)."""
    rng = np.random.default_rng(7)
    ip = pd.Series(rng.normal(0.2, 0.8, len(MONTHS)), MONTHS)
    ip.iloc[30] = bad
    ibc = pd.Series(100 + np.cumsum(rng.normal(0.1, 0.5, len(MONTHS))), MONTHS)
    cpi = pd.Series(rng.normal(3, 1, len(MONTHS)), MONTHS)
    data = {"US.IP.MOM": ip, "BR.IBCBR.SA": ibc, "US.CPI.YOY": cpi, "BR.IPCA.MOM": cpi / 10}
    growth, _ = _macro_features(data)
    cols = {"us": yoy(level_from_changes(ip)), "br": yoy(ibc)}  # the pandas helpers
    expected = standardize(pd.DataFrame(cols).dropna()).mean(axis=1)
    assert growth.index[-1] == MONTHS[-1]  # growth runs to the last month, past the bad print
    pd.testing.assert_series_equal(growth, expected, check_exact=True, check_names=False)

"""Bad input gets a clear error naming the problem; short history gets the documented fallback."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.errors import InsufficientDataError, ModelError
from research_core.models import (
    beer,
    debt_dynamics,
    ledoit_wolf,
    natural_rate,
    output_gap,
    phillips_curve,
    taylor_rule,
)

IDX = pd.date_range("2000-01-01", periods=120, freq="MS")
RNG = np.random.default_rng(0)


def noise(n: int = 120) -> pd.Series:
    return pd.Series(RNG.normal(size=n), IDX[:n])


def test_too_little_data_names_counts() -> None:
    with pytest.raises(
        InsufficientDataError, match=r"taylor_rule: 9 complete observations, needs at least 36"
    ):
        taylor_rule(noise(10), noise(10), noise(10))


def test_a_series_with_no_data_is_named() -> None:
    empty = pd.Series(np.nan, IDX)
    with pytest.raises(InsufficientDataError, match=r"\['gap'\] have no data"):
        natural_rate(noise(), empty)


def test_constant_series_is_rejected_by_name() -> None:
    with pytest.raises(ModelError, match=r"phillips_curve: \['expectations'\] are constant"):
        phillips_curve(noise(), pd.Series(0.4, IDX), noise(), noise())


def test_inf_is_rejected_by_name() -> None:
    fund = pd.DataFrame({"tot": noise()})
    fund.iloc[5, 0] = np.inf
    with pytest.raises(ModelError, match=r"beer: \['tot'\] contain inf"):
        beer(noise().abs() + 1, fund)
    bad = pd.DataFrame({"a": noise(), "b": noise()})
    bad.iloc[0, 1] = -np.inf
    with pytest.raises(ModelError, match="ledoit_wolf"):
        ledoit_wolf(bad)


def test_policy_rate_at_its_floor_is_left_out() -> None:
    rate = pd.Series(np.r_[5 + noise(60).cumsum() * 0.1, np.full(60, 0.25)], IDX)
    pi, gap = noise() * 0.2 + 2, noise()
    res = taylor_rule(rate, pi, gap, lower_bound=0.25)
    assert res.regression.nobs == 59  # the 60 floor months (and the first lag) are out
    with pytest.raises(InsufficientDataError, match="taylor_rule"):
        taylor_rule(rate.iloc[50:], pi, gap, lower_bound=0.25)


def test_debt_dynamics_rejects_non_finite_inputs() -> None:
    with pytest.raises(ModelError, match=r"\['growth'\] are not finite"):
        debt_dynamics(80.0, 10.0, float("nan"), 1.0)


def test_output_gap_falls_back_to_a_trend_on_short_history() -> None:
    level = pd.Series(np.exp(np.linspace(0, 0.2, 70)), IDX[:70])
    gap, method = output_gap(level)
    assert method.startswith("linear trend") and len(gap) == 70
    long = pd.Series(np.exp(np.linspace(0, 0.2, 120) + 0.01 * noise().cumsum()), IDX)
    gap, method = output_gap(long)
    assert method.startswith("hamilton") and len(gap) == 120 - 35

"""Models fitted at every as-of date align their inputs on arrays (issue 29): the rows,
index (name, frequency) and values are those of ``clean_frame`` on the aligned frame (the
slower path they replace), errors included; the OLS on arrays is statsmodels' on frames."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from research_core.errors import InsufficientDataError, ModelError
from research_core.models._base import ols, ols_arrays
from research_core.models.inputs import clean_frame, complete_columns


def _months(start: str, n: int, name: str | None = "obs_date") -> pd.DatetimeIndex:
    return pd.date_range(start, periods=n, freq="MS", name=name)


def _same_as_frame(cols: dict[str, pd.Series], min_obs: int = 3) -> pd.Index:
    index, arrays = complete_columns(cols, model="m", min_obs=min_obs)
    frame = clean_frame(pd.DataFrame(cols), model="m", min_obs=min_obs)
    pd.testing.assert_index_equal(index, frame.index, exact=True)
    assert index.freq == frame.index.freq
    assert list(arrays) == list(frame.columns)
    for c in frame.columns:
        np.testing.assert_array_equal(arrays[c], frame[c].to_numpy())
    return index


def test_rows_every_series_has_are_kept_by_hand():
    a = pd.Series([1.0, 2.0, np.nan, 4.0, 5.0, 6.0], _months("2020-01-01", 6))
    b = pd.Series([10.0, 20.0, 30.0, 40.0, 50.0], _months("2020-02-01", 5))
    index = _same_as_frame({"a": a, "b": b})
    # by hand: a has Jan, Feb, Apr, May, Jun; b Feb..Jun; both: Feb, Apr, May, Jun
    assert list(index.strftime("%Y-%m")) == ["2020-02", "2020-04", "2020-05", "2020-06"]
    assert index.freq is None  # not consecutive months: pandas drops the frequency


def test_a_run_of_consecutive_months_keeps_the_frequency_and_name():
    a = pd.Series(np.arange(1.0, 13.0), _months("2020-01-01", 12))
    b = pd.Series(np.arange(5.0, 13.0) ** 2, _months("2020-05-01", 8))
    index = _same_as_frame({"a": a, "b": b})
    assert index.freq == "MS" and index.name == "obs_date" and len(index) == 8


def test_equal_indexes_keep_their_own_frequency_different_ones_get_the_inferred_one():
    dates = pd.date_range("2020-01-01", periods=6, freq="MS").values  # no freq attached
    a = pd.Series([1.0, 2.0, 4.0, 3.0, 6.0, 5.0], pd.DatetimeIndex(dates))
    assert _same_as_frame({"a": a, "b": a * a}).freq is None  # pandas keeps the index
    b = pd.Series([2.0, 1.0, 3.0, 5.0, 4.0], pd.DatetimeIndex(dates[1:]))
    assert _same_as_frame({"a": a, "b": b}).freq == "MS"  # pandas infers the union's


def test_different_index_names_leave_none_and_irregular_dates_no_frequency():
    a = pd.Series(
        [1.0, 3.0, 2.0, 5.0],
        pd.DatetimeIndex(["2020-01-01", "2020-02-01", "2020-04-01", "2020-09-01"], name="x"),
    )
    b = pd.Series([2.0, 1.0, 4.0, 3.0], pd.DatetimeIndex(a.index, name="y"))
    assert _same_as_frame({"a": a, "b": b}).name is None


@pytest.mark.parametrize(
    ("a", "error", "says"),
    [
        (pd.Series([1.0, np.inf, 3.0, 4.0], _months("2020-01-01", 4)), ModelError, "['a']"),
        (
            pd.Series([1.0, np.nan, np.nan, 4.0], _months("2020-01-01", 4)),
            InsufficientDataError,
            "2 complete observations, needs at least 3",
        ),
        (pd.Series([2.0, 2.0, 2.0, 2.0], _months("2020-01-01", 4)), ModelError, "constant"),
    ],
)
def test_bad_input_raises_what_clean_frame_says(a, error, says):
    b = pd.Series([1.0, 2.0, 4.0, 3.0], _months("2020-01-01", 4))
    with pytest.raises(error, match=None) as caught:
        complete_columns({"a": a, "b": b}, model="m", min_obs=3)
    assert says in str(caught.value)


def test_unsorted_dates_go_through_the_frame():
    idx = pd.DatetimeIndex(["2020-03-01", "2020-01-01", "2020-02-01", "2020-04-01"])
    a = pd.Series([3.0, 1.0, 2.0, 4.0], idx)
    b = pd.Series([1.0, 5.0, 2.0, 7.0], idx)
    _same_as_frame({"a": a, "b": b})


@pytest.mark.parametrize("hac", [0, 6])
def test_ols_on_arrays_is_statsmodels_on_frames(hac):
    rng = np.random.default_rng(29)
    idx = _months("2001-01-01", 80)
    x = pd.DataFrame(rng.normal(size=(80, 2)), index=idx, columns=["inflation", "gap"])
    y = pd.Series(1.0 + x @ np.array([1.5, 0.5]) + rng.normal(size=80), idx)
    exog = sm.add_constant(x)
    peer = sm.OLS(y, exog).fit(**({"cov_type": "HAC", "cov_kwds": {"maxlags": hac}} if hac else {}))
    for reg in (
        ols("r", y, x, hac_lags=hac),
        ols_arrays("r", y.to_numpy(), x.to_numpy(), ["inflation", "gap"], idx, hac),
    ):
        for ours, theirs in [
            (reg.params, peer.params),
            (reg.bse, peer.bse),
            (reg.pvalues, peer.pvalues),
            (reg.resid, peer.resid),
            (reg.fitted, peer.fittedvalues),
        ]:
            pd.testing.assert_series_equal(ours, theirs, rtol=0, atol=1e-12)
        pd.testing.assert_frame_equal(reg.cov_params, peer.cov_params(), rtol=0, atol=1e-12)
        assert reg.rsquared == pytest.approx(peer.rsquared, abs=1e-12)
        assert reg.cov_type == peer.cov_type

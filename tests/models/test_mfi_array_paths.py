"""The array paths of the monetary, FX, inflation and fiscal models (issue 29) against the
pandas and numpy calls they replace: ``pd.DataFrame`` of a dict of series, ``matrix_rank``,
``np.isin``, ``DataFrame.assign`` and a fresh generator's draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.errors import ModelError
from research_core.models import beer, debt_dynamics, ols
from research_core.models._frames import union_frame
from research_core.models.gap import _complete
from research_core.models.inputs import complete_columns
from research_core.models.phillips import _inverse_or_nan, _rank_deficient
from research_core.models.taylor import _without

MONTHS = pd.date_range("2005-01-01", periods=90, freq="MS", name="obs_date")


def _random_columns(rng: np.random.Generator) -> dict[str, pd.Series]:
    """One to four float series: month starts with and without a frequency, a subset of
    months, business days, of different spans, names and missing values."""
    cols = {}
    for j in range(int(rng.integers(1, 5))):
        n, start = int(rng.integers(0, 30)), int(rng.integers(0, 40))
        kind = rng.integers(0, 4)
        if kind == 0:
            idx = MONTHS[start : start + n]
        elif kind == 1:
            idx = pd.DatetimeIndex(np.sort(rng.choice(MONTHS.values, n, replace=False)))
        elif kind == 2:
            idx = pd.date_range("2010-01-01", periods=n, freq="B", name=["x", None][j % 2])
        else:
            idx = pd.DatetimeIndex(MONTHS.values[:n], name="obs_date")  # no frequency
        values = rng.standard_normal(n)
        if n and rng.random() < 0.2:
            values[rng.integers(0, n)] = np.nan
        cols[f"c{j}"] = pd.Series(values, index=idx)
    return cols


def test_union_frame_is_pandas_frame_of_the_dict() -> None:
    """Values, index (name and frequency), columns and block layout: pandas' own."""
    rng = np.random.default_rng(3)
    for _ in range(150):
        cols = _random_columns(rng)
        expected, got = pd.DataFrame(cols), union_frame(cols)
        pd.testing.assert_frame_equal(got, expected, check_exact=True, check_freq=True)
        assert got.index.name == expected.index.name
        assert got.to_numpy().flags.f_contiguous == expected.to_numpy().flags.f_contiguous


def test_union_frame_hands_other_inputs_to_pandas() -> None:
    cols = {"a": pd.Series([1, 2], index=["x", "y"]), "b": pd.Series([3.0], index=["y"])}
    pd.testing.assert_frame_equal(union_frame(cols), pd.DataFrame(cols))


def test_rank_check_is_matrix_rank_for_clear_and_collinear_windows() -> None:
    """Full-rank windows, exactly collinear ones and nearly collinear ones (which the
    bound leaves to the SVD) get numpy's ``matrix_rank`` answer."""
    rng = np.random.default_rng(8)
    xw = rng.standard_normal((30, 5, 40))
    xw[3, 4] = xw[3, 0] + xw[3, 1]  # collinear: rank 4
    xw[7, 2] = 0.0  # a zero regressor: rank 4
    xw[11, 3] = xw[11, 0] + 1e-9 * rng.standard_normal(40)  # nearly collinear: not clear
    xw[15] *= 1e-200  # tiny scale: rank is scale-free
    xpx = xw @ xw.transpose(0, 2, 1)
    xpxi = np.stack([_inverse_or_nan(m) for m in xpx])  # window 7's: NaN (singular)
    expected = np.linalg.matrix_rank(xw) < 5
    assert expected[[3, 7]].all() and not expected[[0, 11, 15]].any()
    np.testing.assert_array_equal(_rank_deficient(xw, xpx, xpxi), expected)


def test_floor_dates_leave_a_series_as_np_isin_says() -> None:
    rng = np.random.default_rng(1)
    pool = pd.date_range("2004-06-01", periods=100, freq="MS").values
    for _ in range(100):
        s = pd.Series(rng.standard_normal(90), index=MONTHS)
        if rng.random() < 0.3:
            s = s.iloc[rng.permutation(90)]
        floor = np.sort(rng.choice(pool, int(rng.integers(0, 30)), replace=False))
        keep = ~np.isin(s.index.to_numpy(), floor)
        pd.testing.assert_series_equal(_without(s, floor), s[keep])


def test_single_series_sample_is_complete_columns() -> None:
    """The gap's sample: what ``complete_columns`` keeps, and its error on bad input."""
    rng = np.random.default_rng(2)
    for freq in ("MS", "QS", None):
        idx = MONTHS if freq is None else pd.date_range("2001-01-01", periods=60, freq=freq)
        s = pd.Series(rng.standard_normal(len(idx)), index=idx)
        index, values = _complete(s, "m", 24)
        expected_index, data = complete_columns({"level": s}, model="m", min_obs=24)
        pd.testing.assert_index_equal(index, expected_index, exact=True)
        assert index.freq == expected_index.freq
        np.testing.assert_array_equal(values, data["level"])
    constant = pd.Series(1.0, index=MONTHS)
    with pytest.raises(ModelError, match="constant"):
        _complete(constant, "m", 24)


def test_debt_fan_draws_are_a_fresh_generators_and_frame_is_assign() -> None:
    """The same fan as drawing from ``default_rng(seed)`` at each call (compared with the
    fan computed here by hand from those draws), and ``to_frame`` is pandas' assign."""
    vol = (1.5, 2.0, 1.0)
    first = debt_dynamics(80.0, 11.0, 9.0, 0.5, vol=vol)
    again = debt_dynamics(80.0, 11.0, 9.0, 0.5, vol=vol)
    shocks = np.random.default_rng(0).standard_normal((3, 2000, 5)) * np.array(vol)[:, None, None]
    paths = np.empty((2000, 6))
    paths[:, 0] = 80.0
    g = np.maximum(9.0 + shocks[1], -99.0)
    for t in range(5):
        r, pb = 11.0 + shocks[0][:, t], 0.5 + shocks[2][:, t]
        paths[:, t + 1] = paths[:, t] * (1 + r / 100) / (1 + g[:, t] / 100) - pb
    expected = np.percentile(paths, (5, 25, 50, 75, 95), axis=0).T
    np.testing.assert_array_equal(first.fan.to_numpy(), expected)
    pd.testing.assert_frame_equal(again.fan, first.fan, check_exact=True)
    pd.testing.assert_frame_equal(
        first.to_frame(), first.fan.assign(baseline=first.baseline), check_exact=True
    )


def test_regression_series_are_labelled_as_before() -> None:
    """Coefficients, residuals and covariance read from the fit carry the names given."""
    rng = np.random.default_rng(4)
    x = pd.DataFrame(rng.standard_normal((50, 2)), index=MONTHS[:50], columns=["a", "b"])
    y = pd.Series(1.0 + x["a"] - 2 * x["b"] + rng.standard_normal(50), index=MONTHS[:50])
    reg = ols("test", y, x)
    expected = np.linalg.lstsq(np.column_stack([np.ones(50), x]), y, rcond=None)[0]
    np.testing.assert_allclose(reg.params.to_numpy(), expected, rtol=1e-12)
    assert list(reg.params.index) == ["const", "a", "b"] == list(reg.cov_params.columns)
    assert reg.resid.index.equals(MONTHS[:50]) and reg.fitted.index.equals(MONTHS[:50])
    np.testing.assert_allclose(reg.fitted + reg.resid, y, rtol=1e-12)
    frame = reg.to_frame()
    assert list(frame.columns) == ["coef", "std_err", "t", "p"]
    np.testing.assert_array_equal(frame["std_err"].to_numpy(), reg.bse.to_numpy())


def test_beer_refuses_fundamentals_named_twice() -> None:
    rng = np.random.default_rng(6)
    fund = pd.DataFrame(rng.standard_normal((90, 2)), index=MONTHS, columns=["tot", "tot"])
    fx = pd.Series(np.exp(rng.standard_normal(90) / 10), index=MONTHS)
    with pytest.raises(ModelError, match="distinct names"):
        beer(fx, fund)

"""The package's one z-score, against values worked out by hand.

History 1, 2, 3, 4, 5: mean 3, squared deviations 4 + 1 + 0 + 1 + 4 = 10, sample variance
10 / 4 = 2.5, sd = sqrt(2.5) = 1.5811388300841898; so 5 scores 2 / sd = 1.2649110640673518
and 0 scores -3 / sd = -1.8973665961010275.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from research_core.models import standardize, zscore, zscore_last

HISTORY = pd.Series([1.0, 2.0, 3.0, 4.0, 5.0])


def test_zscore_of_a_value_against_a_history():
    assert zscore(5.0, HISTORY) == pytest.approx(1.2649110640673518, rel=1e-12)
    assert zscore(0.0, HISTORY) == pytest.approx(-1.8973665961010275, rel=1e-12)
    assert zscore(3.0, pd.Series([1.0, np.nan, 2.0, 3.0, 4.0, 5.0])) == 0.0  # NaN ignored
    assert zscore(7.0, pd.Series([2.0, 2.0, 2.0])) == 0.0  # no spread, no signal
    assert zscore(7.0, pd.Series([2.0])) == 0.0  # one point has no spread either
    assert math.isnan(zscore(float("nan"), HISTORY))


def test_zscore_last_uses_the_trailing_window():
    series = pd.Series([100.0, 1.0, 2.0, np.nan, 3.0, 4.0, 5.0])
    # NaN dropped, then the last 5 observations are 1..5: the last one scores 2 / sd
    assert zscore_last(series, 5, min_obs=2) == pytest.approx(1.2649110640673518, rel=1e-12)
    assert zscore_last(HISTORY) == pytest.approx(1.2649110640673518, rel=1e-12)
    # by default a window needs a quarter of itself and at least 20 observations
    ramp = pd.Series(np.arange(24.0))
    assert math.isnan(zscore_last(ramp, 100))  # needs 25
    assert not math.isnan(zscore_last(ramp, 80))  # needs 20
    assert math.isnan(zscore_last(pd.Series([1.0]), None))


def test_standardize_scores_each_column_against_itself():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0], "flat": [4.0, 4.0, 4.0]})
    # a: mean 2, sample sd 1 → -1, 0, 1; a constant column scores 0
    expected = pd.DataFrame({"a": [-1.0, 0.0, 1.0], "flat": [0.0, 0.0, 0.0]})
    pd.testing.assert_frame_equal(standardize(frame), expected)


def test_standardize_matches_scipy_with_gaps_and_integers():
    # scipy.stats.zscore (ddof=1, NaN omitted) is the peer; NaN stays NaN, ints are scored
    from scipy.stats import zscore as scipy_zscore

    frame = pd.DataFrame({"x": [3.0, np.nan, 7.0, 1.0, 9.0], "n": [1, 4, 2, 8, 5]})
    out = standardize(frame)
    for col in frame:
        peer = scipy_zscore(frame[col].to_numpy(dtype=float), ddof=1, nan_policy="omit")
        np.testing.assert_allclose(out[col].to_numpy(), peer, rtol=1e-12)
    assert out.index.equals(frame.index) and list(out.columns) == ["x", "n"]

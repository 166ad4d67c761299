"""What a carry strategy's weekly decision calls (issue 29): an input read that only grew
is found unchanged by a byte compare without losing the elementwise rules, and the curve
kernels answer as before (the one lake pass per decision: tests/test_pnl_incremental.py)."""

from __future__ import annotations

import numpy as np
import pytest

from research_core import pnl
from research_core.curves.curve import bootstrap, interp_segments, segments
from research_core.errors import CurveError

DAY = 86_400 * 10**9


def _read(days: list[int], values: list[float]) -> tuple[np.ndarray, np.ndarray]:
    return np.array(days, dtype=np.int64) * DAY, np.array(values)


def test_first_change_keeps_the_elementwise_rules_behind_the_byte_compare():
    nan_a = np.float64(np.nan)
    nan_b = np.frombuffer(np.array([0x7FF8000000000001], dtype=np.int64).tobytes())[0]
    assert np.isnan(nan_b) and nan_a.tobytes() != nan_b.tobytes()
    old = {"q": _read([1, 2, 3], [0.0, nan_a, 5.0])}
    # -0.0 equals 0.0 and one NaN another, though their bytes differ: nothing changed
    same = {"q": _read([1, 2, 3], [-0.0, nan_b, 5.0])}
    assert pnl._first_change(old, same) == np.iinfo(np.int64).max
    # grown by a day: the first change is the new day (4)
    assert pnl._first_change(old, {"q": _read([1, 2, 3, 4], [0.0, nan_a, 5.0, 6.0])}) == 4 * DAY
    # a revised value on day 3, and a period withdrawn (day 2 gone): found at 3 and 2
    assert pnl._first_change(old, {"q": _read([1, 2, 3], [0.0, nan_a, 5.5])}) == 3 * DAY
    assert pnl._first_change(old, {"q": _read([1, 3], [0.0, 5.0])}) == 2 * DAY


def test_zero_curve_bootstrap_is_each_pillars_own_discount():
    # By hand: a zero rate r % a.a., annual compounding, at t years is the log DF -t ln(1+r).
    grid = np.array([0.25, 1.0, 5.0])
    quotes = np.array([[10.0, 11.0, 12.5], [2.0, 3.0, 4.0]])
    want = -grid * np.log(1.0 + quotes / 100.0)
    got = bootstrap(grid, quotes, ("zero",) * 3, "annual")
    np.testing.assert_allclose(got, want, rtol=0, atol=1e-15)


def test_pillar_checks_run_for_every_new_curve_after_a_good_one():
    grid = np.array([0.5, 1.0])
    bootstrap(grid, np.array([[5.0, 6.0]]), ("zero", "par"), "semiannual")
    with pytest.raises(CurveError, match="whole coupon"):
        bootstrap(np.array([0.5, 1.25]), np.array([[5.0, 6.0]]), ("zero", "par"), "semiannual")
    with pytest.raises(CurveError, match="positive and increasing"):
        bootstrap(np.array([1.0, 0.5]), np.array([[5.0, 6.0]]), ("zero", "zero"), "annual")
    with pytest.raises(CurveError, match="valid zero, par"):
        bootstrap(grid, np.array([[5.0, 6.0]]), ("zero", "swap"), "annual")


def test_interpolation_at_found_segments_is_numpy_interp_of_log_discounts():
    # Log-linear discounting is linear interpolation of log DF between (0, 0) and the
    # pillars: numpy.interp is the peer, on two curves read at the same times.
    grid = np.array([0.25, 0.5, 1.0, 2.0])
    log_df = np.array([[-0.02, -0.05, -0.11, -0.24], [-0.01, -0.02, -0.045, -0.1]])
    t = np.array([0.0, 0.1, 0.25, 0.7, 1.0, 1.996, 2.0])
    got = interp_segments(log_df, *segments(grid, t))
    for row, curve in zip(got, log_df, strict=True):
        want = np.interp(t, np.r_[0.0, grid], np.r_[0.0, curve])
        np.testing.assert_allclose(row, want, rtol=0, atol=1e-15)

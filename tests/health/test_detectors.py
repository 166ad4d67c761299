"""Change detectors: the CUSUM recursion by hand, and the calibrated properties on a small
seeded simulation (the full calibration is benchmarks/health_detectors.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.errors import HealthError
from research_core.health.detectors import (
    detect,
    detection_delays,
    false_alarms_per_5y,
    null_streams,
    standardize,
)


def test_cusum_recursion_by_hand():
    # S+ = max(0, S+ + z - k), S- = max(0, S- - z - k), k = 0.5, h = 1.2, restart on alarm:
    # z = 1, 1, 1 -> S+ = 0.5, 1.0, 1.5 (> 1.2: upper alarm, restart); z = -3 -> S- = 2.5.
    from research_core.health.detectors import cusum_paths

    up, lo, alarm = cusum_paths(np.array([1.0, 1.0, 1.0, -3.0]), k=0.5, h=1.2)
    assert up.tolist() == [0.5, 1.0, 1.5, 0.0]
    assert lo.tolist() == [0.0, 0.0, 0.0, 2.5]
    assert alarm.tolist() == [0, 0, 1, -1]


def test_false_alarms_within_one_per_five_years():
    # Budget: 1 card-raising alarm per 1260 sessions for both detectors (0.7 CUSUM + 0.3
    # ADWIN), in steady state: 40 / 20 seeded t5 streams of 8 x 1260 sessions with restarts
    # (as many sessions as 320 / 160 five-year streams); ~3 standard errors of MC noise.
    z = null_streams(40, 8 * 1260, seed=7)
    cusum = false_alarms_per_5y(z, "cusum")
    adwin = false_alarms_per_5y(z[:, :20], "adwin")
    assert cusum < 0.7 + 3 * np.sqrt(0.7 / 320)
    assert adwin < 0.3 + 3 * np.sqrt(0.3 / 160)
    assert cusum + adwin < 1.0 + 3 * np.sqrt(1.0 / 160)


def test_sharpe_collapse_and_volatility_doubling_delays():
    shift = null_streams(300, 500 + 2500, seed=11)
    shift[500:] -= 1.5 / np.sqrt(252)  # Sharpe 1.5 -> 0
    d = detection_delays(shift, 500, "cusum", -1)
    # Issue target: median <= 250. With 0.7 of the one-per-5-years budget the CUSUM needs
    # ~282 (benchmark, 2000 streams' worth); 250 needs ~0.9 false alarms / 5y for the
    # CUSUM alone. Guard the measured level.
    assert np.isfinite(d).mean() > 0.95
    assert 200 < np.median(d) < 380
    vol = null_streams(100, 750, seed=13)
    vol[500:] *= 2.0
    assert np.median(detection_delays(vol, 500, "adwin", 1)) <= 20


def test_detect_names_alarms_with_dates():
    rng = np.random.default_rng(3)
    days = pd.bdate_range("2020-01-01", periods=600)
    r = pd.Series(rng.normal(0.001, 0.01, 600), index=days)
    r.iloc[300:] = rng.normal(-0.004, 0.02, 300)  # mean down 0.5 sigma, volatility doubled
    found = detect(r, mean=0.001, vol=0.01)
    kinds = {(a.detector, a.direction) for a in found.recent(days[300])}
    assert ("cusum", -1) in kinds and ("adwin", 1) in kinds
    assert not found.recent(days[-1] + pd.Timedelta(days=1))
    assert found.to_frame().index.equals(days)


def test_bad_input_is_one_error():
    with pytest.raises(HealthError, match="positive vol"):
        standardize(np.ones(3), 0.0, 0.0)
    with pytest.raises(HealthError, match="NaN"):
        standardize(np.array([1.0, np.nan]), 0.0, 1.0)

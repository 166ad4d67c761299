"""Change detectors: the recursions by hand, and the calibrated properties on small seeded
simulations with the mean and volatility *estimated* from a reference period, as the card
does (the full calibration is benchmarks/health_detectors.py)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.errors import HealthError
from research_core.health.detectors import (
    ADWIN_BUDGET,
    CUSUM_BUDGET,
    CUSUM_H,
    CUSUM_K,
    CUSUM_WARN,
    Baseline,
    adwin_alarms,
    cusum_paths,
    cusum_threshold,
    detect,
    standardize,
)

FIVE_YEARS = 1260
SHARPE_SHIFT = 1.5 / np.sqrt(252)  # daily mean of a Sharpe-1.5 strategy, in sigmas


def _t5(rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
    """Student-t(5) draws scaled to unit variance (variance of t5 is 5/3)."""
    return rng.standard_t(5, shape) / np.sqrt(5 / 3)


def _monitor(n: int, length: int, reference: int, seed: int, shift: float = 0.0):
    """Standardized returns and CUSUM scores of ``n`` streams, each against the baseline
    estimated from its own ``reference`` sessions (true mean 0, volatility 1)."""
    rng = np.random.default_rng(seed)
    base = Baseline.fit(_t5(rng, (reference, n)))
    z = standardize(_t5(rng, (length, n)) + shift, base.mean, base.vol)
    return z, base.scores(z), base


def test_cusum_recursion_by_hand():
    # S+ = max(0, S+ + z - k), S- = max(0, S- - z - k), k = 0.5, h = 1.2, restart on alarm:
    # z = 1, 1, 1 -> S+ = 0.5, 1.0, 1.5 (> 1.2: upper alarm, restart); z = -3 -> S- = 2.5.
    up, lo, alarm = cusum_paths(np.array([1.0, 1.0, 1.0, -3.0]), k=0.5, h=1.2)
    assert up.tolist() == [0.5, 1.0, 1.5, 0.0]
    assert lo.tolist() == [0.0, 0.0, 0.0, 2.5]
    assert alarm.tolist() == [0, 0, 1, -1]


def test_scores_clip_and_center_by_hand():
    # Reference: 0.1 %/day plus [+10 %, 0 x 8, -10 %]: mean 0.1 %, vol (ddof 1)
    # sqrt(2 x 0.01 / 9) = 4.714 %; standardized +-2.1213 and 0 -> clipped at +-1.5:
    # center 0, spread sqrt(2 x 2.25 / 9) = 0.70711.
    ref = 0.001 + np.array([0.1] + [0.0] * 8 + [-0.1])
    base = Baseline.fit(ref)
    assert base.mean == pytest.approx(0.001) and base.vol == pytest.approx(0.0471405, rel=1e-5)
    assert base.center == pytest.approx(0.0, abs=1e-12)
    assert base.spread == pytest.approx(0.7071068, rel=1e-6)
    # z = -3, -1, 0.5 -> clipped -1.5, -1, 0.5 -> over the spread: -2.1213, -1.4142, 0.7071
    z = standardize(0.001 + base.vol * np.array([-3.0, -1.0, 0.5]), base.mean, base.vol)
    assert base.scores(z) == pytest.approx([-2.1213203, -1.4142136, 0.7071068], rel=1e-6)
    # 10 sessions: shorter than any calibrated reference, so no CUSUM threshold
    with pytest.raises(HealthError, match="252"):
        _ = base.threshold


def test_threshold_interpolates_in_one_over_length():
    h252, h504, h4032 = CUSUM_H[252], CUSUM_H[504], CUSUM_H[4032]
    assert h252 > h504 > h4032  # a shorter reference estimates worse: a higher threshold
    assert cusum_threshold(252) == h252 and cusum_threshold(10_000) == h4032
    # 336 sessions: 1/336 = 3/1008 is halfway between 1/252 = 4/1008 and 1/504 = 2/1008
    assert cusum_threshold(336) == pytest.approx((h252 + h504) / 2)
    with pytest.raises(HealthError, match="252"):
        cusum_threshold(200)


def test_cusum_false_alarms_and_amber_with_estimated_parameters():
    # Budget: CUSUM_BUDGET (0.8 of the one card-raising false alarm per 1260 sessions) in
    # steady state: 1200 t5 streams, each standardized by the mean and volatility of its
    # own 252-session reference (the shortest the card accepts), 3 x 1260 sessions, the
    # first 1260 (start-up) not counted. The previous constants (raw returns, h 24.26
    # calibrated with known parameters, AMBER at half of h) give 1.2 alarms and 15 % AMBER
    # sessions here. Tolerance: 3 standard errors of the mean over streams (the streams
    # are independent; a stream's count is not Poisson: a bad reference alarms repeatedly).
    for m, seed in ((252, 7), (700, 8)):
        _, s, base = _monitor(1200, 3 * FIVE_YEARS, m, seed)
        h = base.threshold
        _, lo, alarm = cusum_paths(s, h=h)
        per_5y = (alarm[FIVE_YEARS:] == -1).sum(axis=0) / 2
        se = per_5y.std(ddof=1) / np.sqrt(len(per_5y))
        assert per_5y.mean() < CUSUM_BUDGET + 3 * se, (m, per_5y.mean(), se)
        amber = (lo[FIVE_YEARS:] > CUSUM_WARN * h).mean(axis=0)
        se = amber.std(ddof=1) / np.sqrt(len(amber))
        assert amber.mean() < 0.05 + 3 * se, (m, amber.mean(), se)
    assert CUSUM_BUDGET + ADWIN_BUDGET <= 1.0


def test_adwin_false_alarms_within_budget():
    # 240 streams (252-session reference), 1260 sessions counted after 1260 of start-up;
    # 3 standard errors of the mean over streams. The previous ADWIN (min(z, 5)^2, delta
    # 0.01) gives 0.31 here.
    z, _, _ = _monitor(240, 2 * FIVE_YEARS, 252, seed=9)
    count = np.array([(adwin_alarms(z[:, j])[FIVE_YEARS:] == 1).sum() for j in range(240)])
    assert count.mean() < ADWIN_BUDGET + 3 * count.std(ddof=1) / np.sqrt(240), count.mean()


def _first(flags: np.ndarray) -> np.ndarray:
    return np.where(flags.any(axis=0), flags.argmax(axis=0) + 1.0, np.inf)


def test_sharpe_collapse_and_volatility_doubling_delays():
    # Sharpe 1.5 -> 0 from the first monitored session. Issue target: median <= 250; the
    # benchmark measures ~250 with a 2016-session reference, ~350 with 252 (the reference
    # mean is then known to +-0.063 sigma, two thirds of the 0.094 sigma shift; a tenth of
    # those streams are not caught in 2000 sessions). Guard the measured levels, 300
    # streams each, 1500 sessions watched.
    for m, caught, low, high in ((252, 0.8, 280, 450), (2016, 0.95, 200, 300)):
        _, s, base = _monitor(300, 1500, m, seed=11 + m, shift=-SHARPE_SHIFT)
        d = _first(cusum_paths(s, h=base.threshold)[2] == -1)
        assert np.isfinite(d).mean() > caught and low < np.median(d) < high, (m, np.median(d))
    z, _, _ = _monitor(100, 750, 252, seed=13)
    z[500:] *= 2.0  # volatility doubles after 500 monitored sessions
    flags = np.column_stack([adwin_alarms(z[:, j])[500:] == 1 for j in range(100)])
    assert np.median(_first(flags)) <= 20


def test_detect_by_hand_and_names_alarms_with_dates():
    # A reference of +-1 % around 0.1 % (126 each): standardized +-sqrt(251/252), center 0,
    # spread 1. Monitored z = -4, -1, -1: scores -1.5 (clipped), -1, -1, so
    # S- = 1.5 - k, 2.5 - 2k, 3.5 - 3k (raw returns would give 4 - k first).
    days = pd.bdate_range("2020-01-01", periods=255)
    ref = pd.Series(0.001 + 0.01 * np.tile([1.0, -1.0], 126), index=days[:252])
    vol = 0.01 * np.sqrt(252 / 251)
    mon = pd.Series(0.001 + vol * np.array([-4.0, -1.0, -1.0]), index=days[252:])
    found = detect(mon, ref)
    k = CUSUM_K
    assert found.to_frame()["cusum_down"].tolist() == pytest.approx(
        [1.5 - k, 2.5 - 2 * k, 3.5 - 3 * k]
    )
    assert found.threshold == CUSUM_H[252]

    rng = np.random.default_rng(3)
    days = pd.bdate_range("2020-01-01", periods=600)
    ref = pd.Series(rng.normal(0.001, 0.01, 1000))
    r = pd.Series(rng.normal(0.001, 0.01, 600), index=days)
    r.iloc[300:] = rng.normal(-0.004, 0.02, 300)  # mean down 0.5 sigma, volatility doubled
    found = detect(r, ref)
    kinds = {(a.detector, a.direction) for a in found.recent(days[300])}
    assert ("cusum", -1) in kinds and ("adwin", 1) in kinds
    assert not found.recent(days[-1] + pd.Timedelta(days=1))
    assert found.to_frame().index.equals(days)


def test_bad_input_is_one_error():
    with pytest.raises(HealthError, match="positive vol"):
        standardize(np.ones(3), 0.0, 0.0)
    with pytest.raises(HealthError, match="NaN"):
        standardize(np.array([1.0, np.nan]), 0.0, 1.0)
    with pytest.raises(HealthError, match="positive vol"):
        Baseline.fit(np.ones(300))
    with pytest.raises(HealthError, match="252"):
        detect(pd.Series([0.01, -0.01]), pd.Series(np.tile([0.01, -0.01], 50)))

"""Change detection on a strategy's returns: a robust CUSUM for the mean and ADWIN for the
volatility, both against the backtest's *reference* period.

Returns are standardized by the reference's daily mean and volatility,
``z = (r - mu) / sigma``, so a strategy that behaves as backtested gives z ~ (0, 1):

* **CUSUM** (Page 1954; two-sided, Montgomery, *Introduction to Statistical Quality
  Control*, ch. 9) on Huber scores (Huber 1964) ``s = (clip(z, -c, c) - center) / spread``,
  ``center`` and ``spread`` those of the clipped reference (a winsorized CUSUM):
  ``S+ = max(0, S+ + s - k)``, ``S- = max(0, S- - s - k)``, an alarm when either passes
  ``h``, then both restart at 0. ``k`` is half the shift to detect: a Sharpe collapse from
  1.5 to 0 moves the daily mean by 1.5/sqrt(252) = 0.094 sigma. Clipping at
  :data:`HUBER_C` keeps one crash day from carrying the statistic a third of the way to
  an alarm and, on fat-tailed returns, reads the mean with less noise (on Student-t(5)
  returns 96 % of the maximum-likelihood information against 80 % for raw returns).
* **ADWIN** (Bifet & Gavaldà 2007, river's ``drift.ADWIN``) on ``min(z, 3)^2``: it keeps
  the longest recent window whose mean is consistent and drops the older part when two
  sub-windows differ; squared standardized returns have mean 1 while the volatility is as
  backtested and 4 once it doubles (0.91 and 2.63 once clipped).

The reference's mean and volatility are *estimates*: from 252 sessions the mean is known
only to +-0.063 sigma, two thirds of the shift to detect, so a threshold calibrated with
known parameters alarms far more often than planned. ``h`` is therefore calibrated per
reference length (:data:`CUSUM_H`, :func:`cusum_threshold`) with the parameters estimated
from a simulated reference of that length, like the card does. The constants come from
``benchmarks/health_detectors.py``: a false-alarm budget of one per five years (1260
sessions) per strategy in steady state, split between the detectors
(:data:`CUSUM_BUDGET`, :data:`ADWIN_BUDGET`), on Student-t(5) returns (daily returns have
fat tails; Gaussian returns alarm less).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from river.drift import ADWIN

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.errors import HealthError

SESSIONS_5Y = 1260
# half the daily shift of a 1.5 -> 0 Sharpe collapse
CUSUM_K = 0.5 * 1.5 / np.sqrt(B3_SESSIONS_PER_YEAR)
HUBER_C = 1.5  # CUSUM clip (sigmas): 96 % of the raw mean's information if Gaussian, 120 % if t5
CUSUM_BUDGET = 0.8  # lower-CUSUM false alarms per 1260 sessions, steady state
ADWIN_BUDGET = 0.2  # ADWIN volatility-up false alarms per 1260 sessions, steady state
# benchmarks/health_detectors.py (seed 20261201, 4000 t5 streams per length): the smallest
# h whose steady-state rate of lower alarms is <= CUSUM_BUDGET when the mean and volatility
# are estimated from a reference of that many sessions
CUSUM_H: dict[int, float] = {252: 29.80, 504: 26.97, 1008: 25.18, 2016: 24.43, 4032: 23.80}
# the same streams: S- passes this share of h on <= 5 % of healthy sessions (AMBER)
CUSUM_WARN = 0.72
ADWIN_DELTA = 0.025  # benchmarks/health_detectors.py: <= ADWIN_BUDGET (t5, 252-session reference)
ADWIN_CLIP = 3.0  # benchmark: vol x2 median 18 sessions at 0.2 false alarms (20 at clip 5)
ADWIN_GRACE = 30  # sessions before ADWIN may first compare sub-windows

Detector = Literal["cusum", "adwin"]


def cusum_threshold(sessions: int) -> float:
    """CUSUM ``h`` for parameters estimated from ``sessions`` reference sessions: linear in
    1/sessions between the calibrated lengths, the longest one's beyond them (a longer
    reference estimates better and would need a lower h: the rate stays within budget)."""
    lengths = np.array(sorted(CUSUM_H))
    if sessions < lengths[0]:
        raise HealthError(
            f"the CUSUM is calibrated for references of {lengths[0]}+ sessions, got {sessions}"
        )
    hs = np.array([CUSUM_H[n] for n in lengths])
    return float(np.interp(1 / min(sessions, lengths[-1]), 1 / lengths[::-1], hs[::-1]))


def standardize(
    returns: pd.Series | np.ndarray, mean: float | np.ndarray, vol: float | np.ndarray
) -> np.ndarray:
    """``(r - mean) / vol`` as float64 (per column for 2-D returns); ``vol`` must be positive
    and finite, returns finite."""
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(vol)) and np.all(vol > 0)):
        raise HealthError(
            f"standardizing needs a finite mean and a positive vol, got {mean}, {vol}"
        )
    r = np.asarray(returns, dtype=np.float64)
    if not np.isfinite(r).all():
        raise HealthError("returns contain NaN or inf; drop the missing sessions first")
    return (r - mean) / vol


@dataclass(frozen=True)
class Baseline:
    """The reference period as the detectors use it, per stream (scalars for one series,
    arrays for the columns of a (T, N) simulation): daily mean and volatility, the mean and
    standard deviation of its clipped standardized returns, its length in sessions."""

    mean: np.ndarray
    vol: np.ndarray
    center: np.ndarray
    spread: np.ndarray
    sessions: int

    @classmethod
    def fit(cls, reference: pd.Series | np.ndarray, clip: float = HUBER_C) -> Baseline:
        """Estimate the baseline from the reference returns (time on axis 0)."""
        r = np.asarray(reference, dtype=np.float64)
        if len(r) < 2:
            raise HealthError(f"a reference needs 2+ sessions, got {len(r)}")
        mean, vol = r.mean(axis=0), r.std(axis=0, ddof=1)
        u = np.clip(standardize(r, mean, vol), -clip, clip)
        return cls(mean, vol, u.mean(axis=0), u.std(axis=0, ddof=1), len(r))

    @property
    def threshold(self) -> float:
        return cusum_threshold(self.sessions)

    def scores(self, z: np.ndarray, clip: float = HUBER_C) -> np.ndarray:
        """The CUSUM's input: standardized returns ``z`` clipped and centered like the
        reference's, in units of their spread."""
        return (np.clip(z, -clip, clip) - self.center) / self.spread


def cusum_paths(
    s: np.ndarray, k: float = CUSUM_K, h: float | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper and lower CUSUM statistics and the alarm flags of one or many streams.

    ``s`` is (T,) or (T, N) scores (time on axis 0); ``h`` defaults to the threshold of a
    252-session reference. Both statistics restart at 0 after an alarm. Returns arrays
    shaped like ``s``: S+, S- and alarm (+1 upper, -1 lower, 0 none).
    """
    h = cusum_threshold(min(CUSUM_H)) if h is None else h
    s = np.asarray(s, dtype=np.float64)
    up = np.zeros_like(s)
    lo = np.zeros_like(s)
    alarm = np.zeros(s.shape, dtype=np.int8)
    s_up = np.zeros(s.shape[1:])
    s_lo = np.zeros(s.shape[1:])
    for t in range(len(s)):
        s_up = np.maximum(0.0, s_up + s[t] - k)
        s_lo = np.maximum(0.0, s_lo - s[t] - k)
        up[t], lo[t] = s_up, s_lo
        hit_up, hit_lo = s_up > h, s_lo > h
        alarm[t] = np.where(hit_lo, -1, np.where(hit_up, 1, 0))
        hit = hit_up | hit_lo
        s_up = np.where(hit, 0.0, s_up)
        s_lo = np.where(hit, 0.0, s_lo)
    return up, lo, alarm


def adwin_alarms(z: np.ndarray, delta: float = ADWIN_DELTA, clip: float = ADWIN_CLIP) -> np.ndarray:
    """ADWIN on clipped squared standardized returns of one stream: +1 where it detected a
    rise of the variance, -1 a fall, 0 elsewhere (river's ADWIN, checked every session)."""
    x = np.minimum(np.asarray(z, dtype=np.float64) ** 2, clip**2)
    det = ADWIN(delta=delta, clock=1, grace_period=ADWIN_GRACE)
    out = np.zeros(len(x), dtype=np.int8)
    for t, v in enumerate(x.tolist()):
        before = det.estimation
        det.update(v)
        if det.drift_detected:
            out[t] = 1 if det.estimation > before else -1
    return out


@dataclass(frozen=True)
class Alarm:
    """One detector firing: when, which detector, which way (+1 up, -1 down)."""

    date: pd.Timestamp
    detector: Detector
    direction: int

    def __str__(self) -> str:
        what = {
            ("cusum", -1): "returns below backtest",
            ("cusum", 1): "returns above backtest",
            ("adwin", 1): "volatility up",
            ("adwin", -1): "volatility down",
        }[(self.detector, self.direction)]
        return f"{what} ({self.detector}, {self.date:%Y-%m-%d})"


@dataclass(frozen=True, eq=False)
class Detection:
    """Both detectors over one return series."""

    statistics: pd.DataFrame  # date -> z, score, cusum_up, cusum_down, cusum_alarm, adwin_alarm
    alarms: tuple[Alarm, ...]
    threshold: float  # the CUSUM's h for this reference length

    def recent(self, since: pd.Timestamp) -> tuple[Alarm, ...]:
        """Alarms on or after ``since``."""
        return tuple(a for a in self.alarms if a.date >= since)

    def to_frame(self) -> pd.DataFrame:
        return self.statistics


def detect(returns: pd.Series, reference: pd.Series) -> Detection:
    """Run the CUSUM and ADWIN over ``returns`` against the backtest's ``reference`` returns
    (their mean and volatility standardize, their length sets the CUSUM threshold)."""
    r = pd.Series(returns, dtype=float).dropna()
    base = Baseline.fit(pd.Series(reference, dtype=float).dropna())
    z = standardize(r, base.mean, base.vol)
    s = base.scores(z)
    up, lo, cus = cusum_paths(s, h=base.threshold)
    adw = adwin_alarms(z)
    stats = pd.DataFrame(
        {"z": z, "score": s, "cusum_up": up, "cusum_down": lo, "cusum_alarm": cus}
        | {"adwin_alarm": adw},
        index=r.index,
    )
    kinds: tuple[tuple[Detector, np.ndarray], ...] = (("cusum", cus), ("adwin", adw))
    alarms = [
        Alarm(pd.Timestamp(r.index[t]), kind, int(flags[t]))
        for kind, flags in kinds
        for t in np.flatnonzero(flags).tolist()
    ]
    return Detection(stats, tuple(sorted(alarms, key=lambda a: a.date)), base.threshold)

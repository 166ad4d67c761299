"""Change detection on a strategy's returns: a standardized CUSUM for the mean and ADWIN
for the volatility.

Returns are standardized by the backtest's own daily mean and volatility,
``z = (r - mu) / sigma``, so a strategy that behaves as backtested gives z ~ (0, 1):

* **CUSUM** (Page 1954; two-sided, Montgomery, *Introduction to Statistical Quality
  Control*, ch. 9): ``S+ = max(0, S+ + z - k)``, ``S- = max(0, S- - z - k)``, an alarm when
  either passes ``h``, then both restart at 0. ``k`` is half the shift to detect: a Sharpe
  collapse from 1.5 to 0 moves the daily mean by 1.5/sqrt(252) = 0.094 sigma.
* **ADWIN** (Bifet & Gavaldà 2007, river's ``drift.ADWIN``) on ``min(z, 5)^2``: it keeps the
  longest recent window whose mean is consistent and drops the older part when two
  sub-windows differ; squared standardized returns have mean 1 while the volatility is as
  backtested and 4 once it doubles. Clipping at 5 sigma keeps one crash from being
  read as a regime.

``h`` and ``delta`` are calibrated by simulation (``benchmarks/health_detectors.py``) to
a false-alarm budget of one per five years (1260 sessions) per strategy, split between
the two detectors (:data:`CUSUM_BUDGET`, :data:`ADWIN_BUDGET`), on Student-t(5) returns
(daily returns have fat tails; Gaussian returns alarm less).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd
from river.drift import ADWIN

from research_core.errors import HealthError

SESSIONS_5Y = 1260
CUSUM_K = 0.5 * 1.5 / np.sqrt(252)  # half the daily shift of a 1.5 -> 0 Sharpe collapse
CUSUM_H = 24.26  # benchmarks/health_detectors.py: 0.7 card-raising false alarms / 1260 (t5)
CUSUM_BUDGET = 0.7
ADWIN_DELTA = 0.01  # benchmarks/health_detectors.py: <= 0.3 card-raising false alarms (t5)
ADWIN_BUDGET = 0.3
ADWIN_CLIP = 5.0
ADWIN_GRACE = 30  # sessions before ADWIN may first compare sub-windows

Detector = Literal["cusum", "adwin"]


def standardize(returns: pd.Series | np.ndarray, mean: float, vol: float) -> np.ndarray:
    """``(r - mean) / vol`` as float64; ``vol`` must be positive and finite, returns finite."""
    if not (np.isfinite(mean) and np.isfinite(vol) and vol > 0):
        raise HealthError(
            f"standardizing needs a finite mean and a positive vol, got {mean}, {vol}"
        )
    r = np.asarray(returns, dtype=np.float64)
    if not np.isfinite(r).all():
        raise HealthError("returns contain NaN or inf; drop the missing sessions first")
    return (r - mean) / vol


def cusum_paths(
    z: np.ndarray, k: float = CUSUM_K, h: float = CUSUM_H
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Upper and lower CUSUM statistics and the alarm flags of one or many streams.

    ``z`` is (T,) or (T, N) standardized returns (time on axis 0); both statistics restart
    at 0 after an alarm. Returns arrays shaped like ``z``: S+, S- and alarm (+1 upper,
    -1 lower, 0 none).
    """
    z = np.asarray(z, dtype=np.float64)
    up = np.zeros_like(z)
    lo = np.zeros_like(z)
    alarm = np.zeros(z.shape, dtype=np.int8)
    s_up = np.zeros(z.shape[1:])
    s_lo = np.zeros(z.shape[1:])
    for t in range(len(z)):
        s_up = np.maximum(0.0, s_up + z[t] - k)
        s_lo = np.maximum(0.0, s_lo - z[t] - k)
        up[t], lo[t] = s_up, s_lo
        hit_up, hit_lo = s_up > h, s_lo > h
        alarm[t] = np.where(hit_lo, -1, np.where(hit_up, 1, 0))
        hit = hit_up | hit_lo
        s_up = np.where(hit, 0.0, s_up)
        s_lo = np.where(hit, 0.0, s_lo)
    return up, lo, alarm


def adwin_alarms(z: np.ndarray, delta: float = ADWIN_DELTA) -> np.ndarray:
    """ADWIN on clipped squared standardized returns of one stream: +1 where it detected a
    rise of the variance, -1 a fall, 0 elsewhere (river's ADWIN, checked every session)."""
    x = np.minimum(np.asarray(z, dtype=np.float64) ** 2, ADWIN_CLIP**2)
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

    statistics: pd.DataFrame  # date -> z, cusum_up, cusum_down, cusum_alarm, adwin_alarm
    alarms: tuple[Alarm, ...]

    def recent(self, since: pd.Timestamp) -> tuple[Alarm, ...]:
        """Alarms on or after ``since``."""
        return tuple(a for a in self.alarms if a.date >= since)

    def to_frame(self) -> pd.DataFrame:
        return self.statistics


def detect(returns: pd.Series, *, mean: float, vol: float) -> Detection:
    """Run CUSUM and ADWIN over ``returns`` standardized by the backtest's ``mean``/``vol``."""
    r = pd.Series(returns, dtype=float).dropna()
    z = standardize(r, mean, vol)
    up, lo, cus = cusum_paths(z)
    adw = adwin_alarms(z)
    stats = pd.DataFrame(
        {"z": z, "cusum_up": up, "cusum_down": lo, "cusum_alarm": cus, "adwin_alarm": adw},
        index=r.index,
    )
    kinds: tuple[tuple[Detector, np.ndarray], ...] = (("cusum", cus), ("adwin", adw))
    alarms = [
        Alarm(pd.Timestamp(r.index[t]), kind, int(flags[t]))
        for kind, flags in kinds
        for t in np.flatnonzero(flags).tolist()
    ]
    return Detection(stats, tuple(sorted(alarms, key=lambda a: a.date)))


# ---- simulation: the calibration and the delays the benchmark and the tests measure ----
def null_streams(n: int, length: int, seed: int, df: float | None = 5.0) -> np.ndarray:
    """(length, n) standardized returns of strategies behaving as backtested: Student-t with
    ``df`` degrees of freedom scaled to unit variance (Gaussian when ``df`` is None)."""
    rng = np.random.default_rng(seed)
    if df is None:
        return rng.standard_normal((length, n))
    return rng.standard_t(df, (length, n)) / np.sqrt(df / (df - 2))


CARD_DIRECTION: dict[Detector, int] = {"cusum": -1, "adwin": 1}  # the alarms a card acts on


def false_alarms_per_5y(z: np.ndarray, detector: Detector, **kw: float) -> float:
    """Mean number of alarms per 1260 sessions on null streams ``z`` (T, N), counting the
    alarms that change a health card (:data:`CARD_DIRECTION`: returns below the backtest,
    volatility up); the others are shown but raise nothing. Use long streams (many times
    1260 sessions): the rate after a restart is higher than from a fresh start."""
    way = CARD_DIRECTION[detector]
    if detector == "cusum":
        count = (cusum_paths(z, **kw)[2] == way).sum()
    else:
        count = sum((adwin_alarms(z[:, j], **kw) == way).sum() for j in range(z.shape[1]))
    return float(count) / z.shape[1] * SESSIONS_5Y / len(z)


def detection_delays(
    z: np.ndarray, change: int, detector: Detector, direction: int, **kw: float
) -> np.ndarray:
    """Sessions from ``change`` to the first alarm in ``direction`` at or after it, per
    stream (inf if none); streams that alarmed before the change are restarted there,
    as a monitor would be after its alarm was reviewed."""
    post = z[change:]
    if detector == "cusum":
        flags = cusum_paths(post, **kw)[2] == direction
    else:
        # ADWIN needs the pre-change window to compare with: run it over the whole stream.
        flags = np.column_stack(
            [adwin_alarms(z[:, j], **kw)[change:] == direction for j in range(z.shape[1])]
        )
    first = np.where(flags.any(axis=0), flags.argmax(axis=0), np.inf)
    return first + np.where(np.isfinite(first), 1, 0)

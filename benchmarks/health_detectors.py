"""Calibrate the health detectors by simulation and measure their detection delays.

Null streams: standardized returns of a strategy behaving as backtested, Student-t(5)
scaled to unit variance (fat-tailed like daily returns; Gaussian figures printed too).
False alarms are the ones that change a health card (returns below the backtest, volatility
up), counted per 1260 sessions (five years) on long streams (8 x 1260 sessions), detectors
restarting after each alarm: the steady-state rate. The budget of one false alarm per five
years per strategy is split between the CUSUM (``CUSUM_BUDGET``) and ADWIN
(``ADWIN_BUDGET``); the constants in ``research_core/health/detectors.py`` come from this
script's output.

Changes: a Sharpe collapse from 1.5 to 0 (the daily mean drops by 1.5/sqrt(252) sigma)
and a volatility doubling, both after 500 sessions as backtested.

    python benchmarks/health_detectors.py [--streams N] [--seed S]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence

import numpy as np

from research_core.health.detectors import (
    ADWIN_BUDGET,
    ADWIN_DELTA,
    CUSUM_BUDGET,
    CUSUM_H,
    CUSUM_K,
    SESSIONS_5Y,
    detection_delays,
    false_alarms_per_5y,
    null_streams,
)

CHANGE = 500
SHARPE_SHIFT = 1.5 / np.sqrt(252)


def calibrate_h(z0: np.ndarray, budget: float, k: float = CUSUM_K) -> float:
    """Smallest CUSUM threshold (to 0.01) whose false-alarm rate on ``z0`` is <= budget."""
    lo, hi = 1.0, 100.0
    while hi - lo > 0.01:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if false_alarms_per_5y(z0, "cusum", k=k, h=mid) > budget else (lo, mid)
    return round(hi, 2)


def calibrate_delta(z0: np.ndarray, budget: float) -> float:
    """Largest ADWIN delta on a log grid whose false-alarm rate on ``z0`` is <= budget."""
    best = 1e-6
    for delta in np.geomspace(1e-3, 0.1, 21):
        if false_alarms_per_5y(z0, "adwin", delta=float(delta)) <= budget:
            best = float(delta)
    return float(f"{best:.2g}")


def _q(d: np.ndarray) -> str:
    caught = np.isfinite(d).mean()
    return f"median {np.median(d):.0f}, p90 {np.percentile(d, 90):.0f} ({caught:.0%} caught)"


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--streams", type=int, default=2000, help="simulated streams per figure")
    p.add_argument("--seed", type=int, default=20261201)
    p.add_argument("--budgets", default="0.25,0.5,1,1.5,2,3", help="trade-off rows (FA / 5y)")
    a = p.parse_args(argv)
    n, seed = a.streams, a.seed
    # steady state: long streams (8 x 5 years) with restarts after each alarm, the same
    # number of sessions as n five-year streams
    long_n, long_t = max(n // 8, 1), 8 * SESSIONS_5Y
    z0 = null_streams(long_n, long_t, seed)
    h = calibrate_h(z0, CUSUM_BUDGET)
    delta = calibrate_delta(z0[:, : max(long_n // 2, 1)], ADWIN_BUDGET)
    print(f"calibrated on {long_n} t5 streams of {long_t} sessions: CUSUM k={CUSUM_K:.4f}")
    print(f"  CUSUM h = {h} for <= {CUSUM_BUDGET} false alarms / 5y (shipped {CUSUM_H})")
    print(
        f"  ADWIN delta = {delta} for <= {ADWIN_BUDGET} false alarms / 5y (shipped {ADWIN_DELTA})"
    )

    fresh = null_streams(long_n, long_t, seed + 1)
    gauss = null_streams(long_n, long_t, seed + 2, df=None)
    out: dict[str, float] = {}
    for name, z in (("t5", fresh), ("gaussian", gauss)):
        fa_c = false_alarms_per_5y(z, "cusum")
        fa_a = false_alarms_per_5y(z[:, : max(long_n // 2, 1)], "adwin")
        out[f"false_alarms_{name}"] = fa_c + fa_a
        print(
            f"card-raising false alarms per 5y, shipped constants, new {name} streams: "
            f"CUSUM {fa_c:.3f} + ADWIN {fa_a:.3f} = {fa_c + fa_a:.3f} (target <= 1)"
        )

    shift = null_streams(n, CHANGE + 3000, seed + 3)
    shift[CHANGE:] -= SHARPE_SHIFT
    d = detection_delays(shift, CHANGE, "cusum", -1)
    out["sharpe_median"], out["sharpe_p90"] = float(np.median(d)), float(np.percentile(d, 90))
    print(f"Sharpe 1.5 -> 0, CUSUM delay (sessions): {_q(d)} (target median <= 250)")

    vol = null_streams(max(n // 4, 1), CHANGE + 250, seed + 4)
    vol[CHANGE:] *= 2.0
    d = detection_delays(vol, CHANGE, "adwin", 1)
    out["vol_median"], out["vol_p90"] = float(np.median(d)), float(np.percentile(d, 90))
    print(f"volatility x2, ADWIN delay (sessions): {_q(d)} (target median <= 20)")

    print("trade-off: CUSUM false alarms / 5y -> Sharpe-collapse median delay")
    for budget in (float(b) for b in a.budgets.split(",")):
        hb = calibrate_h(z0, budget)
        db = detection_delays(shift, CHANGE, "cusum", -1, h=hb)
        print(f"  {budget:4.2f} (h={hb:5.2f}): {_q(db)}")
    return out


if __name__ == "__main__":
    main()

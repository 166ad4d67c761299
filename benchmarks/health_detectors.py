"""Calibrate the health detectors by simulation, with the parameters estimated as the card
estimates them, and measure their detection delays and the cards' status on healthy data.

Streams: daily returns of a strategy behaving as backtested, Student-t(5) scaled to unit
variance (fat-tailed like daily returns; Gaussian figures printed too). Each stream has
its own reference period of ``m`` sessions, from which the card's mean and volatility are
estimated (``Baseline.fit``); the monitored sessions are standardized with those
estimates, never the true ones.

False alarms are the ones that change a card (returns below the backtest, volatility up),
counted per 1260 sessions (five years) in steady state: over 3 x 1260 monitored sessions
the detectors restart after each alarm, the reference stays fixed, and the alarms of the
first 1260 (the start-up from 0, which alarms less) are not counted. The budget of one
false alarm per five years per strategy is split between the CUSUM (``CUSUM_BUDGET``) and
ADWIN (``ADWIN_BUDGET``). The CUSUM threshold is calibrated per reference length
(``CUSUM_H``), the AMBER warning share of it (``CUSUM_WARN``) so that at most 5 % of
healthy sessions show it, ADWIN's delta on a 252-session reference (the shortest the
card accepts). The constants in ``research_core/health/detectors.py`` are this script's
output at its defaults.

Changes: a Sharpe collapse from 1.5 to 0 (the daily mean drops by 1.5/sqrt(252) sigma)
from the first monitored session, and a volatility doubling after 500 monitored sessions
(ADWIN compares the monitored stream with itself). "Before" rows rerun the constants of
the previous round (raw returns, h 24.26 for any reference, AMBER at half of h, ADWIN on
min(z, 5)^2 with delta 0.01) on the same kind of streams.

    python benchmarks/health_detectors.py [--streams N] [--seed S] [--cards N]
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import NamedTuple

import numpy as np
import pandas as pd

from research_core.health.card import MONITOR, assess
from research_core.health.detectors import (
    ADWIN_BUDGET,
    ADWIN_CLIP,
    ADWIN_DELTA,
    CUSUM_BUDGET,
    CUSUM_H,
    CUSUM_K,
    CUSUM_WARN,
    HUBER_C,
    SESSIONS_5Y,
    Baseline,
    adwin_alarms,
    cusum_paths,
    cusum_threshold,
    standardize,
)

REFERENCES = (252, 504, 1008, 2016, 4032)
CHANGE = 500
SHARPE_SHIFT = 1.5 / np.sqrt(252)
WARM = SESSIONS_5Y  # sessions of start-up not counted in the steady-state rates
AMBER_SHARE = 0.05  # healthy sessions past the warning level


class Setting(NamedTuple):
    """One set of detector constants; ``h`` None means the shipped table by reference."""

    clip: float = HUBER_C
    h: float | None = None
    warn: float = CUSUM_WARN
    adwin_clip: float = ADWIN_CLIP
    adwin_delta: float = ADWIN_DELTA

    def threshold(self, m: int) -> float:
        return cusum_threshold(m) if self.h is None else self.h


SHIPPED = Setting()
BEFORE = Setting(clip=np.inf, h=24.26, warn=0.5, adwin_clip=5.0, adwin_delta=0.01)


def null_streams(n: int, length: int, seed: int, df: float | None = 5.0) -> np.ndarray:
    """(length, n) returns of unit variance: Student-t(df), Gaussian when ``df`` is None."""
    rng = np.random.default_rng(seed)
    if df is None:
        return rng.standard_normal((length, n))
    return rng.standard_t(df, (length, n)) / np.sqrt(df / (df - 2))


def streams(
    n: int,
    length: int,
    m: int,
    seed: int,
    clip: float,
    *,
    df: float | None = 5.0,
    shift: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Standardized returns ``z`` and CUSUM scores of ``n`` monitored streams (mean moved by
    ``shift`` sigma), both from the baseline estimated on each stream's own ``m``-session
    reference."""
    base = Baseline.fit(null_streams(n, m, seed + 7919, df), clip=clip)
    z = standardize(null_streams(n, length, seed, df) + shift, base.mean, base.vol)
    return z, base.scores(z, clip=clip)


def lower_rate(s: np.ndarray, h: float) -> np.ndarray:
    """Per stream: lower-CUSUM alarms per 1260 sessions after the first ``WARM``."""
    alarms = cusum_paths(s, h=h)[2][WARM:] == -1
    return alarms.sum(axis=0) * SESSIONS_5Y / (len(s) - WARM)


def calibrate_h(s: np.ndarray, budget: float) -> float:
    """Smallest threshold (to 0.01) whose mean steady-state rate on ``s`` is <= budget."""
    lo, hi = 5.0, 80.0
    while hi - lo > 0.01:
        mid = 0.5 * (lo + hi)
        lo, hi = (mid, hi) if lower_rate(s, mid).mean() > budget else (lo, mid)
    return round(hi + 0.005, 2)


def amber_days(s: np.ndarray, h: float, warn: float) -> float:
    """Share of steady-state sessions whose lower CUSUM is past ``warn`` x h (AMBER)."""
    return float((cusum_paths(s, h=h)[1][WARM:] > warn * h).mean())


def adwin_rate(z: np.ndarray, setting: Setting) -> float:
    """ADWIN volatility-up alarms per 1260 sessions after the first ``WARM``, mean."""
    count = sum(
        (adwin_alarms(z[:, j], setting.adwin_delta, setting.adwin_clip)[WARM:] == 1).sum()
        for j in range(z.shape[1])
    )
    return float(count) / z.shape[1] * SESSIONS_5Y / (len(z) - WARM)


def calibrate_delta(z: np.ndarray, budget: float) -> float:
    """Largest ADWIN delta on a log grid whose steady-state rate on ``z`` is <= budget."""
    best = 1e-4
    for delta in np.geomspace(0.004, 0.1, 15):
        if adwin_rate(z, Setting(adwin_delta=float(delta))) <= budget:
            best = float(delta)
    return float(f"{best:.2g}")


def first_alarm(flags: np.ndarray) -> np.ndarray:
    """Sessions to each stream's first flag, counting the flagged one (inf if none)."""
    return np.where(flags.any(axis=0), flags.argmax(axis=0) + 1.0, np.inf)


def sharpe_delays(
    n: int, m: int, seed: int, setting: Setting, h: float | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Sessions from a Sharpe collapse at the first monitored session to the RED alarm and
    to the first AMBER warning, per stream (2000 sessions watched)."""
    h = setting.threshold(m) if h is None else h
    s = streams(n, 2000, m, seed, setting.clip, shift=-SHARPE_SHIFT)[1]
    _, lo, alarm = cusum_paths(s, h=h)
    return first_alarm(alarm == -1), first_alarm(lo > setting.warn * h)


def vol_delays(n: int, seed: int, setting: Setting) -> np.ndarray:
    """ADWIN delays of a volatility doubling after ``CHANGE`` sessions (252 reference)."""
    z, _ = streams(n, CHANGE + 250, 252, seed, setting.clip)
    z[CHANGE:] *= 2.0
    flags = np.column_stack(
        [
            adwin_alarms(z[:, j], setting.adwin_delta, setting.adwin_clip)[CHANGE:] == 1
            for j in range(n)
        ]
    )
    return first_alarm(flags)


def card_shares(n: int, m: int, seed: int) -> dict[str, float]:
    """Status shares of ``assess`` (backtest mode: the last 504 sessions against the ``m``
    before) on healthy backtests: Sharpe 1.5 at 1 % daily volatility, t5 returns."""
    days = pd.bdate_range("2000-01-03", periods=m + MONITOR)
    r = 0.01 * (SHARPE_SHIFT + null_streams(n, len(days), seed))
    status = [assess("SIM", pd.Series(r[:, j], index=days), days[-1]).status for j in range(n)]
    return {s: status.count(s) / n for s in ("GREEN", "AMBER", "RED")}


def _q(d: np.ndarray) -> str:
    caught = np.isfinite(d).mean()
    return f"median {np.median(d):.0f}, p90 {np.percentile(d, 90):.0f} ({caught:.0%} caught)"


def calibrate(n: int, seed: int, lengths: Sequence[int]) -> tuple[dict[int, float], float]:
    """CUSUM h per reference length for ``CUSUM_BUDGET`` and the warning share of h passed
    on at most ``AMBER_SHARE`` of healthy sessions (the largest over the lengths)."""
    table, warn = {}, 0.0
    for i, m in enumerate(lengths):
        s = streams(n, 3 * WARM, m, seed + 10 * i, HUBER_C)[1]
        h = table[m] = calibrate_h(s, CUSUM_BUDGET)
        lo = cusum_paths(s, h=h)[1][WARM:]
        warn = max(warn, float(np.quantile(lo, 1 - AMBER_SHARE)) / h)
        print(f"  m = {m:4d}: h = {h:5.2f} (shipped {CUSUM_H.get(m, float('nan')):5.2f})")
    return table, float(np.ceil(warn * 100) / 100)


def rates(n: int, m: int, seed: int, setting: Setting, df: float | None = 5.0) -> dict[str, float]:
    """CUSUM false alarms per 5 y (steady state, mean and standard error; and the first
    1260 sessions from the start) and the share of AMBER sessions, on new streams."""
    h = setting.threshold(m)
    s = streams(n, 3 * WARM, m, seed, setting.clip, df=df)[1]
    per = lower_rate(s, h)
    first = (cusum_paths(s[:WARM], h=h)[2] == -1).sum(axis=0)
    return {
        "fa": float(per.mean()),
        "se": float(per.std(ddof=1) / np.sqrt(n)),
        "first": float(first.mean()),
        "amber": amber_days(s, h, setting.warn),
    }


def report_setting(
    name: str, n: int, n_adwin: int, seed: int, setting: Setting, lengths: Sequence[int]
) -> dict[str, float]:
    """The figures the issue asks for, for one set of constants."""
    out: dict[str, float] = {}
    z = streams(n_adwin, 3 * WARM, 252, seed + 1, setting.clip)[0]
    out["adwin_fa"] = fa_a = adwin_rate(z, setting)
    print(f"{name}: ADWIN volatility-up false alarms / 5y (252 reference): {fa_a:.3f}")
    for m in lengths:
        r = rates(n, m, seed + m, setting)
        out[f"cusum_fa_{m}"], out[f"amber_{m}"] = r["fa"], r["amber"]
        print(
            f"  m = {m:4d}: CUSUM {r['fa']:.3f} +- {r['se']:.3f} (first 5y {r['first']:.3f})"
            f" + ADWIN = {r['fa'] + fa_a:.2f} false alarms / 5y; "
            f"AMBER (lower CUSUM past {setting.warn:.2f} h) on {r['amber']:.1%} of sessions"
        )
    g = rates(n, 252, seed + 3, setting, df=None)
    print(f"  gaussian, m = 252: CUSUM {g['fa']:.3f}, AMBER sessions {g['amber']:.1%}")
    for m in lengths:
        red, amber = sharpe_delays(max(n // 2, 2), m, seed + 5 + m, setting)
        out[f"sharpe_{m}"] = float(np.median(red))
        print(
            f"  Sharpe 1.5 -> 0, m = {m:4d}: RED {_q(red)}; first AMBER median "
            f"{np.median(amber):.0f}"
        )
    vol = vol_delays(max(n_adwin, 2), seed + 6, setting)
    out["vol"] = float(np.median(vol))
    print(f"  volatility x2 (ADWIN): {_q(vol)}")
    return out


def tradeoff(n: int, seed: int, budgets: Sequence[float], lengths: Sequence[int]) -> None:
    """Median Sharpe-collapse delay against the CUSUM's false-alarm budget, per reference."""
    print("trade-off: CUSUM false alarms / 5y -> Sharpe-collapse median delay (sessions)")
    for m in lengths:
        s = streams(n, 3 * WARM, m, seed + m, HUBER_C)[1]
        cells = []
        for budget in budgets:
            h = calibrate_h(s, budget)
            red, _ = sharpe_delays(n, m, seed + 2 * m, SHIPPED, h=h)
            cells.append(f"{budget:.2f}: {np.median(red):.0f}")
        print(f"  m = {m:4d}: " + ", ".join(cells))


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    p = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    p.add_argument("--streams", type=int, default=4000, help="CUSUM streams per figure")
    p.add_argument("--seed", type=int, default=20261201)
    p.add_argument("--cards", type=int, default=300, help="healthy backtests assessed")
    p.add_argument("--budgets", default="0.6,0.8,1,1.25,1.5", help="trade-off (FA / 5y)")
    p.add_argument("--lengths", default=",".join(map(str, REFERENCES)), help="references")
    a = p.parse_args(argv)
    n, seed, n_adwin = a.streams, a.seed, max(a.streams // 20, 2)
    lengths = [int(m) for m in a.lengths.split(",")]
    print(f"CUSUM k = {CUSUM_K:.4f}, Huber clip {HUBER_C} sigma; t5 streams, estimated params")
    print(f"calibration ({n} streams per reference length, {CUSUM_BUDGET} false alarms / 5y):")
    table, warn = calibrate(n, seed, lengths)
    print(f"  AMBER warning at {warn:.2f} h (shipped {CUSUM_WARN}) for <= {AMBER_SHARE:.0%}")
    z = streams(n_adwin, 3 * WARM, 252, seed + 99, HUBER_C)[0]
    delta = calibrate_delta(z, ADWIN_BUDGET)
    print(f"  ADWIN delta = {delta} for <= {ADWIN_BUDGET} (shipped {ADWIN_DELTA})")
    out = {f"h_{m}": h for m, h in table.items()} | {"warn": warn, "delta": delta}
    for name, setting in (("before", BEFORE), ("after", SHIPPED)):
        got = report_setting(name, n, n_adwin, seed + 1000, setting, lengths)
        out |= {f"{name}_{k}": v for k, v in got.items()}
    for m in (lengths[0], lengths[-1]):
        shares = card_shares(a.cards, m, seed + 2000 + m)
        out |= {f"card_{m}_{s}": v for s, v in shares.items()}
        text = ", ".join(f"{s} {v:.1%}" for s, v in shares.items())
        print(f"healthy cards (assess, backtest mode, {m}-session reference): {text}")
    tradeoff(max(n // 2, 2), seed + 3000, [float(b) for b in a.budgets.split(",")], lengths)
    return out


if __name__ == "__main__":
    main()

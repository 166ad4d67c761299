"""Unit returns and carry recomputed by hand from the test lake's rows, with the formulas
of ``research_core.pnl``'s docstring (zero-coupon DI1 / NTN-B Principal, par Treasury with
a semiannual coupon, CDS protection at RPV01, FX spot less the rate differential, futures
as price returns; USD P&L translated at each day's USD/BRL; rates carry and roll-down as
one session held on the unchanged, log-linear curve) — no package code is called.

The test lake's funding rates and IPCA expectation are constants (``CONSTANT``) and every
daily series lives on the same B3 sessions, so each session's return uses the previous
session's quote and carry.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from tests.strategies.conftest import CONSTANT, HandLake

CDI, UST3M, IPCA = CONSTANT["BR.CDI"], CONSTANT["US.UST.3M"], CONSTANT["BR.FOCUS.IPCA.12M"]
RECOVERY = 0.4
# instrument -> (kind, quote series, tenor in years, next shorter series in the lake or None)
# (the shorter series: kept for the reader; the carry reads the whole curve, ``PILLARS``)
SPEC = {
    "DI1.1Y": ("di", "BR.DI.1Y", 1.0, None),  # BR.DI.6M is not in the lake: no roll
    "DI1.2Y": ("di", "BR.DI.2Y", 2.0, ("BR.DI.1Y", 1.0)),
    "DI1.3Y": ("di", "BR.DI.3Y", 3.0, ("BR.DI.2Y", 2.0)),
    "DI1.5Y": ("di", "BR.DI.5Y", 5.0, ("BR.DI.3Y", 3.0)),
    "DI1.10Y": ("di", "BR.DI.10Y", 10.0, ("BR.DI.5Y", 5.0)),
    "NTNB.10Y": ("ntnb", "BR.NTNB.10Y", 10.0, ("BR.NTNB.5Y", 5.0)),
    "UST.2Y.FUT": ("ust", "US.UST.2Y", 2.0, ("US.UST.3M", 0.25)),
    "UST.5Y.FUT": ("ust", "US.UST.5Y", 5.0, ("US.UST.2Y", 2.0)),
    "UST.10Y.FUT": ("ust", "US.UST.10Y", 10.0, ("US.UST.5Y", 5.0)),
    "UST.30Y.FUT": ("ust", "US.UST.30Y", 30.0, ("US.UST.10Y", 10.0)),
    "USDBRL.FUT": ("fx", "BRL.USD.SPOT", 0.0, None),
    "BR.CDS.5Y": ("cds", "BR.CDS.5Y", 5.0, None),
    "IBOV.FUT": ("brl_price", "BR.IBOV", 0.0, None),
    "ES.FUT": ("usd_price", "US.SPX", 0.0, None),
    "BRENT.FUT": ("usd_price", "CMD.BRENT", 0.0, None),
    "GOLD.FUT": ("usd_price", "CMD.GOLD", 0.0, None),
}


DT = 1.0 / 252.0  # one session, in years
# The curve pillars the test lake holds (series, years): DI zero rates (% a.a., 252) and
# NTN-B Principal zero real yields, annual compounding; Treasury par yields, semiannual
# (the 3-month a zero). BR.DI.6M and BR.NTNB.2Y are not in the lake: their curves skip them.
PILLARS = {
    "di": [("BR.DI.3M", 0.25), ("BR.DI.1Y", 1.0), ("BR.DI.2Y", 2.0), ("BR.DI.3Y", 3.0),
           ("BR.DI.5Y", 5.0), ("BR.DI.10Y", 10.0)],
    "ntnb": [("BR.NTNB.5Y", 5.0), ("BR.NTNB.10Y", 10.0)],
    "ust": [("US.UST.3M", 0.25), ("US.UST.2Y", 2.0), ("US.UST.5Y", 5.0), ("US.UST.10Y", 10.0),
            ("US.UST.30Y", 30.0)],
}  # fmt: skip


def _zero_hold(h: HandLake, kind: str, sid: str, t: float) -> pd.Series:
    """One session's return of a zero at its pillar ``t`` on an unchanged curve whose log
    discount factor is linear between pillars: e^(f·dt) − 1, f the continuous forward of
    the last segment (s, t): (t·ln(1 + z_t) − s·ln(1 + z_s)) / (t − s)."""
    below = [(p, ts) for p, ts in PILLARS[kind] if ts < t]
    z = h.known(sid) / 100
    s, zs = (below[-1][1], h.known(below[-1][0]) / 100) if below else (0.0, 0.0 * z)
    return np.expm1((t * np.log1p(z) - s * np.log1p(zs)) / (t - s) * DT)


def _interp(grid: list[float], ld: np.ndarray, times: np.ndarray) -> np.ndarray:
    """Log DF (dates × times), linear in time between the pillars ``grid`` (0 first)."""
    out = np.empty((ld.shape[0], len(times)))
    for k, x in enumerate(times):
        j = min(int(np.searchsorted(grid, x, side="left")), len(grid) - 1)
        w = (x - grid[j - 1]) / (grid[j] - grid[j - 1])
        out[:, k] = ld[:, j - 1] * (1 - w) + ld[:, j] * w
    return out


def _ust_hold(h: HandLake, sid: str, t: float) -> pd.Series:
    """One session's return of the semiannual bullet to ``t`` paying coupon = its yield on
    the unchanged Treasury curve: the par pillars bootstrapped one by one by bisection on
    the log DF at each pillar (the bond with the pillar's coupon is worth 1), then
    Σ cf·DF(t_i − dt) / Σ cf·DF(t_i) − 1."""
    q = h.known(sid)
    grid, ld = [0.0], np.zeros((len(q), 1))
    for p, tp in [x for x in PILLARS["ust"] if x[1] <= t]:
        y = h.known(p).to_numpy() / 100
        if tp <= 0.5:
            x = -2 * tp * np.log1p(y / 2)
        else:
            times = np.arange(0.5, tp + 1e-9, 0.5)
            lo, hi = np.full(len(q), -10.0), np.full(len(q), 10.0)  # rates may go below 0
            for _ in range(70):  # Σ y/2·DF + DF(tp) rises with the pillar's log DF
                mid = (lo + hi) / 2
                dfs = np.exp(_interp([*grid, tp], np.column_stack([ld, mid]), times))
                too_low = (y / 2 * dfs.sum(axis=1) + dfs[:, -1]) < 1.0
                lo, hi = np.where(too_low, mid, lo), np.where(too_low, hi, mid)
            x = (lo + hi) / 2
        grid, ld = [*grid, tp], np.column_stack([ld, x])
    times = np.arange(0.5, t + 1e-9, 0.5)
    cf = np.outer(q.to_numpy() / 200, np.ones(len(times)))
    cf[:, -1] += 1.0
    now, later = np.exp(_interp(grid, ld, times)), np.exp(_interp(grid, ld, times - DT))
    return pd.Series((cf * later).sum(axis=1) / (cf * now).sum(axis=1) - 1, q.index)


def carry_series(h: HandLake, iid: str) -> pd.Series:
    """Annual carry (fraction) of a long-quote unit on each quote date: minus one session's
    holding return on the unchanged curve, less one session of funding (CDI annual/252,
    the 3-month bill semiannual), plus one session of expected IPCA for the NTN-B, × 252."""
    kind, sid, t, _ = SPEC[iid]
    q = h.known(sid)
    if kind in ("brl_price", "usd_price"):
        return q * 0.0
    if kind == "fx":
        return q * 0.0 - (CDI - UST3M) / 100
    if kind == "cds":
        return -q / 1e4
    if kind == "ust":
        fund = (1 + UST3M / 200) ** (2 * DT) - 1
        return -(_ust_hold(h, sid, t) - fund) / DT
    earned = _zero_hold(h, kind, sid, t) - ((1 + CDI / 100) ** DT - 1)
    if kind == "ntnb":
        earned = earned + (1 + IPCA / 100) ** DT - 1
    return -earned / DT


def daily_returns(h: HandLake, iid: str) -> pd.Series:
    """Base-currency (BRL) daily return of one unit on each session but the first."""
    kind, sid, t, _ = SPEC[iid]
    q = h.known(sid)
    q0, q1 = q.shift(1), q
    if kind in ("brl_price", "usd_price", "fx"):
        move = q1 / q0 - 1
    elif kind == "cds":
        hazard = (q1 / 1e4) / (1 - RECOVERY)
        rpv01 = (1 - np.exp(-hazard * t)) / hazard
        move = rpv01 * (q1 - q0) / 1e4
    elif kind == "ust":  # a par bond at y0 repriced at y1: 1 - P(y1)
        y0, y1 = q0 / 100, q1 / 100
        disc = (1 + y1 / 2) ** (-2 * t)
        move = 1 - (y0 * (1 - disc) / y1 + disc)
    else:  # zero coupon: 1 - (1+y1)^-T / (1+y0)^-T
        move = 1 - ((1 + q0 / 100) / (1 + q1 / 100)) ** t
    ret = move + carry_series(h, iid).shift(1) / 252
    if kind in ("usd_price", "ust", "cds"):  # USD P&L, translated at each day's close
        fx = h.known("BRL.USD.SPOT")
        ret = ret * fx / fx.shift(1)
    return ret.iloc[1:]


def unit_returns(h: HandLake, ids: tuple[str, ...], n: int) -> pd.DataFrame:
    """The last ``n`` sessions' returns, one column per instrument."""
    return pd.DataFrame({i: daily_returns(h, i) for i in ids}).iloc[-n:]


def momentum(h: HandLake, ids: tuple[str, ...], n: int, skip: int) -> pd.Series:
    """Sum of log(1 + r) over n sessions ending ``skip`` ago, over sd × sqrt(n)."""
    r = unit_returns(h, ids, n + skip).iloc[:n]
    return np.log1p(r).sum() / (r.std(ddof=1) * np.sqrt(n))


def ranks(score: pd.Series) -> pd.Series:
    """Average ranks centred on their mean and scaled so the best is +1."""
    r = score.rank(method="average")
    return (r - r.mean()) / (r.max() - r.mean())

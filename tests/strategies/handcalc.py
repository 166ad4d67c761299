"""Unit returns and carry recomputed by hand from the test lake's rows, with the formulas
of ``research_core.pnl``'s docstring (zero-coupon DI1 / NTN-B Principal, par Treasury with
a semiannual coupon, CDS protection at RPV01, FX spot less the rate differential, futures
as price returns; USD P&L translated at each day's USD/BRL) — no package code is called.

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


def _short(h: HandLake, iid: str) -> tuple[pd.Series, float]:
    _, sid, t, short = SPEC[iid]
    if short is None:
        return h.known(sid) * 0.0, 1.0
    if short[0] == "US.UST.3M":
        return h.known(sid) * 0.0 + UST3M, t - short[1]
    return h.known(short[0]), t - short[1]


def carry_series(h: HandLake, iid: str) -> pd.Series:
    """Annual carry (fraction) of a long-quote unit on each quote date."""
    kind, sid, t, short = SPEC[iid]
    q = h.known(sid)
    if kind in ("brl_price", "usd_price"):
        return q * 0.0
    if kind == "fx":
        return q * 0.0 - (CDI - UST3M) / 100
    if kind == "cds":
        return -q / 1e4
    qs, gap = _short(h, iid)
    roll = (q - qs) / gap if short is not None else q * 0.0
    if kind == "ust":
        r = q / 100
        dur = (1 - (1 + r / 2) ** (-2 * t)) / r
        return -(q - UST3M + dur * roll) / 100
    dur = t / (1 + q / 100)
    funding = CDI - (IPCA if kind == "ntnb" else 0.0)
    return -(q - funding + dur * roll) / 100


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

"""Known answers for the strategies that read series arithmetic (z-scores, trends,
averages, a regression) — no unit returns, no agent.

Each expected position is recomputed here from the rows the test lake was written with
(``HandLake.known``), with the formula of the strategy's docstring and parameters; none of
the package's helpers (``zscore_last``, ``trend_z``, ``squash``) is called.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from research_core.strategies import load_config
from tests.strategies.conftest import HandLake

BOOK = load_config()  # the shipped parameters (strategies.yaml)


def z_last(s: pd.Series, window: int) -> float:
    """Last value's z-score against the last ``window`` values (itself included), sample
    sd (ddof 1), NaN with fewer than max(20, window // 4) points."""
    tail = s.dropna().iloc[-window:]
    if len(tail) < max(20, window // 4):
        return float("nan")
    return float((tail.iloc[-1] - tail.mean()) / tail.std(ddof=1))


def trend(s: pd.Series, n: int) -> float:
    """n-step change over sd(one-step changes, last 252) × sqrt(n)."""
    s = s.dropna()
    sd = s.diff().iloc[-252:].std(ddof=1)
    return float((s.iloc[-1] - s.iloc[-1 - n]) / (sd * np.sqrt(n)))


def activity(s: pd.Series, short: int = 3, long: int = 12) -> float:
    s = s.dropna()
    return float(
        (s.iloc[-short:].mean() - s.iloc[-long:].mean()) / s.iloc[-60:].std() * np.sqrt(short)
    )


def slope(h: HandLake, long: str, short: str) -> float:
    return float(np.tanh(z_last((h.known(long) - h.known(short)).dropna(), 504) / 1.5))


def rates_br_04(h: HandLake) -> dict[str, float]:
    x = np.tanh((z_last(h.known("BR.NTNB.5Y"), 756) - z_last(h.known("BR.BREAKEVEN.5Y"), 756)) / 2)
    return {"NTNB.5Y": -x, "DI1.5Y": 0.5 * x}


def cupom(h: HandLake) -> dict[str, float]:
    dev = h.known("BR.DI.3M") - h.known("US.UST.3M") - h.known("BR.CDS.5Y") / 100
    x = np.tanh(z_last(dev.dropna(), 252) / 1.5)
    return {"USDBRL.FUT": -x, "USDBRL.NDF": x}


def flows(h: HandLake) -> dict[str, float]:
    f = (h.known("BR.FXFLOW.COMMERCIAL") + h.known("BR.FXFLOW.FINANCIAL")).dropna()
    summed = f.rolling(4).sum()
    return {"USDBRL.FUT": -np.tanh(z_last(summed, 104) / 1.5)}


def terms_of_trade(h: HandLake) -> dict[str, float]:
    moves = [trend(np.log(h.known(s)), 63) for s in ("CMD.IRON.ORE", "CMD.SOYBEAN", "CMD.BRENT")]
    return {"USDBRL.FUT": -np.tanh(np.mean(moves))}


def cds_residual(h: HandLake) -> dict[str, float]:
    frame = pd.concat(
        [h.known(s).rename(s) for s in ("BR.CDS.5Y", "US.VIX", "US.BAA.SPREAD")], axis=1
    )
    frame = frame.ffill().dropna().iloc[-252:]
    fit = sm.OLS(frame["BR.CDS.5Y"], sm.add_constant(frame[["US.VIX", "US.BAA.SPREAD"]])).fit()
    resid = fit.resid.to_numpy()
    return {"BR.CDS.5Y": -np.tanh(resid[-1] / resid.std(ddof=0) / 1.5)}


def ipca_momentum(h: HandLake) -> dict[str, float]:
    ipca, ipca15 = h.known("BR.IPCA.MOM"), h.known("BR.IPCA15.MOM")
    surprise = ipca15.iloc[-1] - ipca.iloc[-3:].mean()
    return {"DI1.1Y": np.tanh(surprise / ipca.diff().iloc[-36:].std())}


def oil_breakeven(h: HandLake) -> dict[str, float]:
    z = trend(np.log(h.known("CMD.BRENT")), 63) + trend(h.known("US.BREAKEVEN.5Y"), 63)
    return {"UST.5Y.FUT": np.tanh(0.5 * z)}


COT = {
    "CFTC.BRL.NET.NONCOMM": ("USDBRL.FUT", -1.0),
    "CFTC.UST10Y.NET.NONCOMM": ("UST.10Y.FUT", -1.0),
    "CFTC.SPX.NET.NONCOMM": ("ES.FUT", 1.0),
}


def cot(h: HandLake, threshold: float) -> dict[str, float]:
    out = {}
    for sid, (inst, sign) in COT.items():
        z = z_last(h.known(sid), 156)
        out[inst] = -sign * np.tanh(z / 1.5) if abs(z) >= threshold else 0.0
    return out


CASES: dict[str, Callable[[HandLake], dict[str, float]]] = {
    "RATES_BR_03": lambda h: {
        "DI1.10Y": -slope(h, "BR.DI.10Y", "BR.DI.1Y"),
        "DI1.1Y": slope(h, "BR.DI.10Y", "BR.DI.1Y"),
    },
    "RATES_US_02": lambda h: {
        "UST.10Y.FUT": -slope(h, "US.UST.10Y", "US.UST.2Y"),
        "UST.2Y.FUT": slope(h, "US.UST.10Y", "US.UST.2Y"),
    },
    "RATES_BR_04": rates_br_04,
    "RATES_BR_05": lambda h: {
        "DI1.2Y": np.tanh(activity(h.known("BR.IBCBR.SA").pct_change() * 100))
    },
    "RATES_US_04": lambda h: {"UST.10Y.FUT": -np.tanh(z_last(h.known("US.TIPS.10Y"), 756) / 1.5)},
    "RATES_US_05": lambda h: {"UST.2Y.FUT": np.tanh(activity(h.known("US.PAYROLLS.CHG")))},
    "CUPOM_01": cupom,
    "FX_BR_03": flows,
    "FX_BR_04": terms_of_trade,
    "FX_BR_05": lambda h: {"USDBRL.FUT": np.tanh(trend(np.log(h.known("US.DXY")), 63))},
    "SOV_BR_02": lambda h: {"BR.CDS.5Y": np.tanh(trend(h.known("BR.CDS.5Y"), 21))},
    "SOV_BR_03": cds_residual,
    "SOV_BR_04": lambda h: {"BR.CDS.5Y": np.tanh(trend(h.known("US.BAA.SPREAD"), 21))},
    "INF_BR_02": ipca_momentum,
    "INF_US_01": oil_breakeven,
    "XA_COT_01": lambda h: cot(h, 1.0),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_position_matches_the_hand_computed_formula(hand_lake: HandLake, name: str) -> None:
    got = BOOK[name].generate_signals(hand_lake.view)
    want = pd.Series(CASES[name](hand_lake), dtype=float).reindex(got.index).fillna(0.0)
    assert np.isfinite(want).all() and (want.abs() > 1e-3).any(), "a flat case proves little"
    np.testing.assert_allclose(got.to_numpy(), want.clip(-1, 1).to_numpy(), rtol=1e-9, atol=1e-12)


def test_cot_below_its_threshold_is_flat_and_above_fades_the_crowd(hand_lake: HandLake) -> None:
    """At threshold 0 every market is 'crowded': the hand formula with no gate."""
    got = type(BOOK["XA_COT_01"])(threshold=0.0).generate_signals(hand_lake.view)
    want = pd.Series(cot(hand_lake, 0.0)).reindex(got.index)
    assert (want != 0).all()
    default = BOOK["XA_COT_01"].generate_signals(hand_lake.view)
    assert (default == 0).sum() == 1 and (default != 0).sum() == 2  # one market uncrowded
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), rtol=1e-9)

"""Key-rate DV01s and curve stresses of rate positions, against hand computations.

Every expected number below is written out from the bond's cash flows on a flat, hand-built
curve: a zero paying 1 at T years is worth (1 + z)^−T (annual compounding, DI and NTN-B);
a long-quote unit (the house convention, ``research_core.pnl``) earns 1 − P(z1)/P(z0).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.catalog import instrument
from research_core.curves import Curve
from research_core.curves.curve import rate_to_log_df
from research_core.errors import RiskError
from research_core.lake.store import Lake
from research_core.risk.curve_shocks import (
    CURVE_SHOCKS,
    book_curve_stress,
    copom_shift,
    curve_stress,
)
from research_core.risk.key_rates import book_key_rates, key_rate_dv01, unit_pnl

NAV = 1e9  # BRL
DAY = pd.Timestamp("2026-10-30")  # a Friday


def _flat(name: str, rate_pct: float, compounding: str) -> Curve:
    t = np.array([0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0])
    z = np.full(len(t), rate_pct)
    return Curve(name, DAY, t, rate_to_log_df(z, t, compounding), compounding, "years")


DI = _flat("DI", 12.0, "annual")
UST = _flat("UST", 4.0, "semiannual")


def _row(table: pd.DataFrame, iid: str, key: str) -> float:
    hit = table[(table["instrument"] == iid) & (table["key"] == key)]
    return float(hit["pnl_brl_mn"].iloc[0])


def test_zero_key_rate_dv01_by_hand_with_triangular_weights() -> None:
    # DI1.3Y on keys (2y, 5y): the triangle weights at 3y are 2/3 on 2y and 1/3 on 5y.
    table = key_rate_dv01({"DI": DI}, pd.Series({"DI1.3Y": 0.5}), NAV, {"DI": (2.0, 5.0)})
    z, t, d = 0.12, 3.0, 1e-4
    for key, w in (("2y", 2.0 / 3.0), ("5y", 1.0 / 3.0)):
        # central difference, by hand: ((1+z−wΔ)^−T − (1+z+wΔ)^−T) / (2 (1+z)^−T)
        exact = ((1 + z - w * d) ** -t - (1 + z + w * d) ** -t) / (2 * (1 + z) ** -t)
        assert _row(table, "DI1.3Y", key) == pytest.approx(0.5 * NAV * exact / 1e6, rel=1e-12)
        # and the first-order formula T·w·Δ/(1+z) per unit: 0.5e9 × 3 × w × 1e-4 / 1.12
        assert _row(table, "DI1.3Y", key) == pytest.approx(0.5e3 * t * w * d / 1.12, rel=1e-6)
    # 133,928.57 BRL for the whole 3y (0.5e9 × 3 × 1e-4 / 1.12), 1.339 bp of NAV
    assert _row(table, "DI1.3Y", "parallel") == pytest.approx(0.13392857, rel=1e-6)
    bp = table.set_index(["instrument", "key"])["pnl_bp_nav"]
    assert bp["DI1.3Y", "parallel"] == pytest.approx(1.3392857, rel=1e-6)


def test_key_rates_sum_to_the_parallel_dv01() -> None:
    # A coupon bond spreads over every key; the sum matches the parallel bump within the
    # third-order remainders of the central differences, each ≈ (T+1)(T+2)·Δ²/6 ≤ 1.7e-6
    # of the DV01 at 30 y.
    book = pd.Series({"DI1.2Y": -0.8, "DI1.10Y": 0.3, "UST.30Y.FUT": 0.25, "ES.FUT": 1.0})
    table = key_rate_dv01({"DI": DI, "UST": UST}, book, NAV)
    assert "ES.FUT" not in set(table["instrument"])
    for iid in ("DI1.2Y", "DI1.10Y", "UST.30Y.FUT"):
        mine = table[table["instrument"] == iid]
        keys = mine.loc[mine["key"] != "parallel", "pnl_brl_mn"].sum()
        assert keys == pytest.approx(_row(table, iid, "parallel"), rel=1e-5)
    # The 30y par bond at 4 % (semiannual): modified duration (1 − 1.02^−60)/0.04 = 17.3804
    # years by hand, so 0.25e9 × 17.3804 × 1e-4 = 0.434511 BRL mn per bp (to the
    # central difference's third-order remainder, ≤ 1.7e-6 of it: see above).
    annuity = (1 - 1.02**-60) / 0.04
    assert _row(table, "UST.30Y.FUT", "parallel") == pytest.approx(
        0.25e3 * annuity * 1e-4, rel=2e-6
    )
    assert table.loc[table["instrument"] == "UST.30Y.FUT", "pnl_brl_mn"].gt(0).all()


def test_parallel_stress_against_duration_and_convexity_by_hand() -> None:
    table = curve_stress({"DI": DI}, pd.Series({"DI1.5Y": 0.4}), NAV, shocks=CURVE_SHOCKS[:2])
    z, t = 0.12, 5.0
    for name, dy in (("Curves +100 bp parallel", 0.01), ("Curves −100 bp parallel", -0.01)):
        exact = 1 - ((1 + z) / (1 + z + dy)) ** t  # the zero repriced, by hand
        d, c = t / (1 + z), t * (t + 1) / (1 + z) ** 2  # modified duration, convexity
        approx = d * dy - 0.5 * c * dy**2  # long-quote unit: +D·Δy − ½·C·Δy²
        got = table.loc[name, "DI1.5Y"] / (0.4 * NAV)
        assert got == pytest.approx(exact, rel=1e-12)
        # the third-order remainder T(T+1)(T+2)/6/(1+z)^3·|Δy|^3 ≈ 2.5e-5
        assert got == pytest.approx(approx, abs=3e-5)
    # +100 bp on a 0.4 × NAV payer: 0.4e9 × (1 − (1.12/1.13)^5) = 17.3886 BRL mn
    assert table.loc["Curves +100 bp parallel", "total"] / 1e6 == pytest.approx(17.3886, abs=1e-4)


def test_twist_on_a_two_position_book_by_hand() -> None:
    # Receive 2y (−1.0 × NAV), pay 10y (+0.2 × NAV) on flat 12 %. Steepener +50 bp pivoting
    # at 5y: the 2y zero moves 50 × (2 − 5)/8 = −18.75 bp, the 10y +31.25 bp.
    book = pd.Series({"DI1.2Y": -1.0, "DI1.10Y": 0.2})
    table = curve_stress({"DI": DI}, book, NAV, shocks=CURVE_SHOCKS[2:4])

    def unit(t: float, bp: float) -> float:
        return 1 - (1.12 / (1.12 + bp / 1e4)) ** t

    for name, sign in (("2s10s steepener +50 bp", 1), ("2s10s flattener −50 bp", -1)):
        two, ten = -1.0 * NAV * unit(2, -18.75 * sign), 0.2 * NAV * unit(10, 31.25 * sign)
        assert table.loc[name, "DI1.2Y"] == pytest.approx(two, rel=1e-12)
        assert table.loc[name, "DI1.10Y"] == pytest.approx(ten, rel=1e-12)
        assert table.loc[name, "total"] == pytest.approx(two + ten, rel=1e-12)
    # the steepener pays on both legs: −1e9 × (1 − (1.12/1.118125)^2) = +3.3566 BRL mn on
    # the 2y receiver, 0.2e9 × (1 − (1.12/1.123125)^10) = +5.4957 BRL mn on the 10y payer
    assert table.loc["2s10s steepener +50 bp", "total"] / 1e6 == pytest.approx(8.8523, abs=1e-4)


def test_copom_shock_raises_each_period_forward_by_hand() -> None:
    # Copom decisions 4 Nov and 9 Dec 2026; B3 sessions counted by hand (Finados 2 Nov,
    # Consciência Negra 20 Nov): 3 sessions to the first effective day, 24 between, and
    # the last period as long as the median spacing, 24. On a flat 12 % curve the CDI
    # forwards are 12 % and become 12 %, 12.5 %, 13 % then 13 % beyond (two meetings only).
    shift = copom_shift(pd.DatetimeIndex(["2026-11-04", "2026-12-09"]))
    got = unit_pnl(instrument("DI1.1Y"), DI, shift)
    growth = 1.12 ** (3 / 252) * 1.125 ** (24 / 252) * 1.13 ** ((252 - 27) / 252)
    assert got == pytest.approx(1 - 1.12 / growth, rel=1e-10)


def test_bad_books_raise() -> None:
    with pytest.raises(RiskError, match="no DI1, NTN-B or Treasury"):
        key_rate_dv01({"DI": DI}, pd.Series({"ES.FUT": 1.0}), NAV)
    with pytest.raises(RiskError, match="NTNB curve is missing"):
        key_rate_dv01({"DI": DI}, pd.Series({"NTNB.10Y": 1.0}), NAV)
    with pytest.raises(RiskError, match="nav must be a positive"):
        key_rate_dv01({"DI": DI}, pd.Series({"DI1.1Y": 1.0}), 0.0)
    with pytest.raises(RiskError, match="weights must be finite"):
        curve_stress({"DI": DI}, pd.Series({"DI1.1Y": np.nan}), NAV)
    with pytest.raises(RiskError, match="Copom decision dates"):
        curve_stress({"DI": DI}, pd.Series({"DI1.1Y": 1.0}), NAV)


def test_book_on_the_lake_curves_by_hand(sample_lake_path: Path) -> None:
    # The NTN-B curve at the 10y pillar is the 10y zero quote itself (a zero pillar), so
    # the lake's NTN-B 10y short reprices by hand from that quote alone.
    view = Lake.open(sample_lake_path).at(pd.Timestamp("2026-10-30 23:00", tz="America/Sao_Paulo"))
    y = float(view.series("BR.NTNB.10Y").dropna().iloc[-1]) / 100.0
    book = pd.Series({"NTNB.10Y": -0.422066, "DI1.2Y": 0.5})
    kr = book_key_rates(view, book, NAV)
    # −0.422066e9 × 10 × 1e-4 / (1 + y) BRL per bp, all of it on the 10y key
    assert kr.loc[("NTNB", "10y"), "pnl_brl_mn"] == pytest.approx(
        -0.422066e3 * 10 * 1e-4 / (1 + y), rel=1e-6
    )
    assert kr.loc[("NTNB", "5y"), "pnl_brl_mn"] == 0.0
    stress = book_curve_stress(view, book, NAV)
    hand = -0.422066 * NAV * (1 - ((1 + y) / (1 + y + 0.01)) ** 10)
    assert stress.loc["Curves +100 bp parallel", "NTNB.10Y"] == pytest.approx(hand, rel=1e-12)
    assert stress.filter(like="Copom", axis=0)["DI1.2Y"].iloc[0] > 0  # a payer gains

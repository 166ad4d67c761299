"""Rates instruments priced on a curve (issue 27, item 5), against hand computations.

Every expected number is written out from the instrument's cash flows with numpy, the
conventions stated next to it; the curves are built by hand (pillars and log discount
factors), read between pillars by linear interpolation of the log discount factor.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.catalog import instrument
from research_core.curves import Curve
from research_core.curves.curve import rate_to_log_df
from research_core.curves.pricing import (
    carry_roll,
    di1_business_days,
    di1_dv01,
    di1_pu,
    flows_dv01,
    flows_pnl,
    ntnb_coupon_flows,
    price_on_curve,
    zero_shift,
)
from research_core.errors import CurveError

DAY = pd.Timestamp("2026-10-30")  # a Friday


def _curve(name: str, times: list[float], zeros_pct: list[float], compounding: str) -> Curve:
    t = np.asarray(times, dtype=float)
    ld = rate_to_log_df(np.asarray(zeros_pct, dtype=float), t, compounding)
    return Curve(name, DAY, t, ld, compounding, "years")


def test_di1_pu_and_dv01_by_hand_on_the_b3_calendar() -> None:
    # DI1F27 (matures 2027-01-04, the first session of January) traded on 2026-10-30.
    # du: B3 sessions from the trade date (inclusive) to maturity (exclusive), weekdays less
    # the national holidays and B3's closed days in between (B3 trading calendar 2026:
    # Finados 2 Nov, Consciência Negra 20 Nov, 24 and 25 Dec, 31 Dec, 1 Jan).
    closed = ["2026-11-02", "2026-11-20", "2026-12-24", "2026-12-25", "2026-12-31", "2027-01-01"]
    du = int(np.busday_count("2026-10-30", "2027-01-04", holidays=closed))
    assert du == 40  # counted on a calendar: 1 (30 Oct) + 19 in November + 20 in December
    assert di1_business_days("2026-10-30", "2027-01-04") == du
    r = 0.1490  # 14.90 % a.a., 252
    pu = 100_000 / (1 + r) ** (du / 252)  # B3: PU = 100,000 / (1 + r)^(du/252)
    assert di1_pu(14.90, du) == pytest.approx(pu, rel=1e-14)
    assert pu == pytest.approx(97_819.49, abs=0.01)
    # DV01: −dPU/dr × 1 bp; the central difference of the hand PU agrees to O(Δ²)
    bump = 1e-6
    numeric = 100_000 / (1 + r - bump) ** (du / 252) - 100_000 / (1 + r + bump) ** (du / 252)
    assert di1_dv01(14.90, du) == pytest.approx(numeric / (2 * bump) * 1e-4, rel=1e-9)
    assert di1_dv01(14.90, du) == pytest.approx(pu * (du / 252) / (1 + r) * 1e-4, rel=1e-14)
    with pytest.raises(CurveError, match="du ≥ 0"):
        di1_pu(14.90, -1)


def test_generic_di1_on_the_curve_is_its_zero() -> None:
    # DI1.2Y: a zero paying 1 at 2y (du = 504) on the DI curve: PU = 100,000 (1 + z_2y)^−2
    di = _curve("DI", [0.5, 1.0, 2.0, 5.0], [14.0, 13.5, 13.0, 12.8], "annual")
    assert price_on_curve(instrument("DI1.2Y"), di) == pytest.approx(100_000 * 1.13**-2, rel=1e-13)


def _ust_by_hand(times: np.ndarray, ld_pillars: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Discount factors at ``times``: log DF linear in time between (0, 0) and the pillars."""
    return np.exp(np.interp(times, np.r_[0.0, grid], np.r_[0.0, ld_pillars]))


def test_ust_bond_price_and_dv01_against_hand_discounted_cash_flows() -> None:
    # A Treasury 5y on a hand-built curve (semiannual zero rates at 0.5, 2, 5, 10 y). Its
    # coupon is the curve's par rate c = 2 (1 − DF(5)) / Σ DF(t_i), t_i = 0.5, 1, …, 5;
    # price per 100 = 100 (Σ c/2 DF(t_i) + DF(5)) = 100 at par; DV01: the zero rates ±1 bp.
    grid = np.array([0.5, 2.0, 5.0, 10.0])
    zeros = np.array([4.2, 4.0, 3.9, 4.1])
    ust = _curve("UST", list(grid), list(zeros), "semiannual")
    ld = -2 * grid * np.log1p(zeros / 200)
    t = np.arange(1, 11) / 2
    df = _ust_by_hand(t, ld, grid)
    c = 2 * (1 - df[-1]) / df.sum()
    assert 100 * (c / 2 * df.sum() + df[-1]) == pytest.approx(100.0, rel=1e-14)
    inst = instrument("UST.5Y.FUT")
    assert price_on_curve(inst, ust) == pytest.approx(100.0, rel=1e-12)
    flows = np.full(10, c / 2)
    flows[-1] += 1

    def pv(bp: float) -> float:  # every zero rate (semiannual) + bp, each time read by hand
        z_t = 200 * np.expm1(-np.log(df) / (2 * t)) + bp / 100  # the zero at t_i, % a.a.
        return float((flows * (1 + z_t / 200) ** (-2 * t)).sum())

    hand = (pv(-1.0) - pv(1.0)) / (2 * pv(0.0))
    assert flows_dv01(t, flows, ust) == pytest.approx(hand, rel=1e-10)
    assert hand == pytest.approx(4.50e-4, abs=0.01e-4)  # ≈ modified duration 4.50 y × 1 bp


def test_ntnb_coupon_10y_dv01_and_plus_75bp_stress_by_hand() -> None:
    # Coupon NTN-B, 10y (du/252 = 10): 20 semiannual coupons of (1.06)^(1/2) − 1 =
    # 2.956301 % of the VNA, the VNA at maturity (Tesouro Nacional's methodology), on a
    # flat real curve at 6.5 % (annual, 252): quotation Σ cf (1.065)^−t.
    times, amounts = ntnb_coupon_flows(10.0)
    t = np.arange(1, 21) / 2
    cf = np.full(20, 1.06**0.5 - 1)
    cf[-1] += 1
    np.testing.assert_allclose(times, t, rtol=0, atol=1e-12)
    np.testing.assert_allclose(amounts, cf, rtol=1e-15)
    assert cf[0] == pytest.approx(0.02956301, abs=1e-8)
    real = _curve("NTNB", [1.0, 2.0, 5.0, 10.0, 30.0], [6.5] * 5, "annual")
    y = 0.065

    def price(yy: float) -> float:
        return float((cf * (1 + yy) ** -t).sum())

    hand_dv01 = (price(y - 1e-4) - price(y + 1e-4)) / (2 * price(y))
    assert flows_dv01(times, amounts, real) == pytest.approx(hand_dv01, rel=1e-10)
    # 7.17 years of modified duration: the coupon bond's, not the 10y zero's 10/1.065 = 9.39
    assert hand_dv01 * 1e4 == pytest.approx(7.17, abs=0.01)
    # "NTN-B real yields +75 bp" on a short of 10 % of a BRL 1 bn book, BRL:
    # −0.1 × 1e9 × (1 − P(y + 75 bp) / P(y)) — short the quote is long the bond: it loses
    hand_stress = -0.1 * 1e9 * (1 - price(y + 0.0075) / price(y))
    got = -0.1 * 1e9 * flows_pnl(times, amounts, real, zero_shift(lambda x: 75.0 + 0 * x))
    assert got == pytest.approx(hand_stress, rel=1e-12)
    assert hand_stress == pytest.approx(-5.196e6, rel=1e-3)
    # a bond's price is VNA × quotation
    assert price_on_curve(_ntnb_coupon(), real, vna=4_500.0) == pytest.approx(4_500 * price(y))
    with pytest.raises(CurveError, match="VNA"):
        price_on_curve(_ntnb_coupon(), real)


def _ntnb_coupon():
    """A coupon NTN-B 10y (the registry holds only NTN-B Principal): the catalog's NTN-B
    10y with the coupon convention."""
    from dataclasses import replace

    return replace(instrument("NTNB.10Y"), dv01_convention="ntnb_coupon")


def test_carry_and_roll_of_a_di1_on_a_hand_built_curve() -> None:
    # DI1.2Y on pillars 1y 10 % and 2y 11 % (annual, 252). Held h years on the unchanged
    # curve the zero goes from DF(2) to DF(2 − h); between the pillars log DF is linear, so
    # DF(2 − h) / DF(2) = exp(h f), f = 2 ln 1.11 − ln 1.10 (the continuous forward 1y→2y).
    # Accrual at its own yield: 1.11^h − 1; roll = the rest; funding at CDI 10.5 %: 1.105^h − 1.
    di = _curve("DI", [1.0, 2.0], [10.0, 11.0], "annual")
    f = 2 * np.log(1.11) - np.log(1.10)
    for h in (1 / 252, 21 / 252):
        got = carry_roll(instrument("DI1.2Y"), di, h, funding_pct=10.5)
        assert got.accrual == pytest.approx(1.11**h - 1, rel=1e-10)
        assert got.accrual + got.roll == pytest.approx(np.expm1(h * f), rel=1e-10)
        assert got.funding == pytest.approx(1.105**h - 1, rel=1e-12)
        assert got.total == pytest.approx(np.expm1(h * f) - (1.105**h - 1), rel=1e-10)
    # one month: the forward 12.009 % a.a. beats the 11 % zero: roll +7.61 bp of the month
    month = carry_roll(instrument("DI1.2Y"), di, 21 / 252, funding_pct=10.5)
    assert month.roll * 1e4 == pytest.approx(7.61, abs=0.01)
    with pytest.raises(CurveError, match="horizon"):
        carry_roll(instrument("DI1.2Y"), di, 0.0)

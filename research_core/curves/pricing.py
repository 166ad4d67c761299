"""Rates instruments priced on a curve: their cash flows discounted on the curve known at D.

Conventions (each instrument on its own curve, ``CURVE_OF``; times in years on the
curve's basis):

* DI1 future (B3): PU = 100,000 / (1 + r)^(du/252), ``du`` the B3 sessions from the
  trade date (inclusive) to maturity (exclusive), r the DI curve's zero rate (annual,
  252); the catalog's generic DI1 is a zero paying 1 at its tenor.
* NTN-B Principal: a zero paying the VNA at maturity, on the NTN-B real curve.
* NTN-B (coupon): the VNA × semiannual real coupons (1.06)^(1/2) − 1 of the VNA and the
  VNA at maturity; coupons every 0.5 years (126 du) back from maturity (Tesouro
  Nacional's NTN-B methodology: quotation = Σ cf / (1 + y)^(du/252)).
* Treasury future / bond: a semiannual bullet to its tenor paying the curve's par coupon
  (a generic future tracks the par bond); act/365.25 years, semiannual compounding.

:func:`hold_return` is the carry and roll-down: what holding the flows for a horizon
earns when the curve does not move (flows due within it are received at 1, not
reinvested) — the accrual at the bond's own yield plus the slide down the curve.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.catalog import Instrument
from research_core.curves.build import business_days_to
from research_core.curves.curve import FREQUENCY, Curve, coupon_times, rate_to_log_df
from research_core.errors import CurveError

CURVE_OF = {"di1_pu": "DI", "real_yield": "NTNB", "ust_future": "UST", "ntnb_coupon": "NTNB"}
DI1_FACE = 100_000.0  # BRL at maturity (B3 DI1 contract)
NTNB_COUPON = 1.06**0.5 - 1.0  # per semester, fraction of the VNA (6 % a.a. real)
BUMP_BP = 1.0

Shift = Callable[[Curve, np.ndarray], np.ndarray]  # (curve, times) -> shocked log DF


def di1_business_days(trade_date: object, maturity: object) -> int:
    """``du`` of a DI1: B3 sessions from ``trade_date`` (inclusive) to ``maturity``
    (exclusive), the B3 calendar of ``research_core.calendars``."""
    return int(business_days_to(trade_date, pd.DatetimeIndex([maturity]))[0])


def di1_pu(rate_pct: float, du: int) -> float:
    """DI1 PU (BRL per contract): 100,000 / (1 + r)^(du/252), ``rate_pct`` % a.a."""
    if du < 0:
        raise CurveError(f"a DI1 has du ≥ 0 business days to maturity, got {du}")
    return DI1_FACE / (1.0 + rate_pct / 100.0) ** (du / B3_SESSIONS_PER_YEAR)


def di1_dv01(rate_pct: float, du: int) -> float:
    """BRL per contract lost when the DI1 rate rises 1 bp: −dPU/dr × 1 bp, exactly
    PU × (du/252) / (1 + r) × 10⁻⁴."""
    return di1_pu(rate_pct, du) * (du / B3_SESSIONS_PER_YEAR) / (1.0 + rate_pct / 100.0) * 1e-4


def ntnb_coupon_flows(maturity: float) -> tuple[np.ndarray, np.ndarray]:
    """Coupon NTN-B per 1 of VNA: (1.06)^(1/2) − 1 every 0.5 years back from
    ``maturity`` (years, du/252), plus 1 at maturity."""
    if maturity <= 0:
        raise CurveError(f"an NTN-B matures after 0 years, got {maturity}")
    times = coupon_times(float(maturity), 2)
    amounts = np.full(len(times), NTNB_COUPON)
    amounts[-1] += 1.0
    return times, amounts


def cash_flows(inst: Instrument, curve: Curve) -> tuple[np.ndarray, np.ndarray]:
    """Times (years, the curve's basis) and amounts per 1 of face of the instrument's bond."""
    t = float(inst.tenor_years or 0.0)
    if t <= 0:
        raise CurveError(f"{inst.id}: no tenor to price on the {curve.name} curve")
    if inst.dv01_convention == "ntnb_coupon":
        return ntnb_coupon_flows(t)
    if inst.dv01_convention != "ust_future":
        return np.array([t]), np.array([1.0])
    freq = FREQUENCY[curve.compounding] or 1
    times = coupon_times(t, freq)
    amounts = np.full(len(times), curve.par(t) / 100.0) * np.diff(np.r_[0.0, times])
    amounts[-1] += 1.0
    return times, amounts


def present_value(times: np.ndarray, amounts: np.ndarray, curve: Curve) -> float:
    """Σ amounts × DF(times) on the curve (per 1 of face)."""
    return float((np.asarray(amounts) * curve.discount(times)).sum())


def zero_shift(bp: Callable[[np.ndarray], np.ndarray]) -> Shift:
    """A shift adding ``bp(t)`` basis points to the zero rate in the curve's compounding."""

    def shift(curve: Curve, t: np.ndarray) -> np.ndarray:
        return rate_to_log_df(curve.zero(t) + bp(t) / 100.0, t, curve.compounding)

    return shift


def flows_pnl(times: np.ndarray, amounts: np.ndarray, curve: Curve, shift: Shift) -> float:
    """Return of a long-quote (payer) position in the flows when the curve is reread
    through ``shift``: 1 − PV(shifted) / PV(today), positive when rates rise."""
    pv1 = float((np.asarray(amounts) * np.exp(shift(curve, np.asarray(times)))).sum())
    return 1.0 - pv1 / present_value(times, amounts, curve)


def unit_pnl(inst: Instrument, curve: Curve, shift: Shift) -> float:
    """:func:`flows_pnl` of the instrument's cash flows (:func:`cash_flows`)."""
    return flows_pnl(*cash_flows(inst, curve), curve, shift)


def flows_dv01(times: np.ndarray, amounts: np.ndarray, curve: Curve) -> float:
    """Fraction of PV lost per +1 bp parallel move of the zero rates (the curve's
    compounding), central difference: (PV(−1 bp) − PV(+1 bp)) / (2 PV)."""
    up = flows_pnl(times, amounts, curve, zero_shift(lambda t: BUMP_BP + 0.0 * t))
    down = flows_pnl(times, amounts, curve, zero_shift(lambda t: -BUMP_BP + 0.0 * t))
    return (up - down) / 2.0


def price_on_curve(inst: Instrument, curve: Curve, vna: float | None = None) -> float:
    """Price of the instrument on the curve: a DI1 at its PU (BRL per contract), an NTN-B
    (Principal or coupon) at VNA × quotation (BRL per bond; ``vna`` required), a Treasury
    at its price per 100 of face."""
    pv = present_value(*cash_flows(inst, curve), curve)
    if inst.dv01_convention == "di1_pu":
        return DI1_FACE * pv
    if CURVE_OF.get(inst.dv01_convention) == "NTNB":
        if vna is None or not vna > 0:
            raise CurveError(f"{inst.id}: an NTN-B is worth VNA × quotation; VNA {vna}")
        return vna * pv
    return 100.0 * pv


def hold_return(amounts: np.ndarray, df_now: np.ndarray, df_later: np.ndarray) -> np.ndarray:
    """Return of holding flows (… × flows) from a curve's DF at the flows' times
    ``df_now`` to its DF at those times less the horizon ``df_later`` (1 when due)."""
    return (amounts * df_later).sum(axis=-1) / (amounts * df_now).sum(axis=-1) - 1.0


def _ytm(times: np.ndarray, amounts: np.ndarray, pv: float, compounding: str) -> float:
    """The flat zero rate (% a.a., ``compounding``) at which the flows are worth ``pv``."""

    def gap(y: float) -> float:
        return float((amounts * np.exp(rate_to_log_df(np.array(y), times, compounding))).sum()) - pv

    from scipy.optimize import brentq  # on first solve: a light import of curves

    return float(brentq(gap, -50.0, 200.0, xtol=1e-12))


@dataclass(frozen=True)
class CarryRoll:
    """Return (fractions over ``horizon_years``) of holding the bond with the curve
    unchanged: ``accrual`` at its own yield, ``roll`` down the curve, less ``funding``."""

    horizon_years: float
    accrual: float
    roll: float
    funding: float

    @property
    def total(self) -> float:
        return self.accrual + self.roll - self.funding


def carry_roll(
    inst: Instrument, curve: Curve, horizon_years: float, funding_pct: float = 0.0
) -> CarryRoll:
    """Carry and roll-down of holding one unit of face for ``horizon_years`` (1/252: one
    day, 21/252: a month) on an unchanged curve; ``funding_pct`` (% a.a., the curve's
    compounding) is what financing it costs over the horizon."""
    if not horizon_years > 0:
        raise CurveError(f"a holding horizon is > 0 years, got {horizon_years}")
    times, amounts = cash_flows(inst, curve)
    later = np.maximum(times - horizon_years, 0.0)
    total = float(hold_return(amounts, curve.discount(times), curve.discount(later)))
    y = _ytm(times, amounts, present_value(times, amounts, curve), curve.compounding)
    flat = np.exp(rate_to_log_df(np.array(y), np.r_[times, later], curve.compounding))
    accrual = float(hold_return(amounts, flat[: len(times)], flat[len(times) :]))
    growth = -rate_to_log_df(np.array(funding_pct), np.array(horizon_years), curve.compounding)
    fund = float(np.expm1(growth))
    return CarryRoll(horizon_years, accrual, total - accrual, fund)

"""Rates strategies: Brazil DI and NTN-B, US Treasuries (house sign: +1 pays / is short
the bond, profiting when the yield rises)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from pydantic import Field

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.catalog import instrument
from research_core.lake.pit import PITView
from research_core.models.scores import nan_mean, nan_std, zscore_last
from research_core.pnl import carry, key_of, shared_series, unit_volatility
from research_core.strategies._market import common_values, dropped, return_arrays, values_of
from research_core.strategies.base import (
    BaseStrategy,
    StrategyParams,
    agent_position,
    squash,
)


class CarryParams(StrategyParams):
    lookback: int = Field(
        B3_SESSIONS_PER_YEAR, ge=40, description="sessions for the volatility of the unit"
    )
    scale: float = Field(0.5, gt=0, description="carry/vol ratio that maps to tanh(1)")


def _carry_positions(view: PITView, ids: tuple[str, ...], p: CarryParams) -> dict[str, float]:
    key = key_of(view)  # the returns and each carry read the same units
    _, r = return_arrays(view, ids, p.lookback, key)  # ids distinct: a column each, in order
    vol = unit_volatility(r, p.lookback) * np.sqrt(B3_SESSIONS_PER_YEAR)
    vols = dict(zip(ids, vol.tolist(), strict=True))
    return {i: squash(carry(view, i, key) / v, p.scale) for i, v in vols.items() if v > 0}


class DiCarryRoll(
    BaseStrategy[CarryParams],
    name="RATES_BR_01",
    family="rates",
    instruments=("DI1.1Y", "DI1.2Y", "DI1.3Y", "DI1.5Y"),
):
    """RATES_BR_01 — receive the DI tenors whose carry and roll-down per unit of risk are
    highest. A receiver earns the fixed rate over the CDI and rolls down an upward-sloping
    curve; scaled by volatility this premium has paid in most curves (term premia are
    positive on average and larger in high-carry EM curves).

    Reference: Koijen, Moskowitz, Pedersen & Vrugt (2018), "Carry", JFE 127(2).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        return _carry_positions(view, self.instruments, self.params)


class AgentParams(StrategyParams):
    rebalance: str = Field("M", pattern="^[DWM]$")  # type: ignore[assignment]
    secondary: float = Field(0.5, ge=0, le=1, description="weight on the next tenor out")


class DiTaylorGap(
    BaseStrategy[AgentParams], name="RATES_BR_02", family="rates", instruments=("DI1.1Y", "DI1.2Y")
):
    """RATES_BR_02 — trade the 1y DI toward the path a smoothed Taylor rule prescribes
    (the monetary-policy agent's gap between the rule and the market-implied Selic): when
    the market prices more hikes than the rule justifies, receive; fewer, pay.

    Reference: Taylor (1993), "Discretion versus policy rules in practice"; Clarida, Galí &
    Gertler (2000), QJE 115(1).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        x = agent_position(view, "monetary_policy", "DI1.1Y")
        return {"DI1.1Y": x, "DI1.2Y": self.params.secondary * x}


class SlopeParams(StrategyParams):
    window: int = Field(504, ge=60, description="sessions for the slope's z-score")
    scale: float = Field(1.5, gt=0)


def _slope_positions(
    view: PITView, long_id: str, short_id: str, p: SlopeParams
) -> dict[str, float]:
    lo, sh = instrument(long_id).price_series, instrument(short_id).price_series
    a, b = common_values(view, [lo, sh])
    x = squash(zscore_last(dropped(a - b), p.window), p.scale)
    return {long_id: -x, short_id: x}  # steep → flattener: receive long end, pay short end


class DiCurveSlope(
    BaseStrategy[SlopeParams], name="RATES_BR_03", family="rates", instruments=("DI1.1Y", "DI1.10Y")
):
    """RATES_BR_03 — mean reversion of the DI 1y–10y slope: when the curve is unusually
    steep, receive the 10y and pay the 1y (risk-weighted flattener), and the reverse when
    flat. Slope extremes reflect term-premium swings that revert as policy uncertainty
    resolves.

    Reference: Cochrane & Piazzesi (2005), "Bond risk premia", AER 95(1).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        return _slope_positions(view, "DI1.10Y", "DI1.1Y", self.params)


class RelValueParams(StrategyParams):
    window: int = Field(756, ge=120)
    hedge: float = Field(0.5, ge=0, le=1, description="DI hedge of the NTN-B leg")


class RealVsBreakeven(
    BaseStrategy[RelValueParams],
    name="RATES_BR_04",
    family="rates",
    instruments=("NTNB.5Y", "DI1.5Y"),
):
    """RATES_BR_04 — real yields versus breakevens: when the 5y NTN-B real yield is high
    against its history relative to the 5y breakeven, the real leg is cheap; receive the
    NTN-B and pay part of the DI of the same tenor to strip out nominal duration.

    Reference: Pflueger & Viceira (2016), "Return predictability in the Treasury market:
    real rates, inflation, and liquidity", Handbook of Fixed-Income Securities.
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        p = self.params
        rel = zscore_last(values_of(view, "BR.NTNB.5Y"), p.window) - zscore_last(
            values_of(view, "BR.BREAKEVEN.5Y"), p.window
        )
        x = squash(rel, 2.0)
        return {"NTNB.5Y": -x, "DI1.5Y": p.hedge * x}


class ActivityParams(StrategyParams):
    rebalance: str = Field("M", pattern="^[DWM]$")  # type: ignore[assignment]
    short: int = Field(3, ge=1, description="months in the recent average")
    long: int = Field(12, ge=3, description="months in the reference average")


def _activity_z(values: np.ndarray, p: ActivityParams) -> float:
    """Recent against reference mean growth in sds of the last 60 (a Series' reductions on
    its values, NaN dropped: the same bits)."""
    s = dropped(values)
    if len(s) < p.long + 12:
        return float("nan")
    recent, ref = nan_mean(s[-p.short :]), nan_mean(s[-p.long :])
    sd = float(nan_std(s[-60:]))
    return float((recent - ref) / sd * np.sqrt(p.short)) if sd > 0 else 0.0


class DiActivityMomentum(
    BaseStrategy[ActivityParams], name="RATES_BR_05", family="rates", instruments=("DI1.2Y",)
):
    """RATES_BR_05 — pay the 2y DI when activity (IBC-Br monthly growth) accelerates and
    receive when it slows: growth surprises move the expected policy path before the
    central bank does. Uses revisable data, so the vintage grid shows what revisions add.

    Reference: Gürkaynak, Sack & Swanson (2005), "The sensitivity of long-term interest
    rates to economic news", AER 95(1).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        growth = shared_series(view, "BR.IBCBR.SA").pct_change() * 100
        return {"DI1.2Y": squash(_activity_z(growth.to_numpy(), self.params), 1.0)}


class UsTaylorGap(
    BaseStrategy[AgentParams],
    name="RATES_US_01",
    family="rates",
    instruments=("UST.2Y.FUT", "UST.5Y.FUT"),
):
    """RATES_US_01 — the US Taylor-rule gap: trade the 2y Treasury future toward the fed
    funds path the monetary-policy agent's rule prescribes versus the market.

    Reference: Taylor (1993); Bernanke (2015), "The Taylor rule: a benchmark for monetary
    policy?", Brookings.
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        x = agent_position(view, "monetary_policy", "UST.2Y.FUT")
        return {"UST.2Y.FUT": x, "UST.5Y.FUT": self.params.secondary * x}


class UstCurveSlope(
    BaseStrategy[SlopeParams],
    name="RATES_US_02",
    family="rates",
    instruments=("UST.2Y.FUT", "UST.10Y.FUT"),
):
    """RATES_US_02 — mean reversion of the Treasury 2s10s slope (risk-weighted flattener
    when steep, steepener when flat).

    Reference: Cochrane & Piazzesi (2005), AER 95(1); Litterman & Scheinkman (1991),
    "Common factors affecting bond returns", JFI 1(1).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        return _slope_positions(view, "UST.10Y.FUT", "UST.2Y.FUT", self.params)


class UstCarryRoll(
    BaseStrategy[CarryParams],
    name="RATES_US_03",
    family="rates",
    instruments=("UST.2Y.FUT", "UST.5Y.FUT", "UST.10Y.FUT", "UST.30Y.FUT"),
):
    """RATES_US_03 — Treasury carry and roll-down per unit of risk across the futures
    curve: long the futures (receive) where the term premium over bills is largest.

    Reference: Koijen, Moskowitz, Pedersen & Vrugt (2018), "Carry", JFE 127(2).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        return _carry_positions(view, self.instruments, self.params)


class ValueParams(StrategyParams):
    window: int = Field(756, ge=120)
    scale: float = Field(1.5, gt=0)


class UsRealYieldValue(
    BaseStrategy[ValueParams], name="RATES_US_04", family="rates", instruments=("UST.10Y.FUT",)
):
    """RATES_US_04 — value in US real yields: when the 10y TIPS yield is high against its
    own 3-year history, duration is cheap; buy the 10y future (and sell when rich).

    Reference: Asness, Moskowitz & Pedersen (2013), "Value and momentum everywhere",
    JF 68(3).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        p = self.params
        z = zscore_last(values_of(view, "US.TIPS.10Y"), p.window)
        return {"UST.10Y.FUT": -squash(z, p.scale)}


class UsPayrollsMomentum(
    BaseStrategy[ActivityParams], name="RATES_US_05", family="rates", instruments=("UST.2Y.FUT",)
):
    """RATES_US_05 — pay the 2y Treasury (short the future) when payroll growth runs above
    its 12-month pace and receive when below: labour-market news moves the expected Fed
    path. Payrolls are revised for months, so the vintage grid is informative here.

    Reference: Gürkaynak, Sack & Swanson (2005), AER 95(1); Croushore & Stark (2001), "A
    real-time data set for macroeconomists", J. Econometrics 105(1).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        z = _activity_z(values_of(view, "US.PAYROLLS.CHG"), self.params)
        return {"UST.2Y.FUT": squash(z, 1.0)}

"""FX strategies on USD/BRL (house sign: +1 is long USD / short BRL)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import Field

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.lake.pit import PITView
from research_core.models.scores import zscore_last
from research_core.strategies._market import (
    carry_to_vol_array,
    common_values,
    dropped,
    momentum_array,
    values_of,
)
from research_core.strategies.base import (
    BaseStrategy,
    StrategyParams,
    agent_position,
    squash,
    trend_z,
)


class BrlCarryParams(StrategyParams):
    rebalance: Literal["D", "W", "M"] = "M"
    carry_weight: float = Field(0.5, ge=0, le=1, description="carry vs BEER weight")
    scale: float = Field(0.5, gt=0, description="carry/vol that maps to tanh(1)")


class BrlCarryBeer(
    BaseStrategy[BrlCarryParams], name="FX_BR_01", family="fx", instruments=("USDBRL.FUT",)
):
    """FX_BR_01 — BRL carry filtered by valuation: be long BRL when the CDI–Treasury bill
    differential per unit of FX volatility is high, less so (or short) when the FX agent's
    behavioural equilibrium (BEER) says BRL is already overvalued. Carry pays on average;
    valuation guards against the crash risk of carry into overvaluation.

    Reference: Lustig & Verdelhan (2007), AER 97(1); Clark & MacDonald (1998), "Exchange
    rates and economic fundamentals: BEERs and FEERs", IMF WP 98/67.
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        p = self.params
        c = squash(float(carry_to_vol_array(view, self.instruments)[0]), p.scale)
        beer = agent_position(view, "fx_equilibrium", "USDBRL.FUT")
        return {"USDBRL.FUT": p.carry_weight * c + (1 - p.carry_weight) * beer}


class CupomParams(StrategyParams):
    window: int = Field(B3_SESSIONS_PER_YEAR, ge=60)
    scale: float = Field(1.5, gt=0)


class CupomCip(
    BaseStrategy[CupomParams],
    name="CUPOM_01",
    family="fx",
    instruments=("USDBRL.FUT", "USDBRL.NDF"),
):
    """CUPOM_01 — FX coupon versus covered interest parity: the onshore dollar rate
    implied by DI minus the Treasury bill and the sovereign CDS (a CIP-deviation proxy;
    the fund's desk uses the DDI/FRC curve where the lake has it). When the deviation is
    wide against its year, be long BRL onshore (short DOL futures) and hedge the spot
    with the offshore NDF; the basis tends to close as dealer balance sheets free up.

    Reference: Du, Tepper & Verdelhan (2018), "Deviations from covered interest rate
    parity", JF 73(3); Garcia & Volpon (2014), "DI and cupom cambial", BCB WP.
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        di, bill, cds = common_values(view, ["BR.DI.3M", "US.UST.3M", "BR.CDS.5Y"])
        dev = dropped(di - bill - cds / 100)
        x = squash(zscore_last(dev, self.params.window), self.params.scale)
        return {"USDBRL.FUT": -x, "USDBRL.NDF": x}


class TrendParams(StrategyParams):
    sessions: int = Field(63, ge=5, description="momentum window")
    scale: float = Field(1.0, gt=0)


class BrlTrend(
    BaseStrategy[TrendParams], name="FX_BR_02", family="fx", instruments=("USDBRL.FUT",)
):
    """FX_BR_02 — time-series momentum in USD/BRL: follow the sign and strength of the
    last quarter's (carry-adjusted) return. Currency trends persist because information
    diffuses slowly and central banks smooth.

    Reference: Menkhoff, Sarno, Schmeling & Schrimpf (2012), "Currency momentum
    strategies", JFE 106(3).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        m = momentum_array(view, self.instruments, self.params.sessions)
        return {"USDBRL.FUT": squash(float(m[0]), self.params.scale)}


class FlowParams(StrategyParams):
    weeks: int = Field(4, ge=1, description="weeks of flows summed")
    window: int = Field(104, ge=26, description="weeks in the z-score")


class BrlFlows(BaseStrategy[FlowParams], name="FX_BR_03", family="fx", instruments=("USDBRL.FUT",)):
    """FX_BR_03 — FX flows: strong commercial plus financial inflows (BCB weekly data)
    against their two-year norm support BRL; be short USD/BRL on inflows, long on
    outflows. Order flow carries information about fundamentals that prices absorb slowly.

    Reference: Evans & Lyons (2002), "Order flow and exchange rate dynamics", JPE 110(1).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        sids = ["BR.FXFLOW.COMMERCIAL", "BR.FXFLOW.FINANCIAL"]
        flows = pd.Series(dropped(np.add(*common_values(view, sids))))  # a window of rows:
        summed = flows.rolling(self.params.weeks).sum()  # the dates do not enter
        return {"USDBRL.FUT": -squash(zscore_last(summed, self.params.window), 1.5)}


class BrlTermsOfTrade(
    BaseStrategy[TrendParams], name="FX_BR_04", family="fx", instruments=("USDBRL.FUT",)
):
    """FX_BR_04 — terms of trade: Brazil exports iron ore, soybeans and oil, so a rally in
    that basket over the last quarter improves the trade balance and supports BRL; be
    short USD/BRL when the basket rises, long when it falls.

    Reference: Chen & Rogoff (2003), "Commodity currencies", JIE 60(1).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        n = self.params.sessions
        moves = [
            trend_z(np.log(values_of(view, s)), n)
            for s in ("CMD.IRON.ORE", "CMD.SOYBEAN", "CMD.BRENT")
        ]
        score = float(np.nanmean(moves)) if np.isfinite(moves).any() else 0.0
        return {"USDBRL.FUT": -squash(score, self.params.scale)}


class GlobalDollar(
    BaseStrategy[TrendParams], name="FX_BR_05", family="fx", instruments=("USDBRL.FUT",)
):
    """FX_BR_05 — the global dollar cycle: when the broad dollar (DXY) trends up, EM
    currencies weaken with it; be long USD/BRL in dollar up-trends, short in down-trends.

    Reference: Verdelhan (2018), "The share of systematic variation in bilateral exchange
    rates", JF 73(1).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        score = trend_z(np.log(values_of(view, "US.DXY")), self.params.sessions)
        return {"USDBRL.FUT": squash(score, self.params.scale)}

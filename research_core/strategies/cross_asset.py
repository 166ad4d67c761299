"""Cross-asset strategies over the whole instrument list: trend, carry, value, momentum,
positioning and regimes (house sign: +1 profits when the quote rises)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import Field

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.lake.pit import PITView
from research_core.models.scores import nan_std, nan_sum, zscore_last
from research_core.strategies._market import (
    by_column,
    carry_to_vol_array,
    distinct_ids,
    momentum_array,
    rank_items,
    return_arrays,
    values_of,
)
from research_core.strategies.base import (
    BaseStrategy,
    StrategyParams,
    agent_position,
    squash,
)

UNIVERSE = (
    "DI1.2Y",
    "DI1.10Y",
    "NTNB.10Y",
    "USDBRL.FUT",
    "UST.2Y.FUT",
    "UST.10Y.FUT",
    "BR.CDS.5Y",
    "IBOV.FUT",
    "ES.FUT",
    "BRENT.FUT",
    "GOLD.FUT",
)


class MonthlyParams(StrategyParams):
    rebalance: Literal["D", "W", "M"] = "M"
    sessions: int = Field(B3_SESSIONS_PER_YEAR, ge=21, description="look-back window in sessions")
    skip: int = Field(21, ge=0, description="most recent sessions left out")


class MultiAssetTrend(
    BaseStrategy[MonthlyParams], name="XA_TREND_01", family="cross_asset", instruments=UNIVERSE
):
    """XA_TREND_01 — time-series momentum across rates, FX, credit, equity and
    commodities: hold each instrument in the direction of its 12-month (skip 1) return.
    Under-reaction and then over-reaction make trends persist for up to a year.

    Reference: Moskowitz, Ooi & Pedersen (2012), "Time series momentum", JFE 104(2).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        m = momentum_array(view, self.instruments, self.params.sessions, self.params.skip)
        return {
            i: float(np.sign(v)) for i, v in zip(distinct_ids(self.instruments), m, strict=True)
        }


class VolManagedParams(MonthlyParams):
    short_vol: int = Field(21, ge=5, description="sessions in the recent volatility")


class VolManagedMomentum(
    BaseStrategy[VolManagedParams], name="XA_VOLMOM_01", family="cross_asset", instruments=UNIVERSE
):
    """XA_VOLMOM_01 — volatility-managed momentum: the trend signal, scaled down when each
    instrument's recent volatility runs above its one-year level. Momentum crashes cluster
    in high-volatility states; managing exposure by recent variance raises the Sharpe.

    Reference: Barroso & Santa-Clara (2015), "Momentum has its moments", JFE 116(1);
    Moreira & Muir (2017), "Volatility-managed portfolios", JF 72(4).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        p = self.params
        m = momentum_array(view, self.instruments, p.sessions, p.skip)
        r = by_column(return_arrays(view, self.instruments, p.sessions)[1])
        std = nan_std(r, axis=1)  # the frame's std, its bits
        recent = nan_std(r[:, -p.short_vol :], axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = std / recent
        ratio = np.where(np.isnan(ratio), 0.0, np.where(ratio > 1.0, 1.0, ratio))  # clip
        return {
            i: squash(float(x), 1.0) * float(y)
            for i, x, y in zip(distinct_ids(self.instruments), m, ratio, strict=True)
        }


class RegimeParams(StrategyParams):
    rebalance: Literal["D", "W", "M"] = "M"


RISK_ON = {"IBOV.FUT": 1.0, "ES.FUT": 1.0, "USDBRL.FUT": -1.0, "DI1.2Y": -0.5, "GOLD.FUT": -0.5}


class RegimeAllocation(
    BaseStrategy[RegimeParams],
    name="XA_REGIME_01",
    family="cross_asset",
    instruments=tuple(RISK_ON),
):
    """XA_REGIME_01 — regime-switching allocation: the cross-asset agent's global risk
    regime (risk-on/off from a two-state HMM) and Brazil score set a risk-on basket
    (long equities, long BRL, receive DI) or its mirror with gold as the hedge. Asset
    returns differ sharply across volatility regimes and regimes persist.

    Reference: Ang & Bekaert (2002), "International asset allocation with regime shifts",
    RFS 15(4); Kritzman, Page & Turkington (2012), "Regime shifts", FAJ 68(3).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        risk = agent_position(view, "cross_asset", "GLOBAL.RISK")  # + = risk-off priced low
        return {i: -risk * w for i, w in RISK_ON.items()}


class CotParams(StrategyParams):
    window: int = Field(156, ge=52, description="weeks in the positioning z-score")
    threshold: float = Field(1.0, ge=0, description="|z| below which there is no view")


COT = {  # CFTC series: (instrument, sign of the instrument's quote when specs are long)
    "CFTC.BRL.NET.NONCOMM": ("USDBRL.FUT", -1.0),  # long BRL futures = short USD/BRL
    "CFTC.UST10Y.NET.NONCOMM": ("UST.10Y.FUT", -1.0),  # long T-notes = short the yield
    "CFTC.SPX.NET.NONCOMM": ("ES.FUT", 1.0),
}


class CotContrarian(
    BaseStrategy[CotParams],
    name="XA_COT_01",
    family="cross_asset",
    instruments=tuple(i for i, _ in COT.values()),
):
    """XA_COT_01 — fade crowded speculative positioning: when non-commercial net
    positions in BRL, T-note or S&P futures sit at an extreme of their three-year range,
    position against the crowd (a crowded trade has fewer marginal buyers left).

    Reference: Bessembinder & Chan (1992), "Time-varying risk premia and forecastable
    returns in futures markets", JFE 32(2); Wang (2003), "Investor sentiment, market timing,
    and futures returns", Applied Financial Economics 13(12).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        out = {}
        for sid, (inst, sign) in COT.items():
            z = zscore_last(values_of(view, sid), self.params.window)
            crowded = np.isfinite(z) and abs(z) >= self.params.threshold
            out[inst] = -sign * squash(z, 1.5) if crowded else 0.0
        return out


class CrossSectionalCarry(
    BaseStrategy[MonthlyParams], name="XA_CARRY_01", family="cross_asset", instruments=UNIVERSE
):
    """XA_CARRY_01 — cross-sectional carry: rank the instruments by carry per unit of
    volatility and go long the high-carry end, short the low-carry end. Carry predicts
    returns across asset classes.

    Reference: Koijen, Moskowitz, Pedersen & Vrugt (2018), "Carry", JFE 127(2).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        score = carry_to_vol_array(view, self.instruments, self.params.sessions)
        has_carry = score != 0
        return rank_items(np.asarray(distinct_ids(self.instruments))[has_carry], score[has_carry])


class ValueReversalParams(StrategyParams):
    rebalance: Literal["D", "W", "M"] = "M"
    sessions: int = Field(
        1260, ge=B3_SESSIONS_PER_YEAR, description="sessions of the long-run return"
    )


class CrossSectionalValue(
    BaseStrategy[ValueReversalParams],
    name="XA_VALUE_01",
    family="cross_asset",
    instruments=UNIVERSE,
):
    """XA_VALUE_01 — cross-sectional value as long-run reversal: instruments whose
    five-year unit return is lowest are cheap; go long the cheapest, short the dearest.

    Reference: Asness, Moskowitz & Pedersen (2013), "Value and momentum everywhere",
    JF 68(3).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        _, r = return_arrays(view, self.instruments, self.params.sessions)
        if len(r) < self.params.sessions // 2:
            return {}
        return rank_items(distinct_ids(self.instruments), -nan_sum(np.log1p(by_column(r)), axis=1))


class CrossSectionalMomentum(
    BaseStrategy[MonthlyParams], name="XA_MOM_01", family="cross_asset", instruments=UNIVERSE
):
    """XA_MOM_01 — cross-sectional momentum: rank instruments by their risk-adjusted
    12-month (skip 1) return; long the winners, short the losers.

    Reference: Asness, Moskowitz & Pedersen (2013), JF 68(3); Jegadeesh & Titman (1993),
    JF 48(1).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        m = momentum_array(view, self.instruments, self.params.sessions, self.params.skip)
        return rank_items(distinct_ids(self.instruments), m)

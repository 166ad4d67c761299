"""Sovereign credit strategies on Brazil 5y CDS (house sign: +1 buys protection, profiting
when the spread widens)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import Field

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.lake.pit import PITView
from research_core.models.scores import zscore_last
from research_core.strategies._market import aligned, values_of
from research_core.strategies.base import (
    BaseStrategy,
    StrategyParams,
    agent_position,
    squash,
    trend_z,
)


class FiscalParams(StrategyParams):
    rebalance: Literal["D", "W", "M"] = "M"
    window: int = Field(B3_SESSIONS_PER_YEAR, ge=60)
    value_weight: float = Field(0.5, ge=0, le=1)


class CdsVsFiscal(
    BaseStrategy[FiscalParams], name="SOV_BR_01", family="credit", instruments=("BR.CDS.5Y",)
):
    """SOV_BR_01 — CDS versus fiscal fundamentals: buy protection when the fiscal agent
    sees debt dynamics deteriorating (r–g against the primary balance) and the spread has
    not yet widened against its year; sell protection when fundamentals improve and the
    spread is wide.

    Reference: Longstaff, Pan, Pedersen & Singleton (2011), "How sovereign is sovereign
    credit risk?", AEJ:Macro 3(2); Aizenman, Hutchison & Jinjarak (2013), JIMF 34.
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        p = self.params
        fundamentals = agent_position(view, "fiscal", "BR.CDS.5Y")
        value = -squash(zscore_last(values_of(view, "BR.CDS.5Y"), p.window), 1.5)
        return {"BR.CDS.5Y": (1 - p.value_weight) * fundamentals + p.value_weight * value}


class CdsTrendParams(StrategyParams):
    sessions: int = Field(21, ge=5, description="sessions of the spread change")


class CdsTrend(
    BaseStrategy[CdsTrendParams], name="SOV_BR_02", family="credit", instruments=("BR.CDS.5Y",)
):
    """SOV_BR_02 — trend in sovereign spreads: widening begets widening as real-money
    investors de-risk slowly; buy protection after a large one-month widening (against
    the spread's daily volatility), sell after a tightening.

    Reference: Moskowitz, Ooi & Pedersen (2012), "Time series momentum", JFE 104(2).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        z = trend_z(values_of(view, "BR.CDS.5Y"), self.params.sessions)
        return {"BR.CDS.5Y": squash(z, 1.0)}


class ResidualParams(StrategyParams):
    window: int = Field(B3_SESSIONS_PER_YEAR, ge=60, description="sessions in the regression")


class CdsGlobalResidual(
    BaseStrategy[ResidualParams], name="SOV_BR_03", family="credit", instruments=("BR.CDS.5Y",)
):
    """SOV_BR_03 — Brazil CDS against global risk: regress the spread on the VIX and the
    US Baa spread over the last year; a large positive residual means Brazil trades wide
    for idiosyncratic reasons that tend to revert, so sell protection (buy when tight).

    Reference: Longstaff et al. (2011), AEJ:Macro 3(2) — most sovereign CDS variation is
    global; Pan & Singleton (2008), "Default and recovery implicit in the term structure of
    sovereign CDS spreads", JF 63(5).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        frame = aligned(view, ["BR.CDS.5Y", "US.VIX", "US.BAA.SPREAD"])[-self.params.window :]
        if len(frame) < 60:
            return {}
        x = np.column_stack([np.ones(len(frame)), frame[:, 1:]])
        y = frame[:, 0]
        beta, *_ = np.linalg.lstsq(x, y, rcond=None)
        resid = y - x @ beta
        sd = float(resid.std())
        return {"BR.CDS.5Y": -squash(resid[-1] / sd if sd > 0 else 0.0, 1.5)}


class CdsBaaLead(
    BaseStrategy[CdsTrendParams], name="SOV_BR_04", family="credit", instruments=("BR.CDS.5Y",)
):
    """SOV_BR_04 — US credit leads EM sovereign credit: a widening of the Baa–Treasury
    spread over the last month signals tighter global funding; buy Brazil protection
    then, sell it when US credit rallies.

    Reference: Gilchrist & Zakrajšek (2012), "Credit spreads and business cycle
    fluctuations", AER 102(4); González-Rozada & Levy Yeyati (2008), "Global factors and
    emerging market spreads", EJ 118.
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        z = trend_z(values_of(view, "US.BAA.SPREAD"), self.params.sessions)
        return {"BR.CDS.5Y": squash(z, 1.0)}

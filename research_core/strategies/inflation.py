"""Inflation strategies: breakevens, inflation surprises (house sign: +1 profits when the
yield rises)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

import numpy as np
from pydantic import Field

from research_core.lake.pit import PITView
from research_core.models.resample import week_lasts, week_numbers
from research_core.models.scores import nan_mean, nan_std, zscore_last
from research_core.pnl import view_reads
from research_core.strategies._market import dropped, values_of
from research_core.strategies.base import (
    BaseStrategy,
    StrategyParams,
    agent_position,
    squash,
    trend_z,
)


class BreakevenParams(StrategyParams):
    rebalance: Literal["D", "W", "M"] = "M"
    window: int = Field(156, ge=26, description="weeks in the gap's z-score")
    agent_weight: float = Field(0.5, ge=0, le=1)


class BreakevenVsFocus(
    BaseStrategy[BreakevenParams],
    name="INF_BR_01",
    family="inflation",
    instruments=("DI1.2Y", "NTNB.5Y"),
):
    """INF_BR_01 — 2y breakeven inflation versus Focus expectations and the inflation
    agent: when breakevens price more inflation than surveys expect (against the gap's
    own history) and the agent does not call inflation higher than priced, sell breakevens
    (receive DI, pay NTN-B real yields); buy them in the opposite case. The gap is an
    inflation risk premium that mean-reverts.

    Reference: Ang, Bekaert & Wei (2007), "Do macro variables, asset markets, or surveys
    forecast inflation better?", JME 54(4); Vicente & Guillen (2013), "Do inflation-linked
    bonds contain information about future inflation?", Revista Brasileira de Economia.
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        p = self.params
        value = -squash(zscore_last(_weekly_gap(view), p.window), 1.5)
        agent = agent_position(view, "inflation", "BR.INFLATION")
        x = (1 - p.agent_weight) * value + p.agent_weight * agent  # + = long breakeven
        return {"DI1.2Y": x, "NTNB.5Y": -x}


def _weekly_gap(view: PITView) -> np.ndarray:
    """:func:`weekly_gap` of the 2y breakeven and the Focus 12m median known at ``view``."""
    reads = view_reads(view)
    return weekly_gap(reads.values("BR.BREAKEVEN.2Y"), reads.values("BR.FOCUS.IPCA.12M"))


def weekly_gap(
    breakeven: tuple[np.ndarray, np.ndarray], focus: tuple[np.ndarray, np.ndarray]
) -> np.ndarray:
    """The breakeven's weekly last less the Focus median's, carried forward over the
    breakeven's weeks, where both are known: ``(be - focus.reindex(be.index).ffill())
    .dropna()`` of the two :func:`weekly_last` series, from their (sorted naive dates,
    values) arrays."""
    be_dates, be = breakeven
    weeks, last = week_lasts(be_dates, be)
    f_weeks, f_last = week_lasts(*focus)
    if not len(f_weeks):
        return last[:0]
    pos = f_weeks.searchsorted(weeks, side="right") - 1  # the Focus week carried forward,
    held = f_last[np.maximum(pos, 0)]  # from within the breakeven's own weeks only
    inside = (pos >= 0) & (f_weeks[np.maximum(pos, 0)] >= week_numbers(be_dates[:1]))
    return dropped(last - np.where(inside, held, np.nan))


class SurpriseParams(StrategyParams):
    rebalance: Literal["D", "W", "M"] = "M"
    months: int = Field(3, ge=1)


class IpcaMomentum(
    BaseStrategy[SurpriseParams], name="INF_BR_02", family="inflation", instruments=("DI1.1Y",)
):
    """INF_BR_02 — inflation momentum: when the latest IPCA-15 runs above the last few
    months of IPCA, the Copom is more likely to tighten than the 1y DI prices; pay the 1y
    (and receive when inflation decelerates).

    Reference: Stock & Watson (2007), "Why has U.S. inflation become harder to forecast?",
    JMCB 39(s1); Barbosa, Bessada & Hirata (2018), BCB WP on Brazilian inflation surprises.
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        ipca = dropped(values_of(view, "BR.IPCA.MOM"))
        ipca15 = dropped(values_of(view, "BR.IPCA15.MOM"))
        if len(ipca) < 36 or not len(ipca15):
            return {}
        surprise = ipca15[-1] - nan_mean(ipca[-self.params.months :])
        step = np.concatenate([[np.nan], ipca[1:] - ipca[:-1]])  # Series.diff
        sd = float(nan_std(step[-36:]))
        return {"DI1.1Y": squash(surprise / sd if sd > 0 else 0.0, 1.0)}


class OilParams(StrategyParams):
    sessions: int = Field(63, ge=5, description="sessions of the oil and breakeven move")


class UsOilBreakeven(
    BaseStrategy[OilParams], name="INF_US_01", family="inflation", instruments=("UST.5Y.FUT",)
):
    """INF_US_01 — oil and breakevens lead US yields: a joint rise in Brent and the 5y
    breakeven over the last quarter raises expected inflation and the term premium; short
    the 5y Treasury future (pay) then, buy it when both fall.

    Reference: Kilian (2009), "Not all oil price shocks are alike", AER 99(3); Gürkaynak,
    Sack & Wright (2010), "The TIPS yield curve and inflation compensation", AEJ:Macro.
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        n = self.params.sessions
        oil_z = trend_z(np.log(values_of(view, "CMD.BRENT")), n)
        be_z = trend_z(values_of(view, "US.BREAKEVEN.5Y"), n)
        return {"UST.5Y.FUT": squash(0.5 * (oil_z + be_z), 1.0)}

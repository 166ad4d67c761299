"""Curve strategies on the DI curve known at the date: slope, butterfly, and the Copom path
it prices against the Focus survey (house sign: +1 pays the tenor, profiting when its
yield rises).

The DI curve's pillars are the B3 DI × pré zero rates at fixed business-day tenors
(:mod:`research_core.curves.build`), so its 1y, 2y, 5y and 10y zero rates are the
``BR.DI.*`` quotes themselves; the histories the z-scores need are read as known at the
date, and the Copom path is read off the curve bootstrapped at the date
(as :func:`research_core.curves.policy.copom_path` reads it).
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache

import numpy as np
import pandas as pd
from pydantic import Field

from research_core.calendars import B3_SESSIONS_PER_YEAR, business_days
from research_core.catalog import policy_decisions
from research_core.curves.build import spec_of
from research_core.curves.curve import interp_log_df, log_df_to_rate, rate_to_log_df
from research_core.curves.policy import LAST_PERIOD_BDAYS, SURVEY, TZ
from research_core.errors import CurveError
from research_core.lake.pit import PITView
from research_core.models.scores import zscore_last
from research_core.strategies._market import common_values, dropped
from research_core.strategies.base import BaseStrategy, StrategyParams, squash
from research_core.strategies.rates import (
    AgentParams,
    DiCurveSlope,
    DiTaylorGap,
    _slope_positions,
)


class DiSlope1y5y(DiCurveSlope, name="RATES_BR_06", instruments=("DI1.1Y", "DI1.5Y")):
    """RATES_BR_06 — mean reversion of the DI 1y–5y slope (the belly against the front,
    where Copom cycles show first): when the slope's z-score is high (curve unusually
    steep), receive the 5y and pay the 1y (a risk-weighted flattener); when low, the
    steepener (RATES_BR_03's parameters, on the 1y–5y).

    Reference: Cochrane & Piazzesi (2005), "Bond risk premia", AER 95(1); Litterman &
    Scheinkman (1991), "Common factors affecting bond returns", JFI 1(1).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        return _slope_positions(view, "DI1.5Y", "DI1.1Y", self.params)


class FlyParams(StrategyParams):
    window: int = Field(504, ge=60, description="sessions for the butterfly's z-score")
    scale: float = Field(1.5, gt=0, description="z-score that maps to tanh(1)")


class DiButterfly(
    BaseStrategy[FlyParams],
    name="RATES_BR_07",
    family="rates",
    instruments=("DI1.2Y", "DI1.5Y", "DI1.10Y"),
):
    """RATES_BR_07 — mean reversion of the DI 2y–5y–10y butterfly, 2·z5 − z2 − z10 (the
    curvature factor): when the 5y is cheap against the wings (z-score high), receive the
    5y and pay the 2y and 10y, half a unit each; the reverse when rich.

    Reference: Litterman & Scheinkman (1991), "Common factors affecting bond returns", JFI
    1(1); Diebold & Li (2006), "Forecasting the term structure", J. Econometrics 130(2).
    """

    def positions(self, view: PITView) -> Mapping[str, float]:
        z2, z5, z10 = common_values(view, [f"BR.DI.{t}" for t in ("2Y", "5Y", "10Y")])
        fly = dropped(2.0 * z5 - z2 - z10)
        x = squash(zscore_last(fly, self.params.window), self.params.scale)
        return {"DI1.5Y": -x, "DI1.2Y": 0.5 * x, "DI1.10Y": 0.5 * x}


class CopomParams(AgentParams):  # rebalance: strategies.yaml sets W
    scale_bp: float = Field(50.0, gt=0, description="market − survey gap (bp) → tanh(1)")


SELIC, CDI = "BR.SELIC.TARGET", "BR.CDI"


@cache
def _copom_days() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Copom decision instants (UTC, ns), their São Paulo dates (ns) and those dates'
    years, and the B3 sessions (ns): the calendars, once."""
    stamps = policy_decisions("copom")
    local = pd.DatetimeIndex(stamps.tz_convert(TZ["copom"]).tz_localize(None).normalize())
    sessions = business_days("B3").as_unit("ns").asi8
    return stamps.as_unit("ns").asi8, local.as_unit("ns").asi8, sessions


def _year(ns: np.ndarray) -> np.ndarray:
    """Calendar years of naive dates (ns)."""
    return ns.view("datetime64[ns]").astype("datetime64[Y]").astype(np.int64) + 1970


@cache
def _di_pillars() -> tuple[np.ndarray, np.ndarray]:
    """The DI curve's pillars in du order and their times (du / 252, years)."""
    du = np.rint(np.asarray(spec_of("DI").times) * B3_SESSIONS_PER_YEAR).astype(int)
    order = np.argsort(du)
    return order, np.asarray(du, dtype=float)[order] / B3_SESSIONS_PER_YEAR


def market_vs_focus_bp(view: PITView) -> float:
    """Implied Selic after the last Copom meeting of the year the Focus survey's
    year-end median is for (this year's, else next year's) minus that median, bp, from
    one read of the quotes known at the view; NaN when something is not known yet.

    The number :func:`research_core.curves.policy.copom_path` sets beside that meeting
    (the same curve: :func:`research_core.curves.build.di_curve` of the quotes; the DI
    forward from the session after that decision to the session after the next one, or
    over the calendar's usual spacing after its last; minus the CDI − Selic spread at the
    date), computed for that one period on arrays so a weekly backtest stays fast."""
    di = spec_of("DI")
    k = len(di.series)
    ids = [*di.series, SELIC, CDI, *SURVEY.values()]
    known, v = view.latest_values(ids)  # a withdrawn value is NaN, as view.latest gives it
    if not np.isfinite(v[: k + 2]).all():
        return float("nan")
    day = int(known[:k].max())
    order, t = _di_pillars()
    log_df = rate_to_log_df(v[:k][order][None, :], t, "annual")[0]  # the zero curve's DFs
    stamps, local, sessions = _copom_days()
    meets = local[(stamps > view.as_of.value) & (local >= day)]
    years = _year(meets)
    eff = np.searchsorted(sessions, meets, side="right")  # the session after each
    eff -= np.searchsorted(sessions, day)
    for j, key in enumerate(SURVEY, start=k + 2):  # CY, then NY
        if not np.isfinite(v[j]):
            continue
        year = int(_year(known[j : j + 1])[0]) + (key == "NY")
        n = int((years <= year).sum())  # the year's last meeting is the n-th
        if n == 0 or years[n - 1] != year:
            continue
        gap = LAST_PERIOD_BDAYS if len(eff) < 2 else int(np.median(np.diff(eff)))
        end = eff[n] if n < len(eff) else eff[-1] + gap
        a, b = (np.atleast_1d(np.asarray(x / B3_SESSIONS_PER_YEAR)) for x in (eff[n - 1], end))
        if not (b > a).all():  # as Curve.forward: two meetings in one session
            raise CurveError(f"a forward needs t2 > t1, got {a[0]:.6f} and {b[0]:.6f} years")
        fwd = log_df_to_rate(
            interp_log_df(t, log_df, b) - interp_log_df(t, log_df, a), b - a, "annual"
        )
        return (float(fwd[0]) - (v[k + 1] - v[k]) - v[j]) * 100.0
    return float("nan")


class CopomVsFocus(DiTaylorGap, name="RATES_BR_08"):  # RATES_BR_02's front trade
    """RATES_BR_08 — trade the front of the DI curve when the Copom path it prices
    disagrees with the Focus survey: the implied Selic after the year's last meeting
    (this year's, else next year's) minus the Focus median for the year's end, as known at
    the date (:func:`market_vs_focus_bp`). The market above the survey (more hikes priced
    than economists expect): receive the 1y (and the 2y, ``secondary``); below: pay.

    Reference: Gürkaynak, Sack & Swanson (2005), "Do actions speak louder than words?",
    IJCB 1(1), on futures-implied policy paths; Piazzesi & Swanson (2008), "Futures prices
    as risk-adjusted forecasts of monetary policy", JME 55(4), on their term premium.
    """

    Params = CopomParams  # a subclass of RATES_BR_02's parameters
    params: CopomParams

    def positions(self, view: PITView) -> Mapping[str, float]:
        x = -squash(market_vs_focus_bp(view), self.params.scale_bp)  # NaN: flat
        return {"DI1.1Y": x, "DI1.2Y": self.params.secondary * x}

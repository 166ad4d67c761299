"""The policy path a curve prices, meeting by meeting, against the survey.

Brazil (:func:`copom_path`): the DI curve accrues the CDI business day by business day
(du/252, B3 calendar); a Copom decision, announced in the evening, moves the CDI from the
next business day. The curve's forward between two such effective days is the CDI the
market expects over that inter-meeting period; the implied Selic is that CDI minus the
CDI–Selic spread known at the date (CDI − Selic target, bp, assumed constant); the implied
change at a meeting is the implied Selic after it minus the one before it (before the
first meeting: the target in force), and the path is their running sum. The rate set at
the last meeting in the calendar is read over the next 42 business days (the usual
spacing of Copom meetings). The Focus survey's median Selic for the end of a year
(``BR.FOCUS.SELIC.CY``/``NY``, the last survey known at the date) is set beside the year's
last meeting: "market vs survey" in bp.

United States (:func:`fomc_path`): the lake holds no fed funds futures, so the path is
read from the Treasury bills curve (UST 3-month and the curve beyond, act/365.25),
labelled as such: forwards between FOMC decision days, minus the (3-month bill − fed
funds target upper bound) spread at the date. No survey.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core.calendars import B3_SESSIONS_PER_YEAR, business_days
from research_core.catalog import policy_decisions
from research_core.curves.build import build_curve, local_day
from research_core.curves.curve import Curve
from research_core.errors import CurveError
from research_core.lake.pit import PITView

LAST_PERIOD_BDAYS = 42
SURVEY = {"CY": "BR.FOCUS.SELIC.CY", "NY": "BR.FOCUS.SELIC.NY"}
TZ = {"copom": "America/Sao_Paulo", "fomc": "America/New_York"}


@dataclass(frozen=True, eq=False)
class PolicyPath:
    """Implied rate per inter-meeting period and change per meeting; ``table`` columns:
    meeting, effective, business_days, implied_rate_pct, implied_policy_pct, change_bp,
    cumulative_bp, survey_pct, market_vs_survey_bp. The first row is the period before
    the first meeting (meeting NaT)."""

    label: str
    as_of: pd.Timestamp
    policy_rate_pct: float
    spread_bp: float
    table: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        return self.table.copy()

    def summary(self) -> str:
        rows = self.table.dropna(subset=["meeting"])
        if rows.empty:
            return f"{self.label}: no meeting in the calendar after {self.as_of.date()}"
        last = rows.iloc[-1]
        return (
            f"{self.label} at {self.as_of.date()}: policy rate {self.policy_rate_pct:.2f} % a.a., "
            f"spread {self.spread_bp:+.1f} bp; {len(rows)} meetings priced, "
            f"{last['cumulative_bp']:+.1f} bp by {pd.Timestamp(last['meeting']).date()}"
        )


def _effective_days(decisions: pd.DatetimeIndex, calendar: str) -> pd.DatetimeIndex:
    days = business_days(calendar)
    pos = np.searchsorted(days.values, decisions.values, side="right")
    return pd.DatetimeIndex(days.values[pos])


def implied_path(
    curve: Curve,
    decisions: pd.DatetimeIndex,
    *,
    policy_rate_pct: float,
    spread_bp: float,
    calendar: str | None = "B3",
    label: str = "",
) -> PolicyPath:
    """The path ``curve`` prices for meetings decided on ``decisions`` (local dates after
    the curve's date). ``calendar``: time in business days/252 on it (DI); None: act/365.25
    (Treasuries). Each decision moves the rate from the next business day (of ``calendar``,
    or of NYSE when None)."""
    day = pd.Timestamp(curve.as_of).normalize()
    meets = pd.DatetimeIndex(decisions).normalize()
    meets = meets[meets >= day].sort_values()
    if len(meets) == 0:
        raise CurveError(f"{label or curve.name}: no meeting in the calendar after {day.date()}")
    sessions = business_days(calendar or "NYSE")
    eff = _effective_days(meets, calendar or "NYSE")
    gap = LAST_PERIOD_BDAYS if len(eff) < 2 else int(np.median(np.diff(_bd(sessions, eff))))
    end = sessions[_bd(sessions, eff[-1:])[0] + gap]
    bounds = pd.DatetimeIndex([day, *eff, end])
    t = _bd(sessions, bounds) - _bd(sessions, bounds[:1])[0]
    years = (
        t / B3_SESSIONS_PER_YEAR
        if calendar
        else (bounds.to_numpy() - day.to_datetime64()) / np.timedelta64(1, "D") / 365.25
    )
    fwd = curve.forward(years[:-1], years[1:])
    policy = fwd - spread_bp / 100.0
    after = policy[1:]  # the implied policy rate set at each meeting
    before = np.r_[policy_rate_pct, after[:-1]]
    table = pd.DataFrame(
        {
            "meeting": pd.DatetimeIndex([pd.NaT]).append(meets),
            "effective": bounds[:-1],
            "business_days": np.diff(t),
            "implied_rate_pct": fwd,
            "implied_policy_pct": policy,
            "change_bp": np.r_[np.nan, (after - before) * 100.0],
            "cumulative_bp": np.r_[np.nan, (after - policy_rate_pct) * 100.0],
        }
    )
    table["survey_pct"] = np.nan
    table["market_vs_survey_bp"] = np.nan
    return PolicyPath(label or curve.name, day, policy_rate_pct, spread_bp, table)


def _bd(sessions: pd.DatetimeIndex, dates: pd.DatetimeIndex) -> np.ndarray:
    """Index of each date among the sessions (the first session on or after it)."""
    return np.searchsorted(sessions.values, pd.DatetimeIndex(dates).values, side="left")


def _local_decisions(meetings: str, after: pd.Timestamp) -> pd.DatetimeIndex:
    """Decision days (local dates) announced after the instant ``after``."""
    stamps = policy_decisions(meetings)
    stamps = stamps[stamps > after]
    return pd.DatetimeIndex(stamps.tz_convert(TZ[meetings]).tz_localize(None).normalize())


def _last(view: PITView, series_id: str) -> tuple[pd.Timestamp, float]:
    s = view.series(series_id).dropna()
    if s.empty:
        raise CurveError(f"{series_id}: nothing known at {local_day(view).date()}")
    return pd.Timestamp(s.index[-1]), float(s.iloc[-1])


def _with_survey(path: PolicyPath, view: PITView) -> PolicyPath:
    table = path.table
    for key, sid in SURVEY.items():
        try:
            when, value = _last(view, sid)
        except CurveError:
            continue
        year = when.year + (1 if key == "NY" else 0)
        in_year = table.index[table["meeting"].dt.year == year]
        if len(in_year):
            i = in_year[-1]
            table.loc[i, "survey_pct"] = value
            table.loc[i, "market_vs_survey_bp"] = (table.loc[i, "implied_policy_pct"] - value) * 100
    return path


def copom_path(view: PITView, curve: Curve | None = None) -> PolicyPath:
    """The Copom path the DI curve known at the view prices, with Focus beside it."""
    curve = curve or build_curve(view, "DI")
    _, selic = _last(view, "BR.SELIC.TARGET")
    _, cdi = _last(view, "BR.CDI")
    path = implied_path(
        curve,
        _local_decisions("copom", view.as_of),
        policy_rate_pct=selic,
        spread_bp=(cdi - selic) * 100.0,
        calendar="B3",
        label="Copom path implied by the DI curve",
    )
    return _with_survey(path, view)


def fomc_path(view: PITView, curve: Curve | None = None) -> PolicyPath:
    """The FOMC path read from the Treasury bills curve (no fed funds futures in the lake)."""
    curve = curve or build_curve(view, "UST")
    _, target = _last(view, "US.FEDFUNDS.TARGET")
    _, bill = _last(view, "US.UST.3M")
    return implied_path(
        curve,
        _local_decisions("fomc", view.as_of),
        policy_rate_pct=target,
        spread_bp=(bill - target) * 100.0,
        calendar=None,
        label="FOMC path implied by the UST bills curve (not fed funds futures)",
    )

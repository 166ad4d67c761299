"""Business-day calendars and release rules against known dates."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd

from research_core.calendars import business_day_range, business_days
from research_core.catalog import series


def test_b3_and_nyse_holidays():
    b3 = business_days("B3")
    nyse = business_days("NYSE")
    for holiday in ("2024-02-12", "2024-02-13", "2024-11-20", "2024-12-25"):  # Carnival, ...
        assert pd.Timestamp(holiday) not in b3
    assert pd.Timestamp("2024-07-04") not in nyse and pd.Timestamp("2024-07-04") in b3
    assert pd.Timestamp("2024-11-20") in nyse
    assert len(business_day_range("2024-01-01", "2024-12-31", "NYSE")) == 252


def test_release_rules():
    # IPCA for January 2024: 6th B3 session of February (Carnival skipped), 09:00 BRT.
    assert series("BR.IPCA.MOM").release_times(["2024-01-01"])[0] == pd.Timestamp(
        "2024-02-08 12:00", tz="UTC"
    )
    # CFTC: Tuesday positions released Friday 15:30 New York time.
    assert series("CFTC.BRL.NET.NONCOMM").release_times(["2024-11-19"])[0] == pd.Timestamp(
        "2024-11-22 20:30", tz="UTC"
    )
    # Market close on a session; a non-session date rolls to the next session.
    ibov = series("BR.IBOV").release_times(["2024-11-19", "2024-11-20"])
    assert ibov[0] == pd.Timestamp("2024-11-19 21:00", tz="UTC")
    assert ibov[1] == pd.Timestamp("2024-11-21 21:00", tz="UTC")
    # US GDP (quarterly): about four weeks after the quarter ends.
    gdp = series("US.GDP.QOQ").release_times(["2024-01-01"])[0]
    assert gdp == pd.Timestamp("2024-04-29 12:30", tz="UTC")


REAL = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "real" / "bcb_copom_selic"


def _known(release: pd.DatetimeIndex, values: np.ndarray, at: pd.Timestamp) -> float:
    """The value of the latest obs_date released by ``at`` (releases rise with obs_date)."""
    return float(values[release.searchsorted(at, side="right") - 1])


def selic_decisions_shown_wrong(release: pd.DatetimeIndex) -> list[str]:
    """Copom decisions whose target change the stamped real SGS 432 history shows too
    early (before noon of decision day, i.e. before the evening announcement) or too late
    (not for the whole first day SGS says the new target is in force)."""
    sgs = pd.DataFrame(json.loads((REAL / "selic_meta_sgs432_daily.json").read_text()))
    dates, values = pd.DatetimeIndex(pd.to_datetime(sgs["x"])), sgs["y"].to_numpy(float)
    meetings = json.loads((REAL / "copom_meetings.json").read_text())
    decided = pd.DatetimeIndex(sorted(pd.Timestamp(r["dataCom"]) for r in meetings if r["dataCom"]))
    tz, wrong = "America/Sao_Paulo", []
    for c in dates[1:][np.diff(values) != 0]:
        m = decided[decided <= c].max() if (decided <= c).any() else pd.NaT
        if pd.isna(m) or c - m > pd.Timedelta(days=7):
            continue  # 1999-2000 changes between meetings (the governor's "viés")
        old, new = values[dates.get_loc(c) - 1], values[dates.get_loc(c)]
        noon = (m + pd.Timedelta(hours=12)).tz_localize(tz)
        late = (c + pd.Timedelta(hours=23, minutes=59)).tz_localize(tz)
        if _known(release, values, noon) != old or _known(release, values, late) != new:
            wrong.append(str(m.date()))
    return wrong


def test_selic_target_is_released_by_the_copom_decision_against_the_real_history():
    """Real SGS 432 (Selic target, one value per calendar day, 1999-2026) stamped with the
    catalog rule, against every Copom decision with a communiqué date (2000-04-19 onward;
    BCB Copom API via nathaliadali/Historico-BCB, see PROVENANCE.md) that moved the target.
    The old rule (09:00 on the value date, next B3 session) got 10 wrong: 7 changes SGS
    dates on a B3 holiday (old target shown all that day) and 2001-07-18, 2004-03-18 and
    2006-04-19, dated on decision day (new target ~9 h before the announcement)."""
    sgs = pd.DataFrame(json.loads((REAL / "selic_meta_sgs432_daily.json").read_text()))
    release = series("BR.SELIC.TARGET").release_times(pd.to_datetime(sgs["x"]))
    assert release.is_monotonic_increasing
    assert selic_decisions_shown_wrong(release) == []


# The Selic target changes between Copom meetings (the governor using the Copom's bias,
# "viés", 1999-2000), by the day real SGS 432 shows the new target in force
BETWEEN_MEETINGS = [
    "1999-03-25", "1999-04-06", "1999-04-29", "1999-05-10", "1999-05-13", "1999-06-09",
    "2000-03-29", "2000-07-10",
]  # fmt: skip


def test_between_meeting_selic_changes_are_not_visible_before_their_day_ends():
    """Issue 24 item 9c: these eight changes were released at 00:00 of their day, so the new
    target showed all day, before any announcement. Our sources give no hour, so each is
    released at 23:59 Brasília of its day: the old target up to then, the new one after.
    The eight are every change of real SGS 432 at least 7 days after the last Copom
    decision (``copom_meetings.json``: the communiqué date, else the minutes' date)."""
    sgs = pd.DataFrame(json.loads((REAL / "selic_meta_sgs432_daily.json").read_text()))
    dates, values = pd.DatetimeIndex(pd.to_datetime(sgs["x"])), sgs["y"].to_numpy(float)
    meetings = json.loads((REAL / "copom_meetings.json").read_text())
    decided = pd.DatetimeIndex(sorted(pd.Timestamp(r["dataCom"] or r["dataAta"]) for r in meetings))
    changes = dates[1:][np.diff(values) != 0]
    between = [c for c in changes if c - decided[decided <= c].max() >= pd.Timedelta(days=7)]
    assert [f"{c:%Y-%m-%d}" for c in between] == BETWEEN_MEETINGS
    release = series("BR.SELIC.TARGET").release_times(dates)
    tz = "America/Sao_Paulo"
    for c in between:
        i = dates.get_loc(c)
        assert release[i].tz_convert(tz) == (c + pd.Timedelta(hours=23, minutes=59)).tz_localize(tz)
        before_end = (c + pd.Timedelta(hours=23, minutes=58)).tz_localize(tz)
        assert _known(release, values, before_end) == values[i - 1]  # the old target
        assert _known(release, values, release[i]) == values[i]  # the new one, from 23:59
        # the day after is public from its midnight, as any day without an announcement
        next_day = (c + pd.Timedelta(days=1)).tz_localize(tz)
        assert release[i + 1] == next_day


def test_fed_target_release_follows_the_fomc_calendar():
    """2015-12-16 lift-off: statement 14:00 ET, released 14:30 ET (Fed meeting calendar);
    2020-03-15 was an unscheduled Sunday cut announced at 17:00 ET; a day without a
    decision is public from its midnight."""
    spec = series("US.FEDFUNDS.TARGET")
    got = spec.release_times(["2015-12-16", "2015-12-17", "2015-12-18", "2020-03-15"])
    ny = got.tz_convert("America/New_York").strftime("%Y-%m-%d %H:%M").tolist()
    assert ny == ["2015-12-16 14:30", "2015-12-17 00:00", "2015-12-18 00:00", "2020-03-15 17:00"]

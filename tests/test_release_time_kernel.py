"""Release times on day numbers (``calendars.release_times``) against the same rules written
with pandas' own period, offset and time-zone arithmetic (the peer), on every catalog rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.calendars import _local_clock_utc, business_days, release_times
from research_core.catalog import series_catalog
from research_core.errors import CalendarError


def _pandas_release_times(obs: pd.DatetimeIndex, frequency: str, rule: dict) -> pd.DatetimeIndex:
    """The rule in pandas: period end + lag, roll to a session, local time to UTC."""
    sessions = business_days(rule.get("calendar", "WEEKDAYS"))

    def roll(d: pd.DatetimeIndex, extra: int = 0) -> pd.DatetimeIndex:
        return pd.DatetimeIndex(sessions[sessions.searchsorted(d, side="left") + extra])

    if rule["rule"] == "close":
        day = roll(obs)
    else:
        end = obs if frequency in ("D", "W") else obs.to_period(frequency.replace("A", "Y"))
        end = end if frequency in ("D", "W") else end.to_timestamp(how="end").normalize()
        end = end + pd.Timedelta(days=int(rule.get("lag_days", 0)))
        bdays = int(rule.get("lag_bdays", 0))
        day = roll(end + pd.Timedelta(days=1), bdays - 1) if bdays else roll(end)
    hh, mm = (int(v) for v in str(rule.get("time", "18:00")).split(":"))
    local = day + pd.Timedelta(hours=hh, minutes=mm)
    return local.tz_localize(rule.get("tz", "UTC"), nonexistent="shift_forward").tz_convert("UTC")


def test_every_catalog_rule_matches_pandas_over_the_dst_years() -> None:
    # Brazil kept summer time until 2019 (midnight switches), the US switches at 02:00
    daily = pd.date_range("2017-01-01", "2019-12-31", freq="D")
    obs = daily.append(pd.date_range("1998-01-01", "2031-06-01", freq="MS")).sort_values()
    checked = 0
    for spec in series_catalog().values():
        if spec.release.get("rule") not in ("close", "after_period"):
            continue
        ours = release_times(obs, spec.frequency, spec.release)
        peer = _pandas_release_times(obs, spec.frequency, spec.release)
        assert ours.equals(peer), spec.id
        checked += 1
    assert checked >= 50


def test_one_date_by_hand() -> None:
    # IPCA of March 2024: the 8th B3 session after 31 March is 10 April (1-5, 8, 9, 10),
    # 09:00 in Sao Paulo (UTC-3, no summer time since 2019) = 12:00 UTC
    rule = {"rule": "after_period", "lag_bdays": 8, "time": "09:00", "tz": "America/Sao_Paulo"}
    got = release_times([pd.Timestamp("2024-03-01")], "M", rule | {"calendar": "B3"})
    assert got[0] == pd.Timestamp("2024-04-10 12:00", tz="UTC")
    # a close on Saturday 2024-03-16 rolls to Monday 18 March, 17:30 New York (EDT, UTC-4)
    close = {"rule": "close", "time": "17:30", "tz": "America/New_York", "calendar": "NYSE"}
    got = release_times(["2024-03-16"], "D", close)
    assert got[0] == pd.Timestamp("2024-03-18 21:30", tz="UTC")


def test_clock_times_a_change_skips_or_repeats() -> None:
    # Sao Paulo 2018-11-04: 00:00-00:59 skipped (moves forward to 01:00 UTC-2 = 03:00 UTC);
    # 2019-02-16 23:30 happened twice (summer time ended at midnight): pandas refuses to
    # guess, and so does the table; 1890 lies before the table and goes through pandas
    days = np.array([pd.Timestamp(d).value // 86_400_000_000_000 for d in ("2018-11-04",)])
    assert (
        _local_clock_utc(days, "America/Sao_Paulo", 30)[0]
        == pd.Timestamp("2018-11-04 03:00", tz="UTC").value
    )
    twice = np.array([pd.Timestamp("2019-02-16").value // 86_400_000_000_000])
    with pytest.raises(ValueError, match="2019-02-16 23:30"):
        _local_clock_utc(twice, "America/Sao_Paulo", 23 * 60 + 30)
    early = np.array([pd.Timestamp("1890-06-02").value // 86_400_000_000_000])
    expected = pd.Timestamp("1890-06-02 09:00").tz_localize("America/New_York").value
    assert _local_clock_utc(early, "America/New_York", 9 * 60)[0] == expected


def test_the_calendars_end_is_refused() -> None:
    with pytest.raises(CalendarError, match="calendar's end"):
        release_times(["2031-12-01"], "M", {"rule": "after_period", "lag_bdays": 5})

"""Business-day calendars and release rules against known dates."""

from __future__ import annotations

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

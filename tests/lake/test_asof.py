"""As-of semantics: bare dates are the end of that day in the fund's time zone."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from research_core.errors import AsOfError
from research_core.lake.asof import as_of_index, as_of_instant

TZ = "America/Sao_Paulo"


def test_bare_date_is_end_of_local_day():
    end = pd.Timestamp("2024-03-16 03:00", tz="UTC") - pd.Timedelta(1, "ns")
    assert as_of_instant("2024-03-15", TZ) == end
    assert as_of_instant(dt.date(2024, 3, 15), TZ) == end
    assert as_of_instant(pd.Timestamp("2024-03-15"), TZ) == end


def test_naive_time_is_local_wall_clock_and_aware_is_exact():
    assert as_of_instant("2024-03-15 09:30", TZ) == pd.Timestamp("2024-03-15 12:30", tz="UTC")
    aware = pd.Timestamp("2024-03-15 12:00", tz="UTC")
    assert as_of_instant(aware, TZ) == aware


def test_index_keeps_order_and_rejects_garbage():
    idx = as_of_index(["2024-02-01", "2024-01-01"], TZ)
    assert idx[0] > idx[1]
    with pytest.raises(AsOfError, match="not a date"):
        as_of_index(["yesterday-ish"], TZ)
    with pytest.raises(AsOfError, match="no as-of"):
        as_of_index([], TZ)


def test_release_at_exactly_as_of_is_visible(lake):
    from tests.lake.conftest import rows

    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03 12:00"]))
    at = pd.Timestamp("2024-01-03 12:00", tz="UTC")
    assert len(lake.at(at).series("TEST.A")) == 1
    assert len(lake.at(at - pd.Timedelta(1, "ns")).series("TEST.A")) == 0

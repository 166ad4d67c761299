"""As-of semantics: bare dates are the end of that day in the fund's time zone."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from research_core.errors import AsOfError, LakeWriteError
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


# DST facts from the IANA tz database: New York falls back 2024-11-03 02:00 EDT -> 01:00 EST
# and springs forward 2024-03-10 02:00 EST -> 03:00 EDT; Sao Paulo fell back 2019-02-17
# 00:00 BRST -> 2019-02-16 23:00 BRT and sprang forward 2018-11-04 00:00 BRT -> 01:00 BRST.
NY = "America/New_York"


def test_ambiguous_wall_time_is_the_earlier_instant():
    # 01:30 happens twice on 2024-11-03; the first time is EDT (UTC-4): 05:30 UTC.
    assert as_of_instant("2024-11-03 01:30", NY) == pd.Timestamp("2024-11-03 05:30", tz="UTC")
    # 23:30 happened twice on 2019-02-16 in Sao Paulo; first under BRST (UTC-2): 01:30 UTC.
    assert as_of_instant("2019-02-16 23:30", TZ) == pd.Timestamp("2019-02-17 01:30", tz="UTC")
    # That 25-hour day ends at the BRT midnight, 03:00 UTC.
    end = pd.Timestamp("2019-02-17 03:00", tz="UTC") - pd.Timedelta(1, "ns")
    assert as_of_instant("2019-02-16", TZ) == end
    # The vectorized path applies the same rules.
    items = ["2024-11-03 01:30", "2024-11-02", "2024-11-03 12:00"]
    assert list(as_of_index(items, NY)) == [as_of_instant(v, NY) for v in items]


def test_nonexistent_wall_time_is_refused_but_a_date_whose_midnight_is_skipped_works():
    with pytest.raises(AsOfError, match="does not exist in America/New_York"):
        as_of_instant("2024-03-10 02:30", NY)
    with pytest.raises(AsOfError, match="does not exist"):
        as_of_index(["2024-03-01", "2024-03-10 02:30"], NY)
    with pytest.raises(AsOfError, match="does not exist"):
        as_of_instant("2018-11-04 00:30", TZ)
    # 2018-11-03 ends when 2018-11-04 starts: 01:00 BRST (UTC-2) = 03:00 UTC.
    end = pd.Timestamp("2018-11-04 03:00", tz="UTC") - pd.Timedelta(1, "ns")
    assert as_of_instant("2018-11-03", TZ) == end


@pytest.mark.parametrize("when", ["9999-12-31", "2500-01-01", "1600-01-01", "2262-04-12"])
def test_out_of_range_instants_are_refused_not_wrapped(lake, when):
    with pytest.raises(AsOfError, match="outside the supported range"):
        lake.at(when)
    with pytest.raises(AsOfError, match="outside the supported range"):
        lake.panel(["TEST.A"], ["2024-01-01", when])
    with pytest.raises(AsOfError, match="outside the supported range"):
        lake.at("2024-01-01").at(when)


def test_out_of_range_dates_are_refused_on_write(lake):
    from tests.lake.conftest import lake_bytes, rows

    before = lake_bytes(lake.root)
    bad_obs = rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03"])
    bad_obs["obs_date"] = ["2500-01-01"]
    bad_rel = rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03"])
    bad_rel["release_time"] = [pd.Timestamp("2500-01-01", tz="UTC")]
    bad_rel_str = rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03"])
    bad_rel_str["release_time"] = ["9999-12-31T00:00Z"]
    for frame, field in ((bad_obs, "obs_date"), (bad_rel, "release_time"), (bad_rel_str, "")):
        with pytest.raises(LakeWriteError, match=f"{field}.*outside the supported range"):
            lake.write(frame)
    assert lake_bytes(lake.root) == before

"""Bitemporal reads: ``lake.at(D, known_by=T)`` and snapshot ids that survive later ingests."""

from __future__ import annotations

import pandas as pd
import pytest

from research_core.errors import AsOfError
from tests.lake.conftest import rows


def test_snapshot_is_unchanged_by_a_later_revision(lake):
    # Hand-written history: period 2024-01-02 first published 1.0, revised to 1.5 in February;
    # period 2024-01-03 published 2.0. The revision is ingested after the snapshot is taken.
    lake.write(
        rows("TEST.A", ["2024-01-02", "2024-01-03"], [1.0, 2.0], ["2024-01-03", "2024-01-04"])
    )
    before = lake.at("2024-03-01")
    snap = before.snapshot_id
    lake.write(rows("TEST.A", ["2024-01-02"], [1.5], ["2024-02-03 12:00"]))

    # The recorded snapshot still answers 1.0, 2.0 ...
    for view in (before, lake.at_snapshot(snap)):
        assert view.series("TEST.A").tolist() == [1.0, 2.0]
        assert view.latest(["TEST.A"])["value"].tolist() == [2.0]
        assert view.snapshot_id == snap
    assert lake.at_snapshot(snap).as_of == before.as_of
    # ... while a plain view made now sees the revision: 1.5, 2.0.
    assert lake.at("2024-03-01").series("TEST.A").tolist() == [1.5, 2.0]
    assert lake.at("2024-03-01").snapshot_id != snap
    # known_by given explicitly: the stamp of the first write sees the old value.
    assert lake.at("2024-03-01", known_by=before.known_by).series("TEST.A").tolist() == [1.0, 2.0]
    panel = lake.panel(["TEST.A"], ["2024-03-01"], known_by=before.known_by)
    assert panel["value"].tolist() == [2.0]


def test_known_by_is_the_commit_stamp_and_grows_strictly(lake):
    first = lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03"]))
    t1 = lake.known_through
    second = lake.write(rows("TEST.B", ["2024-01-02"], [7.0], ["2024-01-03"]))
    t2 = lake.known_through
    assert first.version < second.version and t1 < t2
    stamps = {sid: lake.vintages(sid)["ingested_at"].iloc[0] for sid in ("TEST.A", "TEST.B")}
    assert stamps == {"TEST.A": t1, "TEST.B": t2}
    # Exactly at the first stamp: TEST.A visible, TEST.B not yet stored; 1 ns earlier: nothing.
    view = lake.at("2024-02-01", known_by=t1)
    assert view.series("TEST.A").tolist() == [1.0] and view.series("TEST.B").empty
    assert lake.at("2024-02-01", known_by=t1 - pd.Timedelta(1, "ns")).series("TEST.A").empty
    # A known_by in the future is capped at the newest commit, so its snapshot is final.
    future = lake.at("2024-02-01", known_by="2100-01-01")
    assert future.known_by == t2
    lake.write(rows("TEST.C", ["2024-01-02"], [3.0], ["2024-01-03"]))
    assert lake.at_snapshot(future.snapshot_id).series("TEST.C").empty


def test_snapshot_id_round_trips_and_rejects_garbage(lake):
    view = lake.at("2024-03-15")
    assert lake.at_snapshot(view.snapshot_id).snapshot_id == view.snapshot_id
    # 2024-03-15 end of day in Sao Paulo (UTC-3) is 2024-03-16 02:59:59.999999999 UTC.
    assert view.snapshot_id.startswith("20240316T025959.999999999Z@")
    with pytest.raises(AsOfError, match="snapshot id"):
        lake.at_snapshot("2024-03-15")

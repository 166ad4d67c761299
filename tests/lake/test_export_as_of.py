"""``export_as_of`` writes the rows the lake already validated as they are (issue 29: the
causality check's cut lakes cost a second validation): the copy holds exactly the rows
released by the instant, from several sources, and is a lake like any other (readable,
writable, its stamps after its own commits). Expected rows written by hand."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.errors import LakeError
from research_core.lake.maintenance import export_as_of
from tests.lake.conftest import rows


def test_the_copy_holds_exactly_the_rows_released_by_then(lake, tmp_path):
    lake.write(rows("TEST.A", ["2024-01-02", "2024-01-03"], [1.0, 2.0], ["2024-01-04"] * 2))
    lake.write(rows("TEST.A", ["2024-01-03"], [2.5], ["2024-03-01"]))  # a revision, later
    lake.write(rows("TEST.B", ["2024-01-02"], [7.0], ["2024-01-05"], source="other"))
    withdrawal = rows("TEST.B", ["2024-01-02"], [np.nan], ["2024-02-01 12:00"], source="other")
    lake.write(withdrawal.assign(withdrawn=True))
    copy = export_as_of(lake, "2024-02-15", tmp_path / "copy")

    got = copy.table().to_pandas().sort_values(["series_id", "release_time", "obs_date"])
    assert got["series_id"].tolist() == ["TEST.A", "TEST.A", "TEST.B", "TEST.B"]
    assert got["obs_date"].astype(str).tolist() == ["2024-01-02", "2024-01-03"] + ["2024-01-02"] * 2
    np.testing.assert_array_equal(got["value"].to_numpy(), [1.0, 2.0, 7.0, np.nan])
    assert got["source"].tolist() == ["test", "test", "other", "other"]
    assert sorted(copy.sources) == ["other", "test"]
    assert (got["ingested_at"] == got["ingested_at"].iloc[0]).all()  # one write
    assert copy.at("2024-01-31").series("TEST.B").tolist() == [7.0]
    assert copy.at("2024-02-15").series("TEST.B").empty  # withdrawn then
    assert copy.at("2024-02-15").series("TEST.A").tolist() == [1.0, 2.0]  # no revision yet

    later = rows("TEST.A", ["2024-01-03"], [2.5], ["2024-03-01"])
    assert copy.write(later).written == 1  # a lake like any other: it takes new rows after
    stamps = copy.table().to_pandas()["ingested_at"]
    assert stamps.nunique() == 2 and stamps.max() > got["ingested_at"].max()


def test_an_instant_before_every_row_gives_an_empty_lake(lake, tmp_path):
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-04"]))
    copy = export_as_of(lake, "2023-12-29", tmp_path / "copy")
    assert copy.table().num_rows == 0
    assert pd.Index(copy.registered()).equals(pd.Index(lake.registered()))


def test_an_export_into_a_folder_that_holds_a_lake_is_refused_and_changes_nothing(lake, tmp_path):
    """Rows appended to another lake's would double (the same export twice) or mix with a
    stale copy's: the second export is a one-line error and the copy keeps its 2 rows."""
    lake.write(rows("TEST.A", ["2024-01-02", "2024-01-03"], [1.0, 2.0], ["2024-01-04"] * 2))
    copy = export_as_of(lake, "2024-02-15", tmp_path / "copy")
    with pytest.raises(LakeError, match="already holds a lake"):
        export_as_of(lake, "2024-02-15", tmp_path / "copy")
    assert len(copy.table()) == 2

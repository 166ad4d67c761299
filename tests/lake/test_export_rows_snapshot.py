"""The causality check's shared rows (``lake.export.sorted_rows``) are used only for the
lake snapshot they were read from (review of issue 29): rows of an earlier snapshot, or of
a lake rebuilt in place under the same version number, are read again, so a cut never
misses what the lake holds at the instant. Expected values written by hand."""

from __future__ import annotations

import shutil

from research_core.backtest.causality import AsOfLakes
from research_core.lake import Lake
from research_core.lake.export import export_as_of, sorted_rows
from tests.lake.conftest import rows


def test_rows_of_an_earlier_snapshot_are_read_again(lake, tmp_path):
    lake.write(rows("TEST.A", ["2024-01-01"], [1.0], ["2024-01-05"]))
    shared = sorted_rows(lake)
    lake.write(rows("TEST.A", ["2024-02-01"], [2.0], ["2024-02-05"]))  # after the read
    cut = export_as_of(lake, "2024-03-01", tmp_path / "cut", rows=shared)
    assert cut.at("2024-03-01").series("TEST.A").tolist() == [1.0, 2.0]


def test_a_lake_rebuilt_in_place_gets_new_cuts(tmp_path):
    def build(value: float) -> Lake:
        lake = Lake.open(tmp_path / "lake", create=True)
        lake.register("TEST.A", frequency="M", units="%")
        lake.write(rows("TEST.A", ["2024-01-01"], [value], ["2024-01-05"]))
        return lake

    lake = build(1.0)
    cuts = AsOfLakes(lake, tmp_path / "cuts")
    assert cuts.at("2024-02-01").at("2024-02-01").series("TEST.A").tolist() == [1.0]
    version = lake.version
    shutil.rmtree(tmp_path / "lake")  # rebuilt from scratch: the same version number
    build(7.0)
    assert lake.version == version
    assert cuts.at("2024-03-01").at("2024-03-01").series("TEST.A").tolist() == [7.0]
    assert cuts.at("2024-02-01").at("2024-02-01").series("TEST.A").tolist() == [7.0]

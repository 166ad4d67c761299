"""``Lake.is_sample``: the one answer to "is this sample data?" (issue 28 item 6), and the
notebooks' one call that opens the configured lake, building the sample lake if missing."""

from __future__ import annotations

from pathlib import Path

from research_core.lake import Lake
from research_core.lake.sample import open_sample_lake
from research_core.pipeline.ingest import sample_only
from research_core.viz.runs import is_sample_lake
from tests.lake.conftest import lake_bytes, rows


def test_a_lake_is_sample_data_once_it_holds_generated_rows(lake: Lake):
    assert not lake.is_sample and lake.sources == frozenset()
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03"], source="test"))
    assert not lake.is_sample and lake.sources == {"test"}
    assert not sample_only(lake) and not is_sample_lake(lake.root)
    lake.write(rows("TEST.B", ["2024-01-02"], [2.0], ["2024-01-03"], source="sample"))
    assert lake.is_sample and lake.sources == {"test", "sample"}
    assert is_sample_lake(lake.root)  # the pages' badge asks the lake
    assert sample_only(lake)  # "test" is no public source: the ingest step still skips
    lake.write(rows("TEST.C", ["2024-01-02"], [3.0], ["2024-01-03"], source="bcb_sgs"))
    assert lake.is_sample and not sample_only(lake)  # mixed with a public source: fetch


def test_a_folder_that_is_no_lake_is_not_sample_data(tmp_path: Path):
    (tmp_path / "source=sample").mkdir()  # the old test looked for this folder only
    assert not is_sample_lake(tmp_path)


def test_open_sample_lake_opens_an_existing_lake_and_never_rewrites_it(lake: Lake):
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03"], source="test"))
    before = lake_bytes(lake.root)
    opened = open_sample_lake(lake.root)
    assert opened.root == lake.root and opened.version == lake.version == 1
    assert not opened.is_sample
    assert lake_bytes(lake.root) == before

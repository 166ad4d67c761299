"""``sorted_rows`` (what the causality check's cuts share) gives every row in source, series,
release, period order whether the lake holds several files per source (sorted in full),
one file per source written out of source order (sorted by source only), or one file (read
as it is, issue 29). Expected orders written by hand."""

from __future__ import annotations

from research_core.lake import Lake
from research_core.lake.export import sorted_rows
from tests.lake.conftest import rows


def _order(lake: Lake) -> list[tuple[str, str, str, str, float]]:
    t = sorted_rows(lake).table.to_pydict()
    return [
        (src, sid, f"{rel:%Y-%m-%d}", f"{obs:%Y-%m-%d}", v)
        for src, sid, rel, obs, v in zip(
            t["source"], t["series_id"], t["release_time"], t["obs_date"], t["value"], strict=True
        )
    ]


def test_several_files_per_source_are_sorted_in_full(lake):
    lake.write(rows("TEST.B", ["2024-01-03"], [3.0], ["2024-01-10"]))
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-04"]))
    lake.write(rows("TEST.C", ["2024-01-05"], [9.0], ["2024-01-06"], source="other"))
    lake.write(rows("TEST.A", ["2024-01-01"], [0.5], ["2024-01-04"]))
    assert _order(lake) == [
        ("other", "TEST.C", "2024-01-06", "2024-01-05", 9.0),
        ("test", "TEST.A", "2024-01-04", "2024-01-01", 0.5),
        ("test", "TEST.A", "2024-01-04", "2024-01-02", 1.0),
        ("test", "TEST.B", "2024-01-10", "2024-01-03", 3.0),
    ]


def test_one_file_per_source_out_of_source_order_is_ordered_by_source(lake):
    lake.write(
        rows("TEST.B", ["2024-01-03", "2024-01-02"], [3.0, 2.0], ["2024-01-10", "2024-01-04"])
    )
    lake.write(rows("TEST.C", ["2024-01-05"], [9.0], ["2024-01-06"], source="other"))
    assert len(lake.snapshot().paths) == 2  # "test" first on disk
    assert _order(lake) == [
        ("other", "TEST.C", "2024-01-06", "2024-01-05", 9.0),
        ("test", "TEST.B", "2024-01-04", "2024-01-02", 2.0),
        ("test", "TEST.B", "2024-01-10", "2024-01-03", 3.0),
    ]


def test_one_file_is_read_in_its_order(lake):
    lake.write(
        rows(
            "TEST.A",
            ["2024-01-03", "2024-01-01", "2024-01-02"],
            [3.0, 1.0, 2.0],
            ["2024-01-04", "2024-01-09", "2024-01-04"],
        )
    )
    assert _order(lake) == [
        ("test", "TEST.A", "2024-01-04", "2024-01-02", 2.0),
        ("test", "TEST.A", "2024-01-04", "2024-01-03", 3.0),
        ("test", "TEST.A", "2024-01-09", "2024-01-01", 1.0),
    ]

"""A scratch cut (the causality check's, removed when the check ends) dictionary-encodes
only its string columns: encoding every column was half the CPU of writing it (issue 29).
A durable export keeps the lake's full encoding. Both read back the same rows, with their
page checksums verified (expected by hand)."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from research_core.backtest.causality import AsOfLakes
from research_core.lake.export import export_as_of
from tests.lake.conftest import rows

WRITTEN = rows(
    "TEST.A", ["2024-01-02", "2024-01-03", "2024-01-04"], [1.0, 2.0, 4.0], ["2024-01-05"] * 3
)


def _encoded(root: Path) -> dict[str, bool]:
    """Column -> whether its first row group is dictionary-encoded, of a lake's one file."""
    (path,) = root.glob("source=*/part-*.parquet")
    group = pq.ParquetFile(path).metadata.row_group(0)
    columns = (group.column(j) for j in range(group.num_columns))
    return {c.path_in_schema: "RLE_DICTIONARY" in c.encodings for c in columns}


def test_a_scratch_cut_encodes_only_its_strings_and_reads_the_same(lake, tmp_path):
    lake.write(WRITTEN)
    kept = export_as_of(lake, "2024-01-31", tmp_path / "kept")
    with AsOfLakes(lake) as cuts:
        cut = cuts.at("2024-01-31")
        assert cut.at("2024-01-31").series("TEST.A").tolist() == [1.0, 2.0, 4.0]
        scratch = _encoded(cut.root)
    assert kept.at("2024-01-31").series("TEST.A").tolist() == [1.0, 2.0, 4.0]
    assert scratch == {
        "series_id": True,
        "obs_date": False,
        "value": False,
        "release_time": False,
        "source": True,
        "ingested_at": False,
    }
    assert all(_encoded(kept.root).values())

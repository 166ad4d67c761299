"""Lake reads through Parquet's own reader (issue 29: the dataset API cost a replay 40-70 ms
of CPU per read): the rows of some series, from a file of many row groups some of which
are skipped by their statistics, are the rows pandas filters from the whole file; a read
loads no pyarrow.dataset."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from research_core.lake.files import _groups, scan
from research_core.lake.schema import ARROW_SCHEMA

REPO = Path(__file__).resolve().parents[2]


def _file(tmp_path: Path) -> Path:
    """Five series in sorted order, 40 rows each, in row groups of 30 rows (page checksums)."""
    n = 40
    ids = [f"TEST.{c}" for c in "ABCDE"]
    frame = pd.DataFrame(
        {
            "series_id": np.repeat(ids, n),
            "obs_date": np.tile(pd.date_range("2020-01-01", periods=n).date, len(ids)),
            "value": np.random.default_rng(3).normal(size=n * len(ids)),
            "release_time": pd.Timestamp("2021-01-01", tz="UTC"),
            "source": "test",
            "ingested_at": pd.Timestamp("2021-01-02", tz="UTC"),
        }
    )
    path = tmp_path / "part.parquet"
    table = pa.Table.from_pandas(frame, schema=ARROW_SCHEMA, preserve_index=False)
    pq.write_table(table, path, row_group_size=30, write_page_checksum=True)
    return path


def test_a_filtered_read_is_pandas_filter_of_the_whole_file(tmp_path: Path) -> None:
    path = _file(tmp_path)
    whole = pq.read_table(path).to_pandas()
    wanted = ["TEST.D", "TEST.B", "NO.SUCH"]
    with pq.ParquetFile(path) as pf:
        assert len(_groups(pf, sorted(wanted))) < pf.num_row_groups  # some groups skipped
    for dictionary in (False, True):
        got = scan([str(path)], ["value", "obs_date"], wanted, dictionary=dictionary)
        assert got.schema == pa.schema(
            [ARROW_SCHEMA.field("value"), ARROW_SCHEMA.field("obs_date")]
        )
        expected = whole[whole["series_id"].isin(wanted)][["value", "obs_date"]]
        pd.testing.assert_frame_equal(got.to_pandas(), expected.reset_index(drop=True))
    assert scan([str(path)], ["value"], []).num_rows == 0
    assert scan([str(path)], ["value"]).num_rows == len(whole)


def test_a_lake_read_loads_no_dataset_api(tmp_path: Path) -> None:
    path = _file(tmp_path)
    code = (
        "import json, sys\nfrom research_core.lake.files import scan\n"
        f"scan([{str(path)!r}], ['value'], ['TEST.A'], dictionary=True)\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('pyarrow.dataset'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)
    assert out.returncode == 0, out.stderr[-2000:]
    assert json.loads(out.stdout.splitlines()[-1]) == []


def test_a_damaged_footer_statistic_does_not_stop_a_read_of_intact_pages(tmp_path: Path) -> None:
    # Page checksums do not cover the footer: a statistic that is not UTF-8 any more (bit
    # rot) must not stop the read; the rows are still pandas' filter of the whole file.
    import struct

    path = _file(tmp_path)
    whole = pq.read_table(path).to_pandas()
    raw = bytearray(path.read_bytes())
    size = struct.unpack("<i", raw[-8:-4])[0]
    footer = bytes(raw[-8 - size : -8])
    assert b"TEST.E" in footer
    raw[-8 - size : -8] = footer.replace(b"TEST.E", b"TEST.\xff")  # same length
    path.write_bytes(raw)
    got = scan([str(path)], ["value"], ["TEST.A"]).to_pandas()
    expected = whole[whole["series_id"] == "TEST.A"][["value"]].reset_index(drop=True)
    pd.testing.assert_frame_equal(got, expected)


def test_a_file_lacking_a_column_is_a_one_line_error_naming_it(tmp_path: Path) -> None:
    import pytest

    from research_core.errors import LakeError

    path = _file(tmp_path)
    pq.write_table(pq.read_table(path).drop_columns(["ingested_at"]), path)
    before = path.read_bytes()
    for series in (None, ["TEST.A"]):
        with pytest.raises(LakeError, match=r"lacks \['ingested_at'\]") as err:
            scan([str(path)], ["series_id", "value", "ingested_at"], series)
        assert str(path) in str(err.value) and "\n" not in str(err.value)
    assert path.read_bytes() == before  # nothing written

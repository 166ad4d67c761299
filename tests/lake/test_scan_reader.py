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

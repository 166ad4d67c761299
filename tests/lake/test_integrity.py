"""Storage integrity: bit flips are caught on read and by ``lake check`` (issue 14.3), and
nothing outside the lake root is read or deleted (issue 14.4)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from research_core.errors import LakeError
from research_core.lake import Lake
from research_core.lake.files import MANIFEST, clear_cache
from research_core.lake.maintenance import check_lake, compact_lake
from tests.lake.conftest import lake_bytes, rows

N = 2000


@pytest.fixture
def one_file_lake(lake: Lake) -> Lake:
    rng = np.random.default_rng(7)
    obs = pd.bdate_range("2015-01-01", periods=N)
    lake.write(
        rows(
            "TEST.A",
            list(obs.strftime("%Y-%m-%d")),
            list(rng.normal(0, 1000, N)),
            list((obs + pd.Timedelta(hours=20)).strftime("%Y-%m-%d %H:%M")),
        )
    )
    return lake


def test_single_bit_flips_in_the_value_column_are_caught(one_file_lake: Lake) -> None:
    """30 random single-bit flips inside the value column's pages: each one makes the read
    raise naming the file, and ``check`` report the file (before: 0 of 30 caught)."""
    lake = one_file_lake
    (path,) = lake.files()
    expected = lake.at("2030-01-01").series("TEST.A").to_numpy()
    chunk = pq.ParquetFile(path).metadata.row_group(0).column(2)
    assert chunk.path_in_schema == "value"
    start = chunk.dictionary_page_offset or chunk.data_page_offset
    original = path.read_bytes()
    rng = np.random.default_rng(20261201)
    caught_read = caught_check = 0
    for pos, bit in zip(
        rng.integers(start, start + chunk.total_compressed_size, 30),
        rng.integers(0, 8, 30),
        strict=True,
    ):
        damaged = bytearray(original)
        damaged[int(pos)] ^= 1 << int(bit)
        path.write_bytes(bytes(damaged))
        clear_cache()
        try:
            Lake.open(lake.root).at("2030-01-01").series("TEST.A")
        except LakeError as err:
            caught_read += path.name in str(err)
        report = check_lake(lake)
        caught_check += any(path.name in d for _, d in report.problems)
    path.write_bytes(original)
    clear_cache()
    assert (caught_read, caught_check) == (30, 30)
    np.testing.assert_array_equal(lake.at("2030-01-01").series("TEST.A").to_numpy(), expected)
    assert check_lake(lake).ok


def _add_entry(lake: Lake, rel: str, rows_: int) -> None:
    manifest = json.loads((lake.root / MANIFEST).read_text())
    manifest["files"].append({"path": rel, "source": "test", "rows": rows_, "series": ["TEST.A"]})
    (lake.root / MANIFEST).write_text(json.dumps(manifest))


@pytest.mark.parametrize("how", ["dotdot", "absolute"])
def test_manifest_entries_outside_the_root_are_never_read_or_deleted(
    one_file_lake: Lake, tmp_path: Path, how: str
) -> None:
    lake = one_file_lake
    (inside,) = lake.files()
    outside = tmp_path / "x.parquet"
    shutil.copy(inside, outside)
    rel = "../x.parquet" if how == "dotdot" else str(outside)
    _add_entry(lake, rel, N)
    before = lake_bytes(lake.root)
    with pytest.raises(LakeError, match=r"outside the lake|not a path inside the lake"):
        compact_lake(Lake.open(lake.root))
    with pytest.raises(LakeError, match=r"outside the lake|not a path inside the lake"):
        Lake.open(lake.root).at("2030-01-01").series("TEST.A")
    report = check_lake(Lake.open(lake.root))
    assert [c for c, _ in report.problems] == ["path"]
    assert outside.exists() and lake_bytes(lake.root) == before


def test_a_symlinked_source_folder_is_not_searched_for_strays(
    one_file_lake: Lake, tmp_path: Path
) -> None:
    """Another lake reachable through a ``source=*`` symlink loses nothing to compaction."""
    other = Lake.open(tmp_path / "other", create=True)
    other.register("TEST.A", frequency="D", units="bp")
    other.write(rows("TEST.A", ["2024-01-02"], [5.0], ["2024-01-03"]))
    (other_file,) = other.files()
    (one_file_lake.root / "source=evil").symlink_to(other_file.parent, target_is_directory=True)
    one_file_lake.write(rows("TEST.A", ["2030-01-02"], [1.0], ["2030-01-03"]))  # 2 files
    assert check_lake(one_file_lake).ok  # no "stray" from the other lake
    result = compact_lake(one_file_lake)
    assert (result.files_before, result.files_after, result.removed_stray) == (2, 1, 0)
    assert other_file.exists()
    assert other.at("2024-02-01").series("TEST.A").tolist() == [5.0]

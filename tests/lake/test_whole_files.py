"""A miss in the process-wide arrays reads the files holding the missing series whole and
keeps every series in them (``lake.files``, issue 29): a cold book asked for its series in
22 batches, each a filtered scan costing as much as reading the file whole. What a view
sees is unchanged: a series kept as a neighbour carries every row of every file holding
it, and a revision released between two as-ofs is seen from its release on. Expected
values are written by hand from the rows below."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from research_core.errors import LakeError
from research_core.lake import files
from research_core.lake.files import clear_cache
from tests.lake.conftest import rows

# File 1 holds TEST.A and TEST.B; file 2 holds a revision of TEST.B's Feb (released
# 2024-03-10 12:00 UTC) and TEST.C.
FILE_1 = pd.concat(
    [
        rows("TEST.A", ["2024-01-01", "2024-02-01"], [1.0, 2.0], ["2024-02-05", "2024-03-05"]),
        rows("TEST.B", ["2024-01-01", "2024-02-01"], [10.0, 20.0], ["2024-02-05", "2024-03-05"]),
    ]
)
FILE_2 = pd.concat(
    [
        rows("TEST.B", ["2024-02-01"], [25.0], ["2024-03-10 12:00"]),
        rows("TEST.C", ["2024-02-01"], [7.0], ["2024-03-06"]),
    ]
)
BEFORE = "2024-03-10 11:59:59.999999999+00:00"  # a nanosecond before the revision
AT = "2024-03-10 12:00+00:00"


@pytest.fixture(autouse=True)
def whole_from_the_first_miss(request, monkeypatch):
    """Files read whole from a snapshot's first miss on (the default waits for the third),
    except in the test of that default."""
    if request.node.name != "test_files_are_read_whole_from_a_snapshots_third_miss_on":
        monkeypatch.setattr(files, "_WHOLE_AFTER", 0)


def _data_files(lake) -> list[Path]:
    return sorted(Path(lake.root).glob("source=*/part-*.parquet"))


def test_a_series_read_keeps_the_other_series_of_its_file(lake):
    lake.write(FILE_1)
    clear_cache()
    assert lake.at(AT).series("TEST.A").tolist() == [1.0, 2.0]
    for path in _data_files(lake):  # the second series must come from what was read
        path.unlink()
    assert lake.at(AT).series("TEST.B").tolist() == [10.0, 20.0]


def test_files_over_the_limit_are_read_filtered(lake, monkeypatch):
    lake.write(FILE_1)
    clear_cache()
    monkeypatch.setattr(files, "_WHOLE_ROWS", 3)  # the file holds 4 rows
    assert lake.at(AT).series("TEST.A").tolist() == [1.0, 2.0]
    for path in _data_files(lake):
        path.unlink()
    with pytest.raises(LakeError, match="missing"):
        lake.at(AT).series("TEST.B")


def test_a_neighbour_holds_its_rows_of_every_file_and_its_revision_from_release_on(lake):
    lake.write(FILE_1)
    lake.write(FILE_2)
    clear_cache()
    assert len(_data_files(lake)) == 2
    assert lake.at(AT).series("TEST.A").tolist() == [1.0, 2.0]  # B kept as a neighbour
    assert lake.at(BEFORE).series("TEST.B").tolist() == [10.0, 20.0]
    assert lake.at(AT).series("TEST.B").tolist() == [10.0, 25.0]
    assert lake.at("2024-03-05 23:00+00:00").series("TEST.B").tolist() == [10.0, 20.0]
    assert lake.at(AT).series("TEST.C").tolist() == [7.0]
    assert lake.at("2024-03-05 23:00+00:00").series("TEST.C").tolist() == []


FILE_3 = pd.concat(
    [
        rows("TEST.D", ["2024-01-01"], [3.0], ["2024-02-05"]),
        rows("TEST.E", ["2024-01-01"], [30.0], ["2024-02-05"]),
    ]
)


def test_the_row_limit_holds_per_snapshot_not_per_read(lake, monkeypatch):
    """Two rows for the neighbours of one snapshot: a read of TEST.D (file 3: 2 rows) keeps
    TEST.E; the limit is then spent, so a read of TEST.A (file 1: 4 rows) keeps TEST.B only
    if it fits in what is left: it does not (review of #29: the limit was per read, so
    the kept series grew to the whole lake)."""
    for sid in ("TEST.D", "TEST.E"):
        lake.register(sid, frequency="D", units="bp")
    lake.write(FILE_1)
    lake.write(FILE_3)
    clear_cache()
    monkeypatch.setattr(files, "_WHOLE_ROWS", 4)  # file 3 (2 rows) then file 1 (4): over
    assert lake.at(AT).series("TEST.D").tolist() == [3.0]
    assert lake.at(AT).series("TEST.A").tolist() == [1.0, 2.0]
    for path in _data_files(lake):
        path.unlink()
    assert lake.at(AT).series("TEST.E").tolist() == [30.0]  # kept with TEST.D
    with pytest.raises(LakeError, match="missing"):
        lake.at(AT).series("TEST.B")  # not kept: the snapshot's limit was spent


def test_files_are_read_whole_from_a_snapshots_third_miss_on(lake):
    """A command asking once or twice reads only its series (reading a whole file cost a
    CLI backtest 0.2 s); from the third miss of a snapshot on, the files are read whole."""
    for sid in ("TEST.D", "TEST.E"):
        lake.register(sid, frequency="D", units="bp")
    for rows_ in (FILE_1, FILE_2, FILE_3):
        lake.write(rows_)
    clear_cache()
    assert lake.at(AT).series("TEST.A").tolist() == [1.0, 2.0]  # miss 1: TEST.A alone
    assert lake.at(AT).series("TEST.D").tolist() == [3.0]  # miss 2: TEST.D alone
    assert lake.at(AT).series("TEST.C").tolist() == [7.0]  # miss 3: files 2 and 1 whole
    for path in _data_files(lake):
        path.unlink()
    assert lake.at(AT).series("TEST.B").tolist() == [10.0, 25.0]  # kept at miss 3
    with pytest.raises(LakeError, match="missing"):
        lake.at(AT).series("TEST.E")  # its file was read filtered, at miss 2

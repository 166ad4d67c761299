"""A crash needs no repair, a damaged file is one line, a read survives compaction (issue 30
items 8 and 9).

Before: after a killed writer ``lake check`` failed (exit 1) until ``lake compact``; ``lake
info`` on a missing or truncated data file printed a DuckDB traceback; ``lake check`` racing
a compaction reported a good file "unreadable or corrupt" (the concurrency test, once at
load 10-20), and a read whose files were compacted away twice failed.
"""

from __future__ import annotations

import builtins
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from research_core.cli import main
from research_core.errors import LakeError, LakeWriteError
from research_core.lake import Lake
from research_core.lake.files import LakeFiles, clear_cache
from research_core.lake.maintenance import check_lake, lake_info, newest_release
from tests.lake.conftest import lake_bytes, rows


def _day(lake: Lake, day: int, value: float) -> None:
    """One write (one new file) of TEST.A for 2024-01-<day>, released the next day."""
    lake.write(rows("TEST.A", [f"2024-01-{day:02d}"], [value], [f"2024-01-{day + 1:02d} 20:00"]))


def test_a_killed_writers_leftovers_are_notes_and_the_next_write_removes_them(
    lake: Lake, capsys: pytest.CaptureFixture[str]
) -> None:
    _day(lake, 2, 1.0)
    (data,) = lake.files()
    folder = data.parent
    # what a writer killed mid-file, after its rename, and mid-commit leaves behind
    half = folder / ".tmp-part-0000002-0123456789ab.parquet"
    half.write_bytes(data.read_bytes()[:100])
    unlisted = folder / "part-0000002-ba9876543210.parquet"
    shutil.copy(data, unlisted)
    manifest_tmp = lake.root / f"._lake.json.{'c' * 32}.tmp"
    manifest_tmp.write_text('{"format": 1, "vers')
    leftovers = [half, unlisted, manifest_tmp]
    mine = [folder / "notes.txt", folder / "part-mine.parquet", lake.root / "README.md"]
    for path in mine:  # files the lake did not name: never touched
        path.write_text("the user's")

    report = check_lake(Lake.open(lake.root))
    assert report.ok, report.summary()
    noted = sorted(detail.split(":")[0] for _, detail in report.notes)
    assert noted == sorted(str(p.relative_to(lake.root)) for p in leftovers)
    assert main(["lake", "check", "--path", str(lake.root)]) == 0
    out = capsys.readouterr().out
    assert f"lake {lake.root}: OK" in out and out.count("[info: leftover]") == 3
    assert Lake.open(lake.root).at("2030-01-01").series("TEST.A").tolist() == [1.0]

    _day(lake, 3, 2.0)  # the next writer cleans up under the lock
    assert [p.exists() for p in leftovers] == [False, False, False]
    assert [p.read_text() for p in mine] == ["the user's"] * 3
    after = check_lake(Lake.open(lake.root))
    assert after.ok and after.notes == ()
    assert Lake.open(lake.root).at("2030-01-01").series("TEST.A").tolist() == [1.0, 2.0]


@pytest.mark.parametrize("damage", ["missing", "truncated", "empty", "garbled"])
def test_lake_info_on_a_damaged_file_is_one_line_naming_it(
    lake: Lake, damage: str, capsys: pytest.CaptureFixture[str]
) -> None:
    days = [f"2024-01-{d:02d}" for d in range(2, 30)]
    released = [f"{d} 20:00" for d in days]
    lake.write(rows("TEST.A", days, [float(i) for i in range(len(days))], released))
    (path,) = lake.files()
    data = path.read_bytes()
    if damage == "missing":
        path.unlink()
    elif damage == "truncated":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "empty":
        path.write_bytes(b"")
    else:  # the header of the first page overwritten, the size unchanged
        path.write_bytes(data[:4] + b"\xff" * 60 + data[64:])
    clear_cache()
    code = main(["lake", "info", "--path", str(lake.root)])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"workbench: error: lake file {path} ")
    assert lines[0].endswith("run `workbench lake check`)")
    assert ("is missing" in lines[0]) == (damage == "missing")
    if damage != "garbled":  # the pipeline's date gate reads only footers: same error
        with pytest.raises(LakeError, match=re.escape(f"lake file {path} ")):
            newest_release(Lake.open(lake.root))


def test_check_is_not_fooled_by_a_compaction_deleting_the_file_it_reads(
    lake: Lake, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Deterministic race: the moment ``check`` opens the last data file, a real compaction
    (the writer lock is free) merges both files and deletes them."""
    _day(lake, 2, 1.0)
    _day(lake, 3, 2.0)
    first, last = lake.files()
    real_open = builtins.open
    fired: list[str] = []

    def open_then_compact(file: Any, *args: Any, **kwargs: Any) -> Any:
        handle = real_open(file, *args, **kwargs)
        if not fired and str(file) == str(last):
            fired.append(str(file))
            Lake.open(lake.root).compact()
        return handle

    monkeypatch.setattr(builtins, "open", open_then_compact)
    report = check_lake(Lake.open(lake.root))
    monkeypatch.undo()
    assert fired and not first.exists() and not last.exists()  # the race did happen
    assert report.ok, report.summary()
    assert len(lake_info(Lake.open(lake.root)).table) == 1


def test_a_read_outlasts_two_compactions(lake: Lake, monkeypatch: pytest.MonkeyPatch) -> None:
    """A view's files are compacted away; the newer manifest it retries on is compacted away
    too before it reads. It still answers, and only with what it could see (known_by)."""
    _day(lake, 2, 1.0)
    _day(lake, 3, 2.0)
    clear_cache()
    view = Lake.open(lake.root).at("2030-01-01")  # pinned to the two files
    Lake.open(lake.root).compact()
    real_load = LakeFiles.load.__func__  # type: ignore[attr-defined]
    compacted: list[int] = []

    def load_then_compact(cls: type[LakeFiles], root: str | Path) -> LakeFiles:
        files = real_load(cls, root)
        if not compacted:  # once: the version just listed is compacted away
            _day(lake, 4, 3.0)
            compacted.append(Lake.open(lake.root).compact().files_before)
        return files

    monkeypatch.setattr(LakeFiles, "load", classmethod(load_then_compact))
    assert view.series("TEST.A").tolist() == [1.0, 2.0]  # the write of day 4 came later
    assert compacted == [2]


def test_a_refused_write_to_a_lake_opened_on_write_creates_nothing(tmp_path: Path) -> None:
    """``workbench ingest`` and ``lake import-timescale`` open a missing lake this way: a
    refusal leaves no folder, manifest or lock file; the first write creates the lake."""
    root = tmp_path / "new" / "lake"
    lake = Lake.open(root, create="on_write")
    assert lake.version == 0 and lake.files() == [] and lake.table().num_rows == 0
    with pytest.raises(LakeWriteError, match="unknown series"):
        lake.write(rows("NO.SUCH", ["2024-01-02"], [1.0], ["2024-01-03"]))
    assert list(tmp_path.iterdir()) == []
    lake.register("TEST.A", frequency="D", units="bp")
    _day(lake, 2, 1.0)
    assert Lake.open(root).at("2030-01-01").series("TEST.A").tolist() == [1.0]
    assert check_lake(Lake.open(root)).ok


@pytest.mark.parametrize(
    "argv",
    [
        ["ingest", "--source", "nosuch", "--quiet"],
        ["ingest", "--series", "NO.SUCH", "--quiet"],
        ["lake", "import-timescale", "--export", "{tmp}/missing.csv"],
        ["lake", "import-timescale"],
    ],
    ids=["ingest-source", "ingest-series", "import-missing-export", "import-nothing"],
)
def test_refused_commands_create_no_lake(
    argv: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = tmp_path / "lake"
    args = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    assert main([*args, "--path", str(root)]) == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1
    assert list(tmp_path.iterdir()) == []


def test_a_refused_write_leaves_a_leftover_alone(lake: Lake) -> None:
    """Only a write that commits cleans up: a refused one changes nothing at all."""
    _day(lake, 2, 1.0)
    (data,) = lake.files()
    (data.parent / ".tmp-part-0000002-0123456789ab.parquet").write_bytes(b"half")
    before = lake_bytes(lake.root)
    with pytest.raises(LakeWriteError, match="change values already stored"):
        _day(lake, 2, 9.0)
    assert lake_bytes(lake.root) == before

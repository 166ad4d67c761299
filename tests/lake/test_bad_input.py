"""Lake-side bad input (issue 14.10): one-line errors naming what is wrong, ``check``
reports instead of crashing, and the lake stays byte-identical."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import research_core.lake.files as files
from research_core.errors import LakeError, LakeWriteError, WorkbenchError
from research_core.lake import Lake
from research_core.lake.files import MANIFEST, clear_cache
from research_core.lake.maintenance import check_lake
from tests.lake.conftest import lake_bytes, rows

ONE = rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03"])


def _one_line(err: pytest.ExceptionInfo[BaseException]) -> str:
    text = str(err.value)
    assert isinstance(err.value, WorkbenchError) and "\n" not in text
    return text


@pytest.mark.parametrize("body", ["{not json", "[1, 2]", '{"format": 1, "version": 0}', ""])
def test_corrupt_manifest_is_named(lake: Lake, body: str) -> None:
    (lake.root / MANIFEST).write_text(body)
    before = lake_bytes(lake.root)
    with pytest.raises(LakeError) as err:
        Lake.open(lake.root)
    assert MANIFEST in _one_line(err)
    assert lake_bytes(lake.root) == before


@pytest.mark.parametrize("damage", ["missing", "truncated"])
def test_missing_or_truncated_file_is_reported_by_check_and_named_on_read(
    lake: Lake, damage: str
) -> None:
    lake.write(ONE)
    (path,) = lake.files()
    if damage == "missing":
        path.unlink()
    else:
        path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    clear_cache()
    before = lake_bytes(lake.root)
    report = check_lake(Lake.open(lake.root))
    assert not report.ok and path.name in report.summary()
    assert ("missing" if damage == "missing" else "corrupt") in report.summary()
    with pytest.raises(LakeError) as err:
        Lake.open(lake.root).at("2024-02-01").series("TEST.A")
    assert path.name in _one_line(err)
    with pytest.raises(LakeError) as err:
        Lake.open(lake.root).write(rows("TEST.A", ["2024-01-05"], [2.0], ["2024-01-06"]))
    assert path.name in _one_line(err)
    assert lake_bytes(lake.root) == before


def test_source_name_over_255_characters(lake: Lake) -> None:
    before = lake_bytes(lake.root)
    with pytest.raises(LakeWriteError) as err:
        lake.write(ONE.assign(source="s" * 300))
    assert "source names" in _one_line(err)
    assert lake_bytes(lake.root) == before


def _mount_tmpfs(where: Path, size: str) -> bool:
    where.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(where)],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path | None]:
    """A 512 KiB tmpfs when this machine lets us mount one (root), else None. Detached
    lazily at the end: a reader thread of pyarrow's may still hold a file of it open for
    a moment on a busy machine, and a plain umount then fails with "target is busy"."""
    where = tmp_path / "disk"
    mounted = os.geteuid() == 0 and _mount_tmpfs(where, "512k")
    yield where if mounted else None
    if mounted:
        subprocess.run(["umount", "--lazy", str(where)], check=True)


def test_full_disk(small_disk: Path | None, tmp_path: Path, monkeypatch) -> None:
    root = (small_disk or tmp_path) / "lake"
    lake = Lake.open(root, create=True)
    lake.register("TEST.A", frequency="D", units="bp")
    lake.write(ONE)
    if small_disk is None:  # no tmpfs: a write that fails as a full disk does

        def full(*args: object, **kwargs: object) -> None:
            raise OSError(28, "No space left on device")

        monkeypatch.setattr(files.pq, "write_table", full)
    n = 100_000  # ~1.5 MB of Parquet: more than the 512 KiB disk holds
    obs = pd.date_range("1900-01-01", periods=n)
    big = pd.DataFrame(
        {
            "series_id": "TEST.A",
            "obs_date": obs,
            "value": np.random.default_rng(0).normal(size=n),
            "release_time": (obs + pd.Timedelta(days=1)).tz_localize("UTC"),
            "source": "big",
        }
    )
    big = big[big["obs_date"] != "2024-01-02"]
    before = lake_bytes(root)
    with pytest.raises(LakeError) as err:
        lake.write(big)
    assert "disk is full" in _one_line(err)
    assert lake_bytes(root) == before
    assert Lake.open(root).at("2024-02-01").series("TEST.A").tolist() == [1.0]


def test_read_only_lake(lake: Lake, small_disk: Path | None) -> None:
    """Writes and registrations are refused with one line; reads and check still work."""
    lake.write(ONE)
    if small_disk is not None:  # root ignores file modes: use a read-only mount
        subprocess.run(["cp", "-a", str(lake.root), str(small_disk)], check=True)
        root = small_disk / lake.root.name
        subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    elif os.geteuid() != 0:
        root = lake.root
        for p in [root, *root.rglob("*")]:
            p.chmod(p.stat().st_mode & 0o555)
    else:
        pytest.skip("running as root without mount: cannot make a read-only lake")
    before = lake_bytes(root)
    ro = Lake.open(root)
    for attempt in (
        lambda: ro.write(rows("TEST.A", ["2024-01-05"], [2.0], ["2024-01-06"])),
        lambda: ro.register("TEST.Z", frequency="D", units="bp"),
    ):
        with pytest.raises(LakeError) as err:
            attempt()
        assert "read-only" in _one_line(err)
    assert ro.at("2024-02-01").series("TEST.A").tolist() == [1.0]
    assert check_lake(ro).ok
    assert lake_bytes(root) == before
    if small_disk is not None:
        subprocess.run(["mount", "-o", "remount,rw", str(small_disk)], check=True)
    else:
        for p in [root, *root.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)

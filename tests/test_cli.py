"""The ``workbench`` command end to end (subprocesses, as a user runs it)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _wb(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "research_core.cli", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
    )


def test_sample_lake_then_info_check_compact(tmp_path: Path):
    path = str(tmp_path / "lake")
    built = _wb("sample-lake", "--path", path, "--start", "2023-01-01", "--end", "2024-06-28")
    assert built.returncode == 0, built.stderr
    assert "As known at end of 2024-06-28" in built.stdout
    assert "sample data" in built.stdout
    again = _wb("sample-lake", "--path", path, "--start", "2023-01-01", "--end", "2024-06-28")
    assert "0 rows written" in again.stdout  # idempotent
    info = _wb("lake", "info", "--path", path, "--as-of", "2024-01-15")
    assert info.returncode == 0 and "As known at end of 2024-01-15" in info.stdout
    assert _wb("lake", "check", "--path", path).returncode == 0
    compact = _wb("lake", "compact", "--path", path)
    assert compact.returncode == 0 and "compacted" in compact.stdout


def test_errors_are_one_clear_line(tmp_path: Path):
    missing = _wb("lake", "info", "--path", str(tmp_path / "nope"))
    assert missing.returncode == 2
    assert "workbench: error: no lake at" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = _wb(
        "sample-lake", "--path", str(tmp_path / "x"), "--start", "2024-01-01", "--end", "2023-01-01"
    )
    assert bad.returncode == 2 and "--start 2024-01-01 is after --end 2023-01-01" in bad.stderr


def test_check_fails_on_a_damaged_lake(tmp_path: Path):
    path = tmp_path / "lake"
    assert (
        _wb(
            "sample-lake", "--path", str(path), "--start", "2024-01-01", "--end", "2024-03-29"
        ).returncode
        == 0
    )
    (data,) = path.glob("source=sample/*.parquet")
    data.write_bytes(b"not parquet")
    result = _wb("lake", "check", "--path", str(path))
    assert result.returncode == 1 and "unreadable" in result.stdout

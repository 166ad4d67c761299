"""Bad CLI input: one line on stderr naming what was wrong, exit 2, the lake byte-identical.

Issue 14 item 10: each of these used to end in a bare traceback (or, for the mapping with
a wrong type, a silent exit 0). Real subprocesses, as a user runs the command.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_cases import fill, parse_cases
from tests.test_files import small_lake, tree_digest

CASES = parse_cases(
    """
bad-as-of | lake info --as-of 2024-13-45 | --as-of: as_of '2024-13-45'
bad-start | backtest RATES_US_05 --start x | --start: as_of 'x'
bad-since | ingest --since soon --dry-run | --since: as_of 'soon'
reversed-range | agents run --start 2024-06-01 --end 2024-01-01
    | --start 2024-06-01 is after --end 2024-01-01
start-after-today | agents run --start 2100-01-01 | no B3 business days from 2100-01-01 to
jump-sigmas-nan | lake check --jump-sigmas nan | --jump-sigmas must be
book-as-of-not-a-date | book --as-of 2024-6-28 | give a date as YYYY-MM-DD
mapping-bad-yaml | lake import-timescale --export {tmp}/x.csv --mapping {tmp}/syntax.yaml
    | syntax.yaml: not valid YAML (line 2, column 6)
mapping-wrong-type | lake import-timescale --export {tmp}/x.csv --mapping {tmp}/type.yaml
    | type.yaml: table: Input should be a valid string
mapping-missing | lake import-timescale --export {tmp}/x.csv --mapping {tmp}/no.yaml
    | No such file or directory: {tmp}/no.yaml
url-not-a-url | lake import-timescale --url 'not a url' | not a SQLAlchemy URL
report-over-the-manifest | lake check --report {lake}/_lake.json | _lake.json is inside the lake at
report-under-a-file | lake check --report {tmp}/x.csv/r.csv
    | {tmp}/x.csv is a file, so {tmp}/x.csv/r.csv cannot be written
"""
)


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_lake(tmp_path_factory.mktemp("cli-errors") / "lake").root


@pytest.mark.parametrize("case", list(CASES), ids=list(CASES))
def test_bad_input_is_one_line_and_the_lake_is_untouched(case: str, lake_dir: Path, tmp_path):
    argv, expected = CASES[case]
    (tmp_path / "x.csv").write_text("series_code,obs_date,value,release_time\n")
    (tmp_path / "syntax.yaml").write_text("table: x\n  bad: : :\n")
    (tmp_path / "type.yaml").write_text("table: [1, 2]\n")
    values = {"{lake}": str(lake_dir), "{tmp}": str(tmp_path)}
    args = [fill(a, values) for a in argv]
    before = tree_digest(lake_dir)
    result = subprocess.run(
        [sys.executable, "-m", "research_core.cli", *args, "--path", str(lake_dir)],
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("workbench: error: ") and fill(expected, values) in lines[0]
    assert tree_digest(lake_dir) == before


def test_a_bad_setting_is_one_line(tmp_path):
    """A WORKBENCH_* variable of the wrong type used to end in pydantic's traceback."""
    result = subprocess.run(
        [sys.executable, "-m", "research_core.cli", "lake", "info", "--path", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "WORKBENCH_SAMPLE_SEED": "abc"},
    )
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "workbench: error: Settings sample_seed: Input should be a valid integer, "
        "unable to parse string as an integer (got 'abc')"
    ]


def test_workbench_debug_shows_the_traceback(tmp_path, monkeypatch):
    from research_core.cli import main
    from research_core.errors import LakeError

    monkeypatch.setenv("WORKBENCH_DEBUG", "1")
    with pytest.raises(LakeError, match="no lake at"):
        main(["lake", "info", "--path", str(tmp_path / "none")])

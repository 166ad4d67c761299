"""Output options never write inside the lake and never replace what workbench did not write.

Issue 30 item 1 (critical): ``audit verify --write-anchor`` overwrote a user's file and the
lake's own ``_lake.json``; ``lake check --report`` overwrote a user's CSV and wrote inside the
lake; ``book --out ''`` wrote into the lake; ``pipeline run --steps`` on a finished date
deleted a user's notes from the run folder (``tests/pipeline/test_runner.py``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from research_core.cli import main
from tests.test_files import small_lake, tree_digest


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]):  # type: ignore[no-untyped-def]
    """Run ``workbench ARGS`` in this process: (exit code, stderr)."""

    def run(*args: str) -> tuple[int, str]:
        code = main(list(args))
        return code, capsys.readouterr().err

    return run


@pytest.fixture(scope="module")
def lake_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return small_lake(tmp_path_factory.mktemp("outputs") / "lake").root


def _refused(result: tuple[int, str], text: str) -> None:
    code, err = result
    lines = err.strip().splitlines()
    assert code == 2, err
    assert len(lines) == 1 and lines[0].startswith("workbench: error: "), err
    assert text in lines[0], lines[0]


def test_write_anchor_refuses_user_files_and_the_lake_and_replaces_only_its_own(
    cli, lake_dir: Path, tmp_path: Path
) -> None:
    db = ["--db", f"sqlite:///{tmp_path / 'pms.db'}", "--path", str(lake_dir)]
    assert cli("pms", "init", *db)[0] == 0
    before = tree_digest(lake_dir)
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")

    _refused(
        cli("audit", "verify", *db, "--write-anchor", str(notes)), "was not written by workbench"
    )
    assert notes.read_text() == "my notes\n"
    _refused(
        cli("audit", "verify", *db, "--write-anchor", str(lake_dir / "_lake.json")),
        f"is inside the lake at {lake_dir}",
    )
    _refused(cli("audit", "verify", *db, "--write-anchor", ""), "--write-anchor is empty")
    assert tree_digest(lake_dir) == before

    anchor = tmp_path / "anchors" / "head.json"
    for _ in range(2):  # a second run replaces the anchor it wrote itself
        assert cli("audit", "verify", *db, "--write-anchor", str(anchor))[0] == 0
        assert json.loads(anchor.read_text())["seq"] >= 1
    anchor.write_text(anchor.read_text().replace('"seq"', '"seq" ', 1))  # someone edits it
    _refused(cli("audit", "verify", *db, "--write-anchor", str(anchor)), "or was changed since")


def test_quality_report_refuses_a_user_csv_and_the_lake(
    cli, lake_dir: Path, tmp_path: Path
) -> None:
    before = tree_digest(lake_dir)
    mine = tmp_path / "mine.csv"
    mine.write_text("a,b\n1,2\n")
    check = ["lake", "check", "--path", str(lake_dir), "--report"]
    _refused(cli(*check, str(mine)), "was not written by workbench")
    assert mine.read_text() == "a,b\n1,2\n"
    inside = lake_dir / "source=sample" / "x.csv"
    _refused(cli(*check, str(inside)), "is inside the lake")
    _refused(cli(*check, ""), "--report is empty")
    assert tree_digest(lake_dir) == before
    assert not inside.exists()
    ours = tmp_path / "quality.csv"
    assert cli(*check, str(ours))[0] == 0
    assert cli(*check, str(ours))[0] == 0  # its own file: replaced
    assert ours.read_text().splitlines()[0].startswith("series_id")


@pytest.mark.parametrize("out", ["", "{lake}/artifacts/mine"])  # {lake}: test_files.py
def test_book_out_is_never_the_lake(cli, out: str, lake_dir: Path) -> None:
    before = tree_digest(lake_dir)
    target = out.replace("{lake}", str(lake_dir))
    result = cli("book", "--as-of", "2024-06-28", "--path", str(lake_dir), "--out", target)
    _refused(result, "--out is empty" if not out else "is inside the lake")
    assert tree_digest(lake_dir) == before

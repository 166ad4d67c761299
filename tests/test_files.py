"""Output folders and artifact files (research_core/_files.py): only our own folders are
replaced, crash leftovers never block, concurrent writers never corrupt a file."""

from __future__ import annotations

import hashlib
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from research_core._files import (
    MARKER,
    append_atomic,
    atomic_folder,
    check_output_folder,
    write_atomic,
)
from research_core.errors import ArtifactError
from research_core.lake import Lake


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path) with the sha256 of its bytes."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def small_lake(path: Path) -> Lake:
    """A real lake with one researcher series and three rows (fast to build)."""
    lake = Lake.open(path, create=True)
    lake.register("TEST.A", frequency="D", units="bp")
    lake.write(
        pd.DataFrame(
            {
                "series_id": "TEST.A",
                "obs_date": pd.to_datetime(["2024-06-26", "2024-06-27", "2024-06-28"]),
                "value": [1.0, 2.0, 3.0],
                "release_time": pd.to_datetime(
                    ["2024-06-27", "2024-06-28", "2024-06-29"]
                ).tz_localize("UTC"),
                "source": "test",
            }
        )
    )
    return lake


def wb(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "research_core.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["book", "--as-of", "2024-06-28", "--out", "{lake}"],
        ["backtest", "RATES_US_05", "--start", "2024-01-02", "--out", "{lake}"],
        ["book", "--as-of", "2024-06-28", "--out", "{lake}/source=test"],
    ],
    ids=["book-out-lake", "backtest-out-lake", "book-out-lake-part"],
)
def test_out_never_replaces_the_lake(tmp_path: Path, argv: list[str]):
    """Issue 14 item 1: `book --out L` used to exit 0 with the lake gone."""
    lake = small_lake(tmp_path / "lake")
    before = tree_digest(lake.root)
    args = [a.replace("{lake}", str(lake.root)) for a in argv]
    result = wb(*args, "--path", str(lake.root))
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("workbench: error: ")
    assert "is inside the lake at" in lines[0] and str(lake.root) in lines[0]
    assert tree_digest(lake.root) == before


def test_an_unrelated_folder_keeps_its_contents(tmp_path: Path):
    mine = tmp_path / "notes"
    mine.mkdir()
    (mine / "thesis.md").write_text("do not lose me")
    with pytest.raises(ArtifactError, match="not written by workbench"), atomic_folder(mine) as t:
        (t / "weights.csv").write_text("a,b\n")
    assert [p.name for p in mine.iterdir()] == ["thesis.md"]
    assert (mine / "thesis.md").read_text() == "do not lose me"
    assert [p.name for p in tmp_path.iterdir()] == ["notes"]
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(ArtifactError, match="is a file"):
        check_output_folder(a_file)
    link = tmp_path / "link"
    link.symlink_to(mine)
    with pytest.raises(ArtifactError, match="symbolic link"):
        check_output_folder(link)


def test_own_folder_is_replaced_and_a_foreign_file_in_it_blocks(tmp_path: Path):
    out = tmp_path / "book"
    with atomic_folder(out) as tmp:
        (tmp / "a.csv").write_text("1")
        (tmp / "figures").mkdir()
        (tmp / "figures" / "eq.html").write_text("<p>")
    assert json.loads((out / MARKER).read_text())["files"] == ["a.csv", "figures/eq.html"]
    with atomic_folder(out) as tmp:
        (tmp / "b.csv").write_text("2")
    assert sorted(p.name for p in out.iterdir()) == sorted([MARKER, "b.csv"])
    (out / "my-notes.txt").write_text("mine")
    with pytest.raises(ArtifactError, match=r"holds my-notes\.txt"), atomic_folder(out) as tmp:
        (tmp / "c.csv").write_text("3")
    assert (out / "b.csv").read_text() == "2" and (out / "my-notes.txt").read_text() == "mine"


def test_a_folder_workbench_did_not_create_is_never_replaced_even_empty(tmp_path: Path):
    """Issue 30 item 8: ``--out`` replaced (deleted) an empty folder the user made, and an
    empty folder a user added inside a results folder. Both are refused before any work
    and left as they were, with nothing created beside them."""
    empty = tmp_path / "mine"
    empty.mkdir()
    inode = empty.stat().st_ino
    refused = pytest.raises(ArtifactError, match=r"mine is empty .*did not create")
    with refused, atomic_folder(empty) as tmp:
        (tmp / "x.csv").write_text("x")
    assert empty.stat().st_ino == inode and list(empty.iterdir()) == []
    assert [p.name for p in tmp_path.iterdir()] == ["mine"]  # no lock file, no temp folder

    out = tmp_path / "book"
    with atomic_folder(out) as tmp:
        (tmp / "figures").mkdir()
        (tmp / "figures" / "eq.html").write_text("<p>")
    (out / "drafts").mkdir()  # the user's, empty
    refused = pytest.raises(ArtifactError, match=r"holds drafts, which workbench did not write")
    with refused, atomic_folder(out) as tmp:
        (tmp / "a.csv").write_text("1")
    assert (out / "drafts").is_dir() and (out / "figures" / "eq.html").read_text() == "<p>"
    (out / "drafts").rmdir()
    with atomic_folder(out) as tmp:  # its own subfolders are no obstacle
        (tmp / "a.csv").write_text("1")
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "a.csv"]


def test_book_out_refuses_an_empty_user_folder_before_any_work(tmp_path: Path):
    lake = small_lake(tmp_path / "lake")
    empty = tmp_path / "results"
    empty.mkdir()
    result = wb("book", "--as-of", "2024-06-28", "--path", str(lake.root), "--out", str(empty))
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2 and len(lines) == 1, result.stderr
    assert lines[0] == (
        f"workbench: error: {empty} is empty (no {MARKER}); refusing to replace a folder "
        "workbench did not create: name a folder that does not exist yet, or remove it yourself"
    )
    assert empty.is_dir() and list(empty.iterdir()) == []
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lake", "results"]


def test_a_failed_write_leaves_the_old_folder(tmp_path: Path):
    out = tmp_path / "report"
    with atomic_folder(out) as tmp:
        (tmp / "good.csv").write_text("good")
    with pytest.raises(RuntimeError), atomic_folder(out) as tmp:
        (tmp / "half.csv").write_text("half")
        raise RuntimeError("boom")
    assert (out / "good.csv").read_text() == "good" and not (out / "half.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == [".workbench.lock", "report"]


_CRASH = """
import os, signal, sys
from pathlib import Path
from research_core._files import atomic_folder
with atomic_folder(sys.argv[1]) as tmp:
    (Path(tmp) / "half.csv").write_text("half")
    os.kill(os.getpid(), signal.SIGKILL)
"""


def test_leftovers_of_a_killed_writer_do_not_block(tmp_path: Path):
    """A writer killed mid-write (kill -9, a real process) leaves its temp folder; one killed
    between the two renames leaves ``.X.PID.*.old`` and no folder. Neither blocks."""
    out = tmp_path / "report"
    with atomic_folder(out) as tmp:
        (tmp / "v1.csv").write_text("1")
    killed = subprocess.run([sys.executable, "-c", _CRASH, str(out)], timeout=120)
    assert killed.returncode == -signal.SIGKILL
    assert len(list(tmp_path.glob(".report.*.tmp"))) == 1  # the killed writer's temp folder
    assert (out / "v1.csv").read_text() == "1"
    # what a kill between "folder -> .old" and "tmp -> folder" leaves behind
    os.replace(out, tmp_path / f".report.{_dead_pid()}.0badc0de.old")
    with atomic_folder(out) as tmp:
        (tmp / "v2.csv").write_text("2")
    assert (out / "v2.csv").read_text() == "2"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".workbench.lock", "report"]


def _dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        text=True,
        capture_output=True,
        timeout=60,
    )
    return int(done.stdout)


def test_write_atomic_replaces_a_file_and_refuses_a_folder(tmp_path: Path):
    path = tmp_path / "t.csv"
    write_atomic(path, lambda tmp: tmp.write_text("one"))
    write_atomic(path, lambda tmp: tmp.write_text("two"))
    assert path.read_text() == "two" and oct(path.stat().st_mode & 0o777) != "0o600"
    with pytest.raises(OSError):
        write_atomic(path, lambda tmp: (_ for _ in ()).throw(OSError("disk full")))
    assert path.read_text() == "two"
    assert sorted(p.name for p in tmp_path.iterdir()) == [".workbench.lock", "t.csv"]
    with pytest.raises(ArtifactError, match="is a folder"):
        write_atomic(tmp_path, lambda tmp: tmp.write_text("x"))


def _write_history(folder: Path, writer: int, n: int, start: Any) -> None:
    """One writer process: N agent reports merged into the history, N lines appended."""
    from research_core.agents.base import AgentReport
    from research_core.agents.history import write_reports
    from research_core.records import Signal

    start.wait()  # all four begin together
    for i in range(n):
        as_of = pd.Timestamp("2024-01-01", tz="UTC") + pd.Timedelta(days=100 * writer + i)
        signal = Signal(
            as_of=as_of,
            source=f"agent:w{writer}",
            instrument=f"I{writer}",
            direction=1,
            strength=float(i),
            confidence=0.5,
            horizon_days=21,
            rationale="concurrency test",
        )
        report = AgentReport(
            agent=f"w{writer}",
            as_of=as_of,
            signals=(signal,),
            diagnostics={},
            inputs=pd.DataFrame(),
            charts={},
        )
        write_reports([report], folder, tz="UTC")
        append_atomic(folder / "log.jsonl", (json.dumps({"w": writer, "i": i}) + "\n").encode())


@pytest.mark.parametrize("run", range(2))
def test_four_processes_write_the_agent_history_at_once(tmp_path: Path, run: int):
    """Issue 14 item 5: concurrent ``write_reports`` left an unreadable signals.parquet (2 of
    3 four-process runs) and lost rows. Four real processes (forked, so they skip the
    import) each merge N dates while this process keeps reading: every read succeeds and
    the end holds all 4 x N rows and 4 x N log lines. Two runs."""
    from research_core.agents.history import read_signals, write_reports

    assert write_reports  # imported here, before the fork, so the children start at once
    n = 12
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(4)
    procs = [ctx.Process(target=_write_history, args=(tmp_path, w, n, start)) for w in range(4)]
    for p in procs:
        p.start()
    reads = 0
    while any(p.is_alive() for p in procs):
        if (tmp_path / "signals.parquet").exists():
            read_signals(tmp_path)  # raises if a reader ever saw a half-written file
            reads += 1
        time.sleep(0.02)
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0, 0, 0]
    signals = read_signals(tmp_path)
    assert len(signals) == 4 * n
    assert signals.groupby("agent")["strength"].apply(sorted).to_dict() == {
        f"w{w}": [float(i) for i in range(n)] for w in range(4)
    }
    lines = [json.loads(x) for x in (tmp_path / "log.jsonl").read_text().splitlines()]
    assert sorted((x["w"], x["i"]) for x in lines) == [(w, i) for w in range(4) for i in range(n)]
    assert reads > 0
    assert not list(tmp_path.glob("*.tmp")) and not list(tmp_path.glob(".*.tmp"))


def test_append_drops_a_tail_torn_by_a_crash(tmp_path: Path):
    from research_core.backtest.ledger import TrialLedger

    path = tmp_path / "trials.jsonl"
    append_atomic(path, b'{"trial_id": "a", "strategy": "S", "sharpe_period": 0.1}\n')
    with path.open("ab") as f:  # what a writer killed mid-line leaves
        f.write(b'{"trial_id": "b", "strat')
    assert list(TrialLedger(path).trials()["trial_id"]) == ["a"]
    append_atomic(path, b'{"trial_id": "c", "strategy": "S", "sharpe_period": 0.2}\n')
    assert list(TrialLedger(path).trials()["trial_id"]) == ["a", "c"]
    with pytest.raises(ValueError, match="whole lines"):
        append_atomic(path, b"no newline")

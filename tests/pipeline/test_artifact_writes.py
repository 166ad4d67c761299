"""Pipeline artifacts go through ``_files`` (issue 28 item 2): two writers of one artifact
never leave a torn or mixed file, and a reader always sees one whole version."""

from __future__ import annotations

import multiprocessing
import time
from pathlib import Path
from typing import Any

import pandas as pd

from research_core._files import read_parquet
from research_core.pipeline.steps import _write_parquet

ROWS = 20_000  # a few hundred kB: long enough for two writers' files to overlap


def _frame(writer: int) -> pd.DataFrame:
    return pd.DataFrame({"writer": [writer] * ROWS, "x": range(ROWS)})


def _write(path: Path, writer: int, n: int, start: Any) -> None:
    start.wait()
    for _ in range(n):
        _write_parquet(path, _frame(writer))


def _one_version(frame: pd.DataFrame) -> None:
    """Every row from one writer, all rows there (a torn or mixed file fails this)."""
    assert len(frame) == ROWS
    assert frame["writer"].nunique() == 1
    assert frame["x"].tolist() == list(range(ROWS))


def test_two_writers_of_one_artifact_never_leave_a_torn_or_mixed_file(tmp_path: Path):
    """The old writer used one fixed temp name (``.weights.parquet.tmp``): the second
    writer truncated the first's temp file, and one rename found it gone
    (FileNotFoundError) or moved a half-written file into place."""
    path = tmp_path / "artifacts" / "book" / "weights.parquet"
    path.parent.mkdir(parents=True)
    ctx = multiprocessing.get_context("fork")
    start = ctx.Barrier(2)
    procs = [ctx.Process(target=_write, args=(path, w, 15, start)) for w in (1, 2)]
    for p in procs:
        p.start()
    reads = 0
    while any(p.is_alive() for p in procs):
        if path.exists():
            _one_version(read_parquet(path))
            reads += 1
        time.sleep(0.01)
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0, 0]
    _one_version(pd.read_parquet(path))
    assert reads > 0
    assert not [p.name for p in path.parent.iterdir() if p.name.endswith(".tmp")]

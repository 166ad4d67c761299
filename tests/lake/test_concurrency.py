"""A writer killed at any point leaves nothing half-visible and nothing to repair; two
writers lose nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

from research_core.lake import Lake
from research_core.lake.maintenance import check_lake, compact_lake

ROWS_PER_SOURCE = 3000

WRITER = textwrap.dedent(
    """
    import sys
    import pandas as pd
    from research_core.lake import Lake

    import os
    import signal
    import research_core.lake.files as files
    import research_core.lake.store as store

    path, first, last, tag = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
    lake = Lake.open(path)
    n = int(sys.argv[5])
    crash = sys.argv[6] if len(sys.argv) > 6 else ""


    def die(*args, **kwargs):
        os.kill(os.getpid(), signal.SIGKILL)


    real_rename, real_write = os.rename, files.pq.write_table
    renames = []
    if crash == "mid_file":  # half a data file on disk, then death
        files.pq.write_table = lambda t, where, **kw: (real_write(t.slice(0, len(t) // 2),
                                                                  where, **kw), die())
    elif crash == "after_first_file":  # one partition's file in place, the others not
        store.os.rename = lambda a, b: (real_rename(a, b), renames.append(b),
                                        len(renames) == 1 and die())
    elif crash == "before_manifest":  # every data file in place, manifest not replaced
        store.os.replace = die
    for batch in range(first, last):
        parts = []
        for k, source in enumerate(("src_a", "src_b", "src_c")):
            obs = pd.Timestamp("2000-01-01") + pd.to_timedelta(range(n), unit="D")
            parts.append(pd.DataFrame({
                "series_id": ["TEST.A", "TEST.B", "TEST.C"][k],
                "obs_date": obs,
                "value": float(batch),
                "release_time": (obs + pd.Timedelta(days=1, minutes=batch)).tz_localize("UTC"),
                "source": source,
            }))
        lake.write(pd.concat(parts, ignore_index=True))
        print(tag, batch, flush=True)
    """
)


def _spawn(path: Path, first: int, last: int, tag: str, crash: str = "") -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            WRITER,
            str(path),
            str(first),
            str(last),
            tag,
            str(ROWS_PER_SOURCE),
            crash,
        ],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": "0"},
    )


def _batches(lake: Lake) -> dict[int, int]:
    """Rows per batch (batch = minutes past the day of the release)."""
    counts: dict[int, int] = {}
    for sid in ("TEST.A", "TEST.B", "TEST.C"):
        vint = lake.vintages(sid)
        minutes = (vint["release_time"] - vint["release_time"].dt.floor("D")).dt.seconds // 60
        for batch, n in minutes.value_counts().items():
            counts[int(batch)] = counts.get(int(batch), 0) + int(n)
    return counts


def test_killed_writer_never_leaves_a_half_visible_write(lake):
    rng = random.Random(7)
    next_batch = 0
    for _ in range(4):
        proc = _spawn(lake.root, next_batch, next_batch + 50, "w")
        time.sleep(rng.uniform(0.8, 2.5))
        proc.send_signal(signal.SIGKILL)
        out, _ = proc.communicate()
        done = [int(line.split()[1]) for line in out.splitlines()]
        reader = Lake.open(lake.root)
        counts = _batches(reader)
        # every batch is all-or-nothing across the three source partitions
        assert all(n == 3 * ROWS_PER_SOURCE for n in counts.values()), counts
        assert set(done) <= set(counts)  # acknowledged writes survived
        report = check_lake(reader)
        assert report.ok, report.summary()  # leftovers are notes: no repair needed
        assert all(kind == "leftover" for kind, _ in report.notes), report.summary()
        next_batch = max(counts, default=-1) + 2
    compact_lake(Lake.open(lake.root))
    assert check_lake(Lake.open(lake.root)).ok


@pytest.mark.parametrize("crash", ["mid_file", "after_first_file", "before_manifest"])
def test_writer_killed_at_each_step_of_a_write(lake, crash):
    ok = _spawn(lake.root, 0, 2, "w")
    assert ok.wait(timeout=120) == 0
    before = Lake.open(lake.root).panel(["TEST.A", "TEST.B", "TEST.C"], ["2100-01-01"])
    proc = _spawn(lake.root, 5, 6, "w", crash)
    assert proc.wait(timeout=120) == -signal.SIGKILL
    reader = Lake.open(lake.root)
    assert _batches(reader) == {0: 3 * ROWS_PER_SOURCE, 1: 3 * ROWS_PER_SOURCE}
    after = reader.panel(["TEST.A", "TEST.B", "TEST.C"], ["2100-01-01"])
    assert after.equals(before)
    report = check_lake(reader)
    assert report.ok, report.summary()  # issue 30.8: a crash never needs `lake compact`
    assert report.notes and all(kind == "leftover" for kind, _ in report.notes)
    leftovers = [lake.root / d.split(":")[0] for _, d in report.notes]
    assert all(p.exists() for p in leftovers)
    # the lake stays writable: the same batch now goes through, and removes the leftovers
    assert _spawn(lake.root, 5, 6, "w").wait(timeout=120) == 0
    assert 5 in _batches(Lake.open(lake.root))
    after = check_lake(Lake.open(lake.root))
    assert after.ok and after.notes == () and not any(p.exists() for p in leftovers)


def test_two_concurrent_writers_lose_nothing(lake):
    a = _spawn(lake.root, 0, 12, "a")
    b = _spawn(lake.root, 6, 18, "b")  # batches 6..11 overlap: identical rows, stored once
    assert a.wait(timeout=300) == 0 and b.wait(timeout=300) == 0
    reader = Lake.open(lake.root)
    counts = _batches(reader)
    assert sorted(counts) == list(range(18))
    assert set(counts.values()) == {3 * ROWS_PER_SOURCE}
    assert check_lake(reader).ok
    last = reader.at("2100-01-01").latest(["TEST.A"])
    assert last.loc["TEST.A", "value"] == 17.0
    assert np.isfinite(reader.panel(["TEST.B"], ["2001-01-01"])["value"]).all()


COMPACTOR = textwrap.dedent(
    """
    import sys
    import time
    from research_core.lake import Lake

    path, seconds = sys.argv[1], float(sys.argv[2])
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        Lake.open(path).compact()
        time.sleep(0.1)
    """
)


def test_readers_work_on_one_lake_version_during_writes_and_compaction(lake):
    """Issue 14.8: ``check``/``info`` reported false strays or crashed during writes and
    compaction, and ``frame`` mixed two versions. A writer (each batch writes the same value
    to TEST.A/B/C in one write) and a compactor run in their own processes meanwhile."""
    from research_core.lake.maintenance import lake_info

    writer = _spawn(lake.root, 0, 400, "w")
    compactor = subprocess.Popen([sys.executable, "-c", COMPACTOR, str(lake.root), "30"])
    assert writer.stdout is not None
    writer.stdout.readline()  # the first batch is in
    reads = 0
    try:
        for _ in range(5):
            reader = Lake.open(lake.root)
            frame = reader.at("2100-01-01").frame(["TEST.A", "TEST.B", "TEST.C"])
            assert (frame.nunique(axis=1, dropna=False) <= 1).all(), frame.tail()
            report = check_lake(reader)
            assert report.ok, report.summary()
            info = lake_info(reader)
            assert int(info.table["rows"].sum()) % (3 * ROWS_PER_SOURCE) == 0
            reads += not frame.empty
    finally:
        writer.kill()
        writer.communicate()
        compactor.kill()
        compactor.wait(timeout=60)
    assert reads == 5
    # a compactor killed mid-merge may leave its new file behind: a note, not a problem
    final = check_lake(Lake.open(lake.root))
    assert final.ok, final.summary()

"""The runner's failure modes on small synthetic notebooks (real papermill, real kernels).

Each test says what plain ``papermill.execute_notebook`` would do and checks the runner
does better: refuses, fails with the step/cell/exception named, resumes, leaves no process.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from research_core.cli import main
from research_core.pipeline import PipelineError, RunLockedError, load_pipeline, run_pipeline
from research_core.pipeline.runner import date_lock
from research_core.runs import RunFolder
from tests.pipeline.conftest import alive, write_artifact_body

DATE = "2026-10-30"
REPO = Path(__file__).resolve().parents[2]


def _run(path: Path, tmp_path: Path, **kw: object):  # type: ignore[no-untyped-def]
    return run_pipeline(
        DATE,
        pipeline=path,
        runs_path=tmp_path / "runs",
        lake_path=tmp_path / "nolake",
        progress=False,
        **kw,  # type: ignore[arg-type]
    )


def test_notebook_without_parameters_cell_or_with_unknown_parameter_is_refused(
    make_pipeline, tmp_path
):
    """papermill would run the untagged notebook with its own defaults (papermill #125)."""
    path = make_pipeline({"a": "x = 1"}, params={"a": None})
    with pytest.raises(PipelineError, match="no cell tagged 'parameters'"):
        load_pipeline(path)
    path = make_pipeline({"a": "x = 1"}, params={"a": 'as_of = ""\nlake_path = ""\ndb_url = ""'})
    with pytest.raises(PipelineError, match=r"does not declare parameter\(s\) \['run_dir'\]"):
        load_pipeline(path)
    code = main(["pipeline", "run", "--as-of", DATE, "--pipeline", str(path),
                 "--runs", str(tmp_path / "runs"), "--quiet"])  # fmt: skip
    assert code == 2
    assert not (tmp_path / "runs").exists()  # refused before anything was written


def test_a_database_the_pms_cannot_use_is_refused_before_the_run_folder(make_pipeline, tmp_path):
    """Issue 30 item 8: ``--db-url mysql://...`` created the run folder and ran steps until
    the PMS step failed; refused commands must leave nothing behind."""
    path = make_pipeline({"a": write_artifact_body("a")})
    runs = tmp_path / "runs"
    code = main(["pipeline", "run", "--as-of", DATE, "--pipeline", str(path), "--runs",
                 str(runs), "--db-url", "mysql://u:secret@db/x", "--quiet"])  # fmt: skip
    assert code == 2 and not runs.exists()


def _meet(me: str, other: str) -> str:
    """Cell code: announce ``me`` in the run folder, then wait for ``other`` (which only
    arrives if the two steps run at the same time)."""
    return (
        "import pathlib, time\n"
        f"(pathlib.Path(run_dir) / {me + '.here'!r}).write_text('x')\n"
        "t0 = time.time()\n"
        f"while not (pathlib.Path(run_dir) / {other + '.here'!r}).exists():\n"
        f"    assert time.time() - t0 < 60, {other + ' never ran beside ' + me!r}\n"
        "    time.sleep(0.05)\n"
    )


def test_failing_step_stops_its_dependents_and_resume_finishes_it(make_pipeline, tmp_path):
    """b and s both need only a, so they run side by side (each waits to meet the other);
    b fails: s still finishes, c (needs b and s) never starts; --resume runs b and c."""
    fixed = tmp_path / "fixed"
    path = make_pipeline(
        {
            "a": "import os\nassert os.environ['TQDM_DISABLE'] == '1'\n" + write_artifact_body("a"),
            "b": _meet("b", "s") + f"if not pathlib.Path({str(fixed)!r}).exists():\n"
            "    raise ValueError('boom: input not fixed')\n" + write_artifact_body("b"),
            "s": _meet("s", "b") + write_artifact_body("s"),
            "c": write_artifact_body("c"),
        },
        artifacts={s: [f"{s}/out.json"] for s in "absc"},
        after={"s": ["a"], "c": ["b", "s"]},
    )
    args = ["pipeline", "run", "--as-of", DATE, "--pipeline", str(path), "--quiet",
            "--runs", str(tmp_path / "runs"), "--path", str(tmp_path / "nolake")]  # fmt: skip
    assert main(args) == 1  # non-zero exit on failure
    run = RunFolder(DATE, runs_path=tmp_path / "runs")
    assert run.status == "failed"
    err = run.failure
    assert err is not None
    assert (err["step"], err["ename"], err["kind"]) == ("b", "ValueError", "cell")
    assert "boom" in err["evalue"]
    partial = nbformat.read(run.notebook_path("b"), as_version=4)
    failed_cell = [c for c in partial.cells if c.get("execution_count") == err["cell"]]
    assert failed_cell and "raise ValueError" in failed_cell[0].source
    statuses = [run.step(s)["status"] for s in "absc"]
    assert statuses == ["succeeded", "failed", "succeeded", "pending"]
    assert not run.notebook_path("c").exists()  # its needs failed: it did not run
    started = {s: run.step(s)["started_at"] for s in "as"}

    fixed.write_text("ok")
    result = _run(path, tmp_path, resume=True)
    assert result.status == "succeeded"
    run = RunFolder(DATE, runs_path=tmp_path / "runs")
    assert {s: run.step(s)["started_at"] for s in "as"} == started  # not re-run
    assert run.failure is None
    assert set(run.artifacts()) == {f"{s}/out.json" for s in "absc"}
    assert run.step("c")["artifacts"]["c/out.json"]  # checksum recorded
    assert run.step("c")["started_at"] > max(run.step(s)["finished_at"] for s in "bs")
    again = _run(path, tmp_path)
    assert again.noop and again.status == "succeeded"


def test_a_step_may_only_wait_for_earlier_steps(make_pipeline):
    path = make_pipeline({"a": "x = 1", "b": "x = 2"}, after={"a": ["b"]})
    with pytest.raises(PipelineError, match=r"step a is after \['b'\], which are not earlier"):
        load_pipeline(path)


def test_exceptions_in_threads_and_logging_fail_the_step(make_pipeline, tmp_path):
    """papermill reports success here: the thread's exception and the log line are lost."""
    body = (
        "import logging, threading\n"
        "t = threading.Thread(target=lambda: 1 / 0, name='feed-thread')\n"
        "t.start(); t.join()\n"
        "logging.getLogger('feed').error('lost quote for BR.DI.1Y')\n"
        "print('cell finished normally')\n"
    )
    path = make_pipeline({"threads": body})
    result = _run(path, tmp_path)
    assert result.status == "failed"
    err = result.manifest["error"]
    assert (err["kind"], err["ename"], err["count"]) == ("thread", "ZeroDivisionError", 2)
    assert "feed-thread" in err["evalue"]
    nb = nbformat.read(RunFolder(result.path).notebook_path("threads"), as_version=4)
    outputs = [o for c in nb.cells for o in c.get("outputs", [])]
    assert not any(o.get("output_type") == "error" for o in outputs)  # papermill saw nothing


def _log_zmq_error(when: str) -> str:
    """Cell code: log what tornado logs when the kernel's event loop touches a closed
    ZeroMQ socket ("Exception in callback ... ZMQError: Socket operation on non-socket"),
    now or (``when="exit"``) as the kernel process exits, after the last cell."""
    log = (
        "logging.getLogger('tornado.application').error("
        "'Exception in callback ZMQStream._update_handler', exc_info=zmq.ZMQError(zmq.ENOTSOCK))"
    )
    if when == "exit":
        return f"import atexit, logging, zmq\natexit.register(lambda: {log})\n"
    return f"import logging, zmq\n{log}\n"


def test_zmq_errors_of_the_kernels_messaging_are_not_the_steps_failure(make_pipeline, tmp_path):
    """Issue 30 item 9: a step failed on a ZMQError logged as its kernel shut down (under
    load), and ``--resume`` finished the run. Now: a ZeroMQ error after the last cell is
    ignored (kept in the guard file), one while cells run is transient (the step is
    retried), and any other error logged at shutdown still fails the step."""
    once = (
        "import pathlib\nif not (pathlib.Path(run_dir) / 'zmq-once').exists():\n"
        "    (pathlib.Path(run_dir) / 'zmq-once').write_text('x')\n"
        + "".join(f"    {line}\n" for line in _log_zmq_error("now").splitlines())
        + write_artifact_body("flaky")
    )
    at_exit_value_error = (
        "import atexit, logging\n"
        "atexit.register(lambda: logging.getLogger('feed').error('lost the last quote'))\n"
    )
    path = make_pipeline(
        {
            "teardown": _log_zmq_error("exit") + write_artifact_body("teardown"),
            "flaky": once,
            "real": at_exit_value_error + write_artifact_body("real"),
        },
        artifacts={s: [f"{s}/out.json"] for s in ("teardown", "flaky", "real")},
        retries={"teardown": 0, "flaky": 1, "real": 0},
        after={"flaky": [], "real": ["teardown", "flaky"]},
    )
    result = _run(path, tmp_path)
    steps = {s["name"]: s for s in result.manifest["steps"]}
    assert (steps["teardown"]["status"], steps["teardown"]["attempts"]) == ("succeeded", 1)
    guard = tmp_path / "runs" / DATE / ".work" / "teardown.errors.jsonl"
    (kept,) = [json.loads(line) for line in guard.read_text().splitlines()]
    assert (kept["ename"], kept["phase"], kept["transport"]) == ("ZMQError", "teardown", True)
    assert (steps["flaky"]["status"], steps["flaky"]["attempts"]) == ("succeeded", 2)
    assert steps["real"]["status"] == "failed"
    err = steps["real"]["error"]
    assert (err["kind"], err["ename"], err["evalue"]) == (
        "logging",
        "logging.ERROR",
        "feed: lost the last quote",
    )


def test_killed_kernel_is_retried_then_reported_without_orphans(make_pipeline, tmp_path):
    pids = tmp_path / "pids.txt"
    kill = (
        "import os, signal\n"
        f"open({str(pids)!r}, 'a').write(f'{{os.getpid()}}\\n')\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    once = (
        "import pathlib\nif not (pathlib.Path(run_dir) / 'killed-once').exists():\n"
        "    (pathlib.Path(run_dir) / 'killed-once').write_text('x')\n"
        + "".join(f"    {line}\n" for line in kill.splitlines())
        + write_artifact_body("flaky")
    )
    path = make_pipeline(
        {"flaky": once, "dead": kill},
        artifacts={"flaky": ["flaky/out.json"]},
        retries={"flaky": 2, "dead": 1},
    )
    result = _run(path, tmp_path)
    flaky, dead = result.manifest["steps"]
    assert (flaky["status"], flaky["attempts"]) == ("succeeded", 2)  # transient: retried
    assert (dead["status"], dead["attempts"]) == ("failed", 2)
    assert (dead["error"]["kind"], dead["error"]["ename"]) == ("transient", "DeadKernelError")
    killed = [int(p) for p in pids.read_text().split()]
    assert len(killed) == 3 and alive(killed) == []


def test_frozen_kernel_is_killed_at_its_deadline_with_every_process_it_started(
    make_pipeline, tmp_path
):
    """papermill without a timeout would wait forever and leave the kernel running.

    The deadline counts from the step's start, kernel start-up included: it starts short
    and doubles while the kernel had not yet reached its cell when it passed (a busy
    machine), so the test is quick on a quiet machine and still decides on a loaded one."""
    pids = tmp_path / "pids.txt"
    body = (
        "import os, subprocess, time\n"
        "child = subprocess.Popen(['sleep', '600'])\n"
        f"open({str(pids)!r}, 'w').write(f'{{os.getpid()}} {{child.pid}}')\n"
        "time.sleep(600)\n"
    )
    for deadline in (8.0, 16.0, 32.0, 64.0, 128.0):
        path = make_pipeline({"frozen": body}, deadline_s={"frozen": deadline})
        t0 = time.monotonic()
        result = _run(path, tmp_path / f"within-{deadline:g}s")
        took = time.monotonic() - t0
        assert result.status == "failed"
        err = result.manifest["error"]
        assert (err["step"], err["kind"], err["ename"]) == ("frozen", "timeout", "StepTimeout")
        assert took < 300  # reported at the deadline, not after the 600 s sleep
        worker = result.manifest["steps"][0]["worker_pid"]
        written = pids.read_text().split() if pids.exists() else []
        if len(written) == 2:  # the kernel ran its cell before the deadline
            break
        assert alive([worker]) == []
    assert len(written) == 2, "the kernel never reached its cell within a 128 s deadline"
    kernel, child = (int(p) for p in written)
    assert alive([kernel, child, worker]) == []


def test_second_concurrent_run_is_refused_and_a_crashed_run_leaves_no_lock(make_pipeline, tmp_path):
    path = make_pipeline({"slow": "import time\ntime.sleep(2)\n"})
    runs = tmp_path / "runs"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    first = subprocess.Popen(
        [sys.executable, "-m", "research_core.cli", "pipeline", "run", "--as-of", DATE,
         "--pipeline", str(path), "--runs", str(runs), "--path", str(tmp_path / "nolake"),
         "--quiet"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    manifest = runs / DATE / "manifest.json"
    for _ in range(600):
        if manifest.exists() and json.loads(manifest.read_text())["status"] == "running":
            break
        time.sleep(0.1)
    with pytest.raises(RunLockedError, match="in progress"):
        _run(path, tmp_path)
    out, _ = first.communicate(timeout=120)
    assert first.returncode == 0, out

    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time\nfrom pathlib import Path\n"
         "from research_core.pipeline.runner import date_lock\n"
         f"with date_lock(Path({str(runs / '2026-11-02')!r})):\n"
         "    print('locked', flush=True)\n    time.sleep(120)\n"],
        env=env, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    with pytest.raises(RunLockedError), date_lock(runs / "2026-11-02"):
        pass
    os.kill(holder.pid, signal.SIGKILL)  # a crashed run
    holder.wait()
    with date_lock(runs / "2026-11-02"):  # not stuck
        pass


def test_a_relative_sqlite_database_is_the_one_in_the_working_directory(tmp_path, monkeypatch):
    """Step notebooks run in pipelines/: a relative SQLite URL must not open a second,
    empty database there (make run, then workbench serve, read the same PMS)."""
    from research_core.config import absolute_sqlite

    monkeypatch.chdir(tmp_path)
    assert absolute_sqlite("sqlite:///workbench.db") == f"sqlite:///{tmp_path}/workbench.db"
    assert (
        absolute_sqlite("sqlite:///db/x.db?timeout=5") == f"sqlite:///{tmp_path}/db/x.db?timeout=5"
    )
    for unchanged in ("sqlite:////abs/x.db", "sqlite:///:memory:", "sqlite://",
                      "postgresql://u@h/db"):  # fmt: skip
        assert absolute_sqlite(unchanged) == unchanged


def test_rerunning_a_step_keeps_a_users_file_in_its_folder(make_pipeline, tmp_path: Path) -> None:
    """Issue 30: ``pipeline run --steps book`` on a finished date deleted a user's notes."""
    path = make_pipeline({"a": write_artifact_body("a")}, artifacts={"a": ["a/out.json"]})
    first = _run(path, tmp_path)
    assert first.status == "succeeded"
    folder = first.path / "artifacts" / "a"
    notes = folder / "analyst_notes.txt"
    notes.write_text("why we cut the NTN-B\n")
    stamp = (folder / "out.json").read_text()

    again = _run(path, tmp_path, steps=["a"])
    assert again.status == "succeeded"
    assert notes.read_text() == "why we cut the NTN-B\n"
    assert (folder / "out.json").read_text() != stamp  # the step's own output was redone
    step = next(s for s in again.manifest["steps"] if s["name"] == "a")
    assert set(step["artifacts"]) == {"a/out.json"}  # the notes are not the step's output


def test_the_lake_fingerprint_reads_no_data_file(tmp_path: Path, monkeypatch) -> None:
    """Issue 30 item 9: the fingerprint taken after every step stat-ed each data file, so a
    compaction (another date's step writing the lake) deleting one meanwhile failed the run.
    Deterministic race: a real compaction right after the manifest snapshot is taken."""
    import pandas as pd

    from research_core.lake import Lake
    from research_core.pipeline.runner import lake_fingerprint

    lake = Lake.open(tmp_path / "lake", create=True)
    lake.register("TEST.A", frequency="D", units="bp")
    for day in (2, 3):  # two files
        lake.write(
            pd.DataFrame(
                {
                    "series_id": ["TEST.A"],
                    "obs_date": [pd.Timestamp(f"2024-01-{day:02d}")],
                    "value": [float(day)],
                    "release_time": [pd.Timestamp(f"2024-01-{day + 1:02d} 20:00", tz="UTC")],
                    "source": ["test"],
                }
            )
        )
    quiet = lake_fingerprint(lake.root, "2024-02-01")
    real_snapshot = Lake.snapshot
    compacted: list[int] = []

    def snapshot_then_compact(self: Lake):  # type: ignore[no-untyped-def]
        files = real_snapshot(self)
        if not compacted:
            compacted.append(Lake.open(self.root).compact().files_before)
        return files

    monkeypatch.setattr(Lake, "snapshot", snapshot_then_compact)
    raced = lake_fingerprint(lake.root, "2024-02-01")
    assert compacted == [2]
    assert raced == quiet and quiet is not None and quiet["version"] == 2


def test_a_guard_line_cut_short_by_a_killed_kernel_is_left_out(tmp_path: Path) -> None:
    """A kernel killed while appending a record leaves half a JSON line: the runner read
    it with ``json.loads`` and crashed with a traceback instead of judging the step."""
    from research_core.pipeline.guard import read_errors

    guard = tmp_path / "step.errors.jsonl"
    whole = {"kind": "thread", "ename": "ValueError", "evalue": "x", "traceback": ""}
    guard.write_text(json.dumps(whole) + "\n" + '{"kind": "logging", "ename": "ZMQE')
    assert read_errors(guard) == [whole]

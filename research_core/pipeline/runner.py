"""Run a pipeline for one date into ``runs/<D>/``: papermill per step, each step in its own
process group under a wall-clock deadline, failures recorded in ``manifest.json``.

Steps whose needs are met run side by side (``max_parallel`` of them), each in its own
thread that watches its worker; the manifest is one dict guarded by a lock.

Why not plain ``papermill.execute_notebook``: a frozen kernel hangs it forever and leaves
an orphan kernel, exceptions in threads or sent to ``logging`` are lost, and a notebook
without a ``parameters`` cell runs with its own defaults. Here each step runs in a worker
process (``worker.py``, forked from a fork server that preloaded papermill) in a new
session; every process it starts carries a run token in its environment, so on timeout (or
after any attempt) the runner kills the worker's group and every process holding the token
— kernels start their own sessions, so a group kill alone would miss them.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pandas as pd
import psutil
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential
from tqdm.auto import tqdm

from research_core._files import flock, sha256_file
from research_core._typing import with_overrides
from research_core._version import code_parts
from research_core.config import absolute_sqlite, get_settings
from research_core.errors import WorkbenchError
from research_core.pipeline import versions
from research_core.pipeline.guard import judge, read_errors
from research_core.pipeline.spec import (
    COMMON_PARAMETERS,
    Pipeline,
    PipelineError,
    RunLockedError,
    Step,
    check_notebook,
    load_pipeline,
)
from research_core.pipeline.worker import run_in_session
from research_core.runs import ARTIFACTS, MANIFEST, NOTEBOOKS, latest_version, run_dir, write_atomic

TOKEN_ENV = "WORKBENCH_PIPELINE_TOKEN"
LOCK_FILE = ".lock"
WORK = ".work"
DEFAULT_PIPELINE = Path("pipelines") / "daily.yaml"


class TransientStepError(PipelineError):
    """The kernel died or did not start: worth another attempt."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('ename')}: {error.get('evalue')}")
        self.error = error


@dataclass(frozen=True)
class RunResult:
    """What a ``run_pipeline`` call did: the run folder, final status and manifest."""

    as_of: str
    path: Path
    status: str
    manifest: dict[str, Any]
    noop: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def summary(self) -> str:
        if self.noop:
            return f"{self.as_of}: already succeeded ({self.path}); use --force to run again"
        lines = [f"{self.as_of}: {self.status} ({self.path})"]
        for s in self.manifest["steps"]:
            took = f"{s['duration_s']:.1f}s" if s.get("duration_s") is not None else ""
            lines.append(f"  {s['name']:<14} {s['status']:<10} {took}")
        if self.manifest.get("revision"):
            lines.append(versions.summary(self.manifest))
        err = self.manifest.get("error")
        if err:
            cell = f" cell {err['cell']}" if err.get("cell") is not None else ""
            lines.append(f"  failed at {err['step']}{cell}: {err['ename']}: {err['evalue']}")
        if self.manifest.get("stale"):
            lines.append("  data marked STALE by the freshness gate")
        return "\n".join(lines)


def _now() -> str:
    return pd.Timestamp.now(tz="UTC").isoformat()


def _redact_url(url: str) -> str:
    """A database URL without its password (secrets never reach notebook parameters); one
    the PMS cannot use is refused here, before the run folder exists."""
    from sqlalchemy.engine import make_url

    from research_core._secrets import safe_url
    from research_core.pms.db import DIALECTS

    try:
        parsed = make_url(url)
    except Exception as err:
        raise PipelineError(
            f"malformed database URL (WORKBENCH_DB_URL): {type(err).__name__}"
        ) from err
    shown = safe_url(parsed) if parsed.password else url
    if parsed.get_backend_name() not in DIALECTS:
        raise PipelineError(
            f"unsupported database {parsed.get_backend_name()!r} in {shown}; use one of {DIALECTS}"
        )
    return shown


@contextmanager
def date_lock(folder: Path) -> Iterator[None]:
    """Exclusive lock on ``folder/.lock`` (flock: released by the kernel if we crash)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    with ExitStack() as stack:
        try:
            fd = stack.enter_context(flock(path, wait=False))
        except BlockingIOError as err:
            holder = path.read_text().strip() or "?"
            raise RunLockedError(
                f"another run of {folder.name} is in progress (pid {holder}); wait for it to finish"
            ) from err
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        yield


def lake_fingerprint(lake_path: Path, as_of: str) -> dict[str, Any] | None:
    """Lake version, a hash of its visible files (path, rows, SHA-256 as one manifest
    lists them: no data file is touched, so a compaction deleting them meanwhile does not
    matter) and the snapshot id of the end-of-day view (``lake.at_snapshot`` reopens
    exactly what the run could read)."""
    from research_core.lake import Lake
    from research_core.lake.store import MANIFEST as LAKE_MANIFEST

    if not (lake_path / LAKE_MANIFEST).exists():
        return None
    lake = Lake.open(lake_path)
    manifest = lake.manifest()
    h = hashlib.sha256()
    for entry in sorted(manifest["files"], key=lambda e: str(e["path"])):
        h.update(f"{entry['path']}:{entry.get('rows')}:{entry.get('sha256')}\n".encode())
    return {
        "version": int(manifest["version"]),
        "fingerprint": h.hexdigest()[:16],
        "snapshot_id": lake.at(as_of).snapshot_id,
    }


def _processes_with_token(token: str) -> list[psutil.Process]:
    me = os.getpid()
    found = []
    for p in psutil.process_iter():
        if p.pid == me:
            continue
        try:
            if p.environ().get(TOKEN_ENV) == token:
                found.append(p)
        except (psutil.Error, OSError):
            continue
    return found


def kill_token(token: str, also: Sequence[psutil.Process] = ()) -> int:
    """Kill every process carrying ``token`` (and ``also``), with their process groups."""
    victims = {p.pid: p for p in (*also, *_processes_with_token(token)) if _alive(p)}
    for p in victims.values():
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(os.getpgid(p.pid), signal.SIGKILL)
        try:
            p.kill()
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(list(victims.values()), timeout=5)
    return len(victims)


@functools.cache
def _fork_server() -> Any:
    """A fork server that imported the worker module once (a fork from it is clean even
    though the runner has threads; a fresh interpreter per step imports papermill again)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["research_core.pipeline.forkserver"])
    return ctx


class _Worker:
    """One step's worker process: forked from the fork server, or (inside a daemonic
    process, e.g. a Dask worker, which may not have children of its own) a new interpreter
    running ``python -m research_core.pipeline.worker``. Either way a session leader."""

    def __init__(self, job_path: Path, log: Path, env: dict[str, str], name: str) -> None:
        self.popen: subprocess.Popen[bytes] | None = None
        self.process: Any = None
        if multiprocessing.current_process().daemon:
            with log.open("ab") as out:
                self.popen = subprocess.Popen(
                    [sys.executable, "-m", "research_core.pipeline.worker", str(job_path)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            self.pid = self.popen.pid
        else:
            self.process = _fork_server().Process(
                target=run_in_session, args=(str(job_path), str(log), env), name=name
            )
            self.process.start()
            self.pid = self.process.pid

    def running(self) -> bool:
        if self.popen is not None:
            return self.popen.poll() is None
        return bool(self.process.exitcode is None)

    def kill(self) -> None:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(self.pid, signal.SIGKILL)
        (self.popen or self.process).kill()  # in case it was not a group leader yet

    def wait(self) -> None:
        if self.popen is not None:
            self.popen.wait()
        else:
            self.process.join()


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


class _Run:
    """One invocation: the manifest in memory, written after every change. Step threads
    change it only while holding ``lock``; ``stop`` asks every running step to end."""

    def __init__(self, pipe: Pipeline, folder: Path, params: dict[str, Any]) -> None:
        self.pipe, self.folder, self.params = pipe, folder, params
        path = folder / MANIFEST
        self.manifest: dict[str, Any] = json.loads(path.read_text("utf-8")) if path.exists() else {}
        self.lock = threading.RLock()
        self.stop = threading.Event()

    def save(self) -> None:
        with self.lock:
            text = json.dumps(self.manifest, indent=1, default=str)
            write_atomic(self.folder / MANIFEST, text)

    def record(self, name: str) -> dict[str, Any]:
        rec: dict[str, Any] = next(s for s in self.manifest["steps"] if s["name"] == name)
        return rec

    def begin(self, *, keep: set[str]) -> None:
        old = {s["name"]: s for s in self.manifest.get("steps", [])}
        steps = []
        for step in self.pipe.steps:
            prev = old.get(step.name)
            if prev is not None and step.name in keep:
                steps.append(prev)
            else:
                owned = (prev or {}).get("artifacts") or {}  # what a rerun may remove
                steps.append(
                    {
                        "name": step.name,
                        "notebook": step.notebook,
                        "deadline_s": step.deadline_s,
                        "status": "pending",
                        "artifacts": owned,
                    }
                )
        self.manifest.update(
            {
                "pipeline": self.pipe.name,
                "as_of": self.params["as_of"],
                "status": "running",
                "started_at": _now(),
                "finished_at": None,
                "parameters": self.params,
                "code": code_parts(),
                "steps": steps,
                "error": None,
            }
        )
        self.manifest.setdefault("stale", False)
        self.save()

    def finish(self) -> None:
        statuses = [s["status"] for s in self.manifest["steps"]]
        if "failed" in statuses:
            status = "failed"
        elif all(s == "succeeded" for s in statuses):
            status = "succeeded"
        else:
            status = "incomplete"
        self.manifest.update({"status": status, "finished_at": _now()})
        self.save()


def _execute_attempt(run: _Run, step: Step) -> dict[str, Any]:
    """One attempt of one step; returns the error record, None-free dict on success."""
    folder = run.folder
    work = folder / WORK
    work.mkdir(parents=True, exist_ok=True)
    token = uuid.uuid4().hex
    guard_file = work / f"{step.name}.errors.jsonl"
    guard_file.unlink(missing_ok=True)
    output = folder / NOTEBOOKS / f"{step.name}.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    job = {
        "input": str(run.pipe.notebook_path(step).resolve()),
        "output": str(output),
        "parameters": {**run.params, **step.params},
        "kernel": run.pipe.kernel,
        "start_timeout": run.pipe.start_timeout_s,
        "cwd": str(run.pipe.folder.resolve()),
        "guard_file": str(guard_file),
    }
    job_path = work / f"{step.name}.job.json"
    result_path = job_path.with_suffix(".result.json")
    result_path.unlink(missing_ok=True)
    write_atomic(job_path, json.dumps(job))
    env = {**os.environ, TOKEN_ENV: token, "TQDM_DISABLE": "1", "PYTHONUNBUFFERED": "1"}
    log = work / f"{step.name}.log"
    proc = _Worker(job_path, log, env, f"step-{step.name}")
    with run.lock:
        run.record(step.name)["worker_pid"] = proc.pid
    deadline = time.monotonic() + step.deadline_s
    tracked: dict[int, psutil.Process] = {}
    timed_out = False
    interrupted = False
    try:
        while proc.running():
            if time.monotonic() > deadline:
                timed_out = True
                break
            if run.stop.is_set():  # the run is being interrupted: end this step now
                timed_out = interrupted = True
                break
            tracked.update(_children(proc.pid, tracked))
            time.sleep(0.25)
    except BaseException:  # Ctrl-C or a crash of ours: take the step's processes with us
        timed_out = True
        raise
    finally:
        if timed_out:
            proc.kill()
        killed = kill_token(token, list(tracked.values()))
    proc.wait()
    if interrupted:
        return {"kind": "interrupted", "ename": "KeyboardInterrupt", "evalue": "run interrupted"}
    if timed_out:
        return {
            "kind": "timeout",
            "ename": "StepTimeout",
            "evalue": f"no result within the {step.deadline_s:g} s deadline; "
            f"killed the step's process group and {killed} process(es) it started",
        }
    if not result_path.exists():
        tail = log.read_text("utf-8", errors="replace")[-400:] if log.exists() else ""
        return {"kind": "worker", "ename": "WorkerDied", "evalue": tail.strip() or "no output"}
    result: dict[str, Any] = json.loads(result_path.read_text("utf-8"))
    if result["status"] != "ok":
        error = {k: v for k, v in result.items() if k not in ("status", "transient")}
        error["kind"] = "transient" if result.get("transient") else "cell"
        return error
    return _check_outputs(run, step, output, guard_file)


def _check_outputs(run: _Run, step: Step, output: Path, guard_file: Path) -> dict[str, Any]:
    """Empty when the step is good: no error output, nothing in the guard file, all
    expected artifacts present."""
    nb = nbformat.read(output, as_version=4)
    for i, cell in enumerate(nb.cells):
        for out in cell.get("outputs", []):
            if out.get("output_type") == "error":
                return {
                    "kind": "cell",
                    "cell": cell.get("execution_count"),
                    "cell_index": i,
                    "ename": out.get("ename"),
                    "evalue": out.get("evalue"),
                }
    failing, transient = judge(read_errors(guard_file))
    if failing:
        first = failing[0]
        return {
            "kind": first["kind"],
            "ename": first["ename"],
            "evalue": first["evalue"],
            "count": len(failing),
        }
    if transient:  # the kernel's messaging failed while cells ran: try the step again
        first = transient[0]
        return {
            "kind": "transient",
            "ename": first["ename"],
            "evalue": f"kernel messaging error while the step ran: {first['evalue']}",
            "count": len(transient),
        }
    root = run.folder / ARTIFACTS
    missing = [a for a in step.artifacts if not (root / a).exists()]
    if missing:
        return {
            "kind": "artifact",
            "ename": "MissingArtifact",
            "evalue": f"step {step.name} did not write {missing}",
        }
    return {}


def _clear_own_outputs(run: _Run, step: Step, owned: dict[str, str]) -> dict[str, str]:
    """Remove what an earlier try of ``step`` wrote (recorded in the manifest, or one of its
    declared artifacts) so a rerun starts clean; anything else in its folder (a user's
    notes) is left alone. Returns the files left: relative path -> SHA-256."""
    root = run.folder / ARTIFACTS
    left: dict[str, str] = {}
    for path in sorted((root / step.name).rglob("*")):
        if path.is_dir() and not path.is_symlink():
            continue
        rel = path.relative_to(root).as_posix()
        if rel in owned or rel in step.artifacts:
            path.unlink()
        else:
            left[rel] = sha256_file(path) if path.is_file() else ""
    return left


def _run_step(run: _Run, step: Step) -> bool:
    rec = run.record(step.name)
    with run.lock:
        foreign = _clear_own_outputs(run, step, dict(rec.get("artifacts") or {}))
        rec.update(
            status="running",
            started_at=_now(),
            finished_at=None,
            attempts=0,
            error=None,
            artifacts={},
        )
        run.save()
    t0 = time.perf_counter()
    error: dict[str, Any] = {}

    def attempt() -> dict[str, Any]:
        with run.lock:
            rec["attempts"] += 1
            run.save()
        got = _execute_attempt(run, step)
        if got.get("kind") == "transient":
            raise TransientStepError(got)
        return got

    retrying = Retrying(
        retry=retry_if_exception_type(TransientStepError),
        stop=stop_after_attempt(step.retries + 1),
        wait=wait_exponential(multiplier=0.5, min=0.5, max=8),
        reraise=True,
    )
    try:
        error = retrying(attempt)
    except TransientStepError as err:
        error = err.error
    root = run.folder / ARTIFACTS
    artifacts = {
        rel: digest
        for rel, digest in (
            (p.relative_to(root).as_posix(), sha256_file(p))
            for p in sorted(root.glob(f"{step.name}/**/*"))
            if p.is_file()
        )
        if foreign.get(rel) != digest  # not a file that was there and is not ours
    }
    with run.lock:
        rec["duration_s"] = round(time.perf_counter() - t0, 3)
        rec["finished_at"] = _now()
        rec["artifacts"] = artifacts
        if error:
            rec["status"], rec["error"] = "failed", error
            if not run.manifest.get("error"):  # the first failure is the run's
                run.manifest["error"] = {"step": step.name, "cell": error.get("cell"), **error}
        else:
            rec["status"] = "succeeded"
            _after_step(run, step)
        run.save()
    return not error


def _after_step(run: _Run, step: Step) -> None:
    """Record the lake the run read and whether the freshness gate marked it stale."""
    fp = lake_fingerprint(Path(run.params["lake_path"]), run.params["as_of"])
    if fp is not None:
        run.manifest["lake"] = fp
    gate = run.folder / ARTIFACTS / step.name / "freshness.json"
    if gate.exists():
        run.manifest["stale"] = bool(json.loads(gate.read_text("utf-8")).get("stale", False))


BEYOND_DATA_DAYS = 7
"""A run dated more than this many days after the lake's newest release is refused
unless forced (a typo such as 2030 for 2026, or a lake that stopped updating). A pipeline
that ingests first catches up missed days itself: only a date after today is refused."""


def _check_within_the_data(lake_path: Path, date: str, *, ingests: bool = False) -> None:
    from research_core.lake import Lake
    from research_core.lake.maintenance import newest_release
    from research_core.lake.store import MANIFEST as LAKE_MANIFEST

    if not (lake_path / LAKE_MANIFEST).exists():
        return  # no lake yet: the first step builds or fills it
    today = pd.Timestamp.now(tz=get_settings().timezone).tz_localize(None).normalize()
    if ingests and pd.Timestamp(date) <= today:
        return
    newest = newest_release(Lake.open(lake_path))
    if (
        newest is not None
        and (pd.Timestamp(date) - newest.tz_localize(None)).days > BEYOND_DATA_DAYS
    ):
        raise PipelineError(
            f"--as-of {date} is past the lake's data (newest release {newest:%Y-%m-%d}); "
            "run an ingest first, or pass --force to run on what the lake has"
        )


@dataclass(frozen=True)
class RunOptions:
    """How a date runs: only ``steps`` (None: all), ``resume`` after the steps that
    succeeded, ``force`` a new version of a date that succeeded, a progress bar."""

    steps: Sequence[str] | None = None
    resume: bool = False
    force: bool = False
    progress: bool = True


def run_pipeline(
    as_of: str | pd.Timestamp,
    *,
    pipeline: Pipeline | str | Path = DEFAULT_PIPELINE,
    runs_path: str | Path | None = None,
    lake_path: str | Path | None = None,
    db_url: str | None = None,
    options: RunOptions | None = None,
    **overrides: object,
) -> RunResult:
    """Run ``pipeline`` for ``as_of`` (a date) into ``<runs_path>/<as_of>/``.

    Stops at the first failing step (its partial notebook is kept); ``resume`` skips the
    steps that already succeeded; a date that already succeeded is left alone unless
    ``force``, which runs it again as a new version (``runs/<D>/versions/v<N>/``, linked to
    the one before, which is kept as it is: ``pipeline.versions``). A second concurrent
    run of the same date raises :class:`RunLockedError`. ``options``: :class:`RunOptions`,
    or its fields by keyword (``steps``, ``resume``, ``force``, ``progress``).
    """
    o = with_overrides(options or RunOptions(), overrides, PipelineError)
    steps, resume, force, progress = o.steps, o.resume, o.force, o.progress
    pipe = pipeline if isinstance(pipeline, Pipeline) else load_pipeline(pipeline)
    settings = get_settings()
    date = f"{pd.Timestamp(as_of):%Y-%m-%d}"
    folder = run_dir(date, runs_path).resolve()
    params = {
        "as_of": date,
        "lake_path": str(Path(lake_path or settings.lake_path).resolve()),
        "db_url": _redact_url(absolute_sqlite(db_url or settings.db_url)),
        "run_dir": str(folder),
    }
    assert set(params) == set(COMMON_PARAMETERS)
    if not force:
        ingests = any(s.name == "ingest" for s in pipe.steps)
        _check_within_the_data(Path(params["lake_path"]), date, ingests=ingests)
    selected = list(steps) if steps else [s.name for s in pipe.steps]
    for name in selected:
        check_notebook(pipe.notebook_path(pipe.step(name)), [*params, *pipe.step(name).params])
    with date_lock(folder):
        current = latest_version(folder)
        run = _Run(pipe, current, {**params, "run_dir": str(current)})
        previous = run.manifest.get("status")
        if previous == "succeeded" and not force and not steps:
            return RunResult(date, current, "succeeded", run.manifest, noop=True)
        done = {s["name"] for s in run.manifest.get("steps", []) if s["status"] == "succeeded"}
        keep = done if resume and not force else done - set(selected)
        if force and run.manifest:  # a new version: the earlier run is kept as it is
            new, first = versions.start(folder, current, run.manifest, keep)
            run = _Run(pipe, new, {**params, "run_dir": str(new)})
            run.manifest = first
        run.begin(keep=keep)
        todo = [s for s in pipe.steps if s.name in selected and s.name not in keep]
        bar = tqdm(total=len(todo), desc=date, unit="step", disable=not progress, file=sys.stderr)
        try:
            _run_steps(run, todo, bar)
        finally:
            bar.close()
            run.finish()
            _record_revision(run, folder)
    if run.manifest["status"] == "failed":
        _alert_failure(pipe, run.folder, absolute_sqlite(db_url or settings.db_url))
    return RunResult(date, run.folder, run.manifest["status"], run.manifest)


def _record_revision(run: _Run, date_folder: Path) -> None:
    """A re-run's manifest gets what it changed against the version it revises."""
    rev = run.manifest.get("revision")
    if not rev:
        return
    previous = date_folder.parent / rev["previous"]["path"]
    rev.update(versions.changes(run.pipe, previous, run.folder))
    run.save()


def _alert_failure(pipe: Pipeline, folder: Path, db_url: str) -> None:
    """A failed run never reaches its ``alerts`` step: raise and send its alerts (the
    failed step among them) here. A problem is logged; the run's result stands."""
    if not any(s.name == "alerts" for s in pipe.steps):
        return
    from sqlalchemy.exc import SQLAlchemyError

    from research_core.alerts import raise_alerts

    try:
        print(raise_alerts(folder, db_url, write=False).summary(), file=sys.stderr)
    except (WorkbenchError, OSError, SQLAlchemyError) as err:
        logging.getLogger(__name__).warning(
            "alerts of the failed run %s not raised: %s", folder.name, err
        )


def _children(pid: int, known: dict[int, psutil.Process]) -> dict[int, psutil.Process]:
    """The worker's descendants not yet tracked (none when the worker has just exited:
    a race with its end, after which its tracked children are still reaped)."""
    try:
        found = psutil.Process(pid).children(recursive=True)
    except psutil.Error:  # the worker ended between the check and this look
        return {}
    return {c.pid: c for c in found if c.pid not in known}


def _run_steps(run: _Run, todo: list[Step], bar: Any) -> None:
    """Run ``todo`` in order, up to ``max_parallel`` at once, each once its needs (among
    ``todo``) have succeeded. After a failure nothing new starts; running steps finish.
    Ctrl-C stops every running step (process groups and kernels killed) and re-raises."""
    pending = list(todo)
    names = {s.name for s in todo}
    succeeded: set[str] = set()
    running: dict[Future[bool], Step] = {}
    failed = False
    with ThreadPoolExecutor(run.pipe.max_parallel, thread_name_prefix="step") as pool:
        try:
            while pending or running:
                for step in [] if failed else list(pending):
                    if len(running) >= run.pipe.max_parallel:
                        break
                    if all(n in succeeded or n not in names for n in run.pipe.needs(step)):
                        pending.remove(step)
                        running[pool.submit(_run_step, run, step)] = step
                if not running:
                    break
                bar.set_postfix_str(", ".join(s.name for s in running.values()))
                done, _ = wait(running, return_when=FIRST_COMPLETED)
                for future in done:
                    step = running.pop(future)
                    if future.result():
                        succeeded.add(step.name)
                        bar.update()
                    else:
                        failed = True
        except BaseException:
            run.stop.set()
            raise

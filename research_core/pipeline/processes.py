"""The step processes: a worker per step attempt, each its own session, and the warm pool
that starts a step's worker — with its kernel up and its modules imported — while earlier
steps still run, so a step's ~3 s of kernel start-up and imports overlap other work.

Every worker carries a run token in its environment (its kernel inherits it), so the
runner can kill a step's worker group and every process holding the token — kernels start
their own sessions, so a group kill alone would miss them. A warm worker waits for its
job file (``worker.py``); one never given a job is killed when the run ends.
"""

from __future__ import annotations

import functools
import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import uuid
from collections.abc import Iterable, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any

import psutil

from research_core.pipeline.spec import Pipeline, Step
from research_core.pipeline.worker import run_in_session
from research_core.runs import write_atomic

TOKEN_ENV = "WORKBENCH_PIPELINE_TOKEN"
WORK = ".work"


def _alive(p: psutil.Process) -> bool:
    try:
        return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


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


def children(pid: int, known: dict[int, psutil.Process]) -> dict[int, psutil.Process]:
    """The worker's descendants not yet tracked (none when the worker has just exited:
    a race with its end, after which its tracked children are still reaped)."""
    try:
        found = psutil.Process(pid).children(recursive=True)
    except psutil.Error:  # the worker ended between the check and this look
        return {}
    return {c.pid: c for c in found if c.pid not in known}


@functools.cache
def _fork_server() -> Any:
    """A fork server that imported the worker module once (a fork from it is clean even
    though the runner has threads; a fresh interpreter per step imports papermill again)."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["research_core.pipeline.forkserver"])
    return ctx


class Worker:
    """One attempt's worker process, started for ``step`` (maybe before the step may
    run): it starts the kernel and imports the step's modules, then waits for
    ``job_path``. Forked from the fork server, or (inside a daemonic process, e.g. a Dask
    worker, which may not have children of its own) a new interpreter running ``python -m
    research_core.pipeline.worker``. Either way a session leader."""

    def __init__(self, pipe: Pipeline, step: Step, work: Path) -> None:
        self.token = uuid.uuid4().hex
        self.job_path = work / f"{step.name}.job.json"
        self.result_path = self.job_path.with_suffix(".result.json")
        self.log = work / f"{step.name}.log"
        for stale in (self.job_path, self.result_path):  # an earlier attempt's or run's
            stale.unlink(missing_ok=True)
        slot = work / f"{step.name}.slot.json"
        write_atomic(slot, json.dumps(kernel_spec(pipe, step) | {"job": str(self.job_path)}))
        env = {**os.environ, TOKEN_ENV: self.token, "TQDM_DISABLE": "1", "PYTHONUNBUFFERED": "1"}
        self.popen: subprocess.Popen[bytes] | None = None
        self.process: Any = None
        if multiprocessing.current_process().daemon:
            with self.log.open("ab") as out:
                self.popen = subprocess.Popen(
                    [sys.executable, "-m", "research_core.pipeline.worker", str(slot)],
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    env=env,
                    start_new_session=True,
                )
            self.pid = self.popen.pid
        else:
            self.process = _fork_server().Process(
                target=run_in_session, args=(str(slot), str(self.log), env), name=step.name
            )
            self.process.start()
            self.pid = self.process.pid

    def give(self, job: dict[str, Any]) -> None:
        """Hand the worker its job (it starts executing at once)."""
        write_atomic(self.job_path, json.dumps(job))

    def running(self, within: float = 0.0) -> bool:
        """Whether the worker still runs after waiting up to ``within`` seconds for its end."""
        if self.popen is not None:
            with suppress(subprocess.TimeoutExpired):
                self.popen.wait(within)
            return self.popen.poll() is None
        self.process.join(within)
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


def kernel_spec(pipe: Pipeline, step: Step) -> dict[str, Any]:
    """How a step's kernel starts: kernel name, working folder, modules it imports first."""
    return {
        "kernel": pipe.kernel,
        "cwd": str(pipe.folder.resolve()),
        "preload": [*pipe.preload, *step.preload],
    }


class WarmPool:
    """Workers started ahead for steps that have not started yet, one per step; ``take``
    returns the step's warm worker (or starts one), ``close`` kills those never used."""

    def __init__(self, pipe: Pipeline, work: Path) -> None:
        self.pipe, self.work = pipe, work
        work.mkdir(parents=True, exist_ok=True)
        self.idle: dict[str, Worker] = {}
        self.lock = threading.Lock()

    def warm(self, steps: Iterable[Step]) -> None:
        """Start a worker for each of ``steps`` that has none waiting."""
        with self.lock:
            for step in steps:
                if step.name not in self.idle:
                    self.idle[step.name] = Worker(self.pipe, step, self.work)

    def take(self, step: Step) -> Worker:
        with self.lock:
            worker = self.idle.pop(step.name, None)
        return worker or Worker(self.pipe, step, self.work)

    def close(self) -> None:
        with self.lock:
            unused, self.idle = list(self.idle.values()), {}
        for worker in unused:
            worker.kill()
            kill_token(worker.token)
            worker.wait()

"""Run a pipeline for one date into ``runs/<D>/``: papermill per step, each step in its own
process group under a wall-clock deadline, failures recorded in ``manifest.json``.

Steps whose needs are met run side by side (``max_parallel`` of them), each in its own
thread that watches its worker (``attempt.py``); the manifest is one dict guarded by a lock
(``record.py``). While steps run, the workers of the steps that may start next are already
started (``processes.WarmPool``): their kernels are up and their modules imported when
their turn comes, so the ~3 s of kernel start-up per step overlaps other work.

Why not plain ``papermill.execute_notebook``: a frozen kernel hangs it forever and leaves
an orphan kernel, exceptions in threads or sent to ``logging`` are lost, and a notebook
without a ``parameters`` cell runs with its own defaults. Here each step runs in a worker
process (``worker.py``, forked from a fork server that preloaded papermill) in a new
session; every process it starts carries a run token in its environment, so on timeout (or
after any attempt) the runner kills the worker's group and every process holding the token
— kernels start their own sessions, so a group kill alone would miss them.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from research_core._files import flock
from research_core._typing import with_overrides
from research_core.config import absolute_sqlite, get_settings
from research_core.errors import WorkbenchError
from research_core.pipeline import versions
from research_core.pipeline.attempt import run_step
from research_core.pipeline.processes import WORK, WarmPool
from research_core.pipeline.record import RunRecord, RunResult, lake_fingerprint
from research_core.pipeline.spec import (
    COMMON_PARAMETERS,
    Pipeline,
    PipelineError,
    RunLockedError,
    Step,
    check_notebook,
    load_pipeline,
)
from research_core.runs import latest_version, run_dir

__all__ = ["DEFAULT_PIPELINE", "RunOptions", "RunResult", "date_lock", "lake_fingerprint"]
__all__ += ["run_pipeline"]

LOCK_FILE = ".lock"
DEFAULT_PIPELINE = Path("pipelines") / "daily.yaml"


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
        run = RunRecord(pipe, current, {**params, "run_dir": str(current)})
        previous = run.manifest.get("status")
        if previous == "succeeded" and not force and not steps:
            return RunResult(date, current, "succeeded", run.manifest, noop=True)
        done = {s["name"] for s in run.manifest.get("steps", []) if s["status"] == "succeeded"}
        keep = done if resume and not force else done - set(selected)
        if force and run.manifest:  # a new version: the earlier run is kept as it is
            new, first = versions.start(folder, current, run.manifest, keep)
            run = RunRecord(pipe, new, {**params, "run_dir": str(new)})
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


def _record_revision(run: RunRecord, date_folder: Path) -> None:
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


def _run_steps(run: RunRecord, todo: list[Step], bar: Any) -> None:
    """Run ``todo`` in order, up to ``max_parallel`` at once, each once its needs (among
    ``todo``) have succeeded; the next ones' workers warm up meanwhile. After a failure
    nothing new starts; running steps finish. Ctrl-C stops every running step (process
    groups and kernels killed) and re-raises; workers never used are killed at the end."""
    pending = list(todo)
    names = {s.name for s in todo}
    succeeded: set[str] = set()
    running: dict[Future[bool], Step] = {}
    failed = False
    width = run.pipe.max_parallel
    warm = WarmPool(run.pipe, run.folder / WORK)
    with ThreadPoolExecutor(width, thread_name_prefix="step") as threads:
        try:
            while pending or running:
                for step in [] if failed else _ready(run.pipe, pending, names, succeeded):
                    if len(running) >= width:
                        break
                    pending.remove(step)
                    running[threads.submit(run_step, run, step, warm)] = step
                if not running:
                    break
                started = succeeded | {s.name for s in running.values()}
                if not failed:
                    warm.warm(_next(run.pipe, pending, names, started))
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
        finally:
            warm.close()


def _next(pipe: Pipeline, pending: list[Step], names: set[str], started: set[str]) -> list[Step]:
    """The steps to warm up: those that may start when a running one ends, then those that
    may start when these end (``2 * max_parallel`` at most), so that a kernel has a whole
    step's time to start and import its modules."""
    first = _ready(pipe, pending, names, started)
    second = _ready(pipe, pending, names, started | {s.name for s in first})
    return second[: 2 * pipe.max_parallel]  # ``second`` lists ``first`` too, in order


def _ready(pipe: Pipeline, pending: list[Step], names: set[str], done: set[str]) -> list[Step]:
    """The pending steps (in order) whose needs among ``names`` are all in ``done``."""
    return [s for s in pending if all(n in done or n not in names for n in pipe.needs(s))]

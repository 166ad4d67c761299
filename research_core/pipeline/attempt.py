"""One step of a run: its attempts (a worker from the warm pool, watched until its
deadline), the checks of what it left (cell errors, the guard's records, the declared
artifacts) and its manifest record. A step that fails removes nothing it did not write."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import nbformat
import psutil
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from research_core._files import sha256_file
from research_core.pipeline.guard import judge, read_errors
from research_core.pipeline.processes import WORK, WarmPool, children, kernel_spec, kill_token
from research_core.pipeline.record import RunRecord, after_step, now
from research_core.pipeline.spec import PipelineError, Step
from research_core.runs import ARTIFACTS, NOTEBOOKS

WATCH_S = 0.25
"""How often a running step's new processes are tracked (its end is seen at once)."""


class TransientStepError(PipelineError):
    """The kernel died or did not start: worth another attempt."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('ename')}: {error.get('evalue')}")
        self.error = error


def _execute_attempt(run: RunRecord, step: Step, pool: WarmPool) -> dict[str, Any]:
    """One attempt of one step; returns the error record, an empty dict on success."""
    work = run.folder / WORK
    guard_file = work / f"{step.name}.errors.jsonl"
    guard_file.unlink(missing_ok=True)
    output = run.folder / NOTEBOOKS / f"{step.name}.ipynb"
    output.parent.mkdir(parents=True, exist_ok=True)
    proc = pool.take(step)
    with run.lock:
        run.record(step.name)["worker_pid"] = proc.pid
    deadline = time.monotonic() + step.deadline_s
    tracked: dict[int, psutil.Process] = {}
    timed_out = interrupted = False
    try:
        proc.give(
            kernel_spec(run.pipe, step)
            | {
                "input": str(run.pipe.notebook_path(step).resolve()),
                "output": str(output),
                "parameters": {**run.params, **step.params},
                "start_timeout": run.pipe.start_timeout_s,
                "guard_file": str(guard_file),
            }
        )
        while proc.running(within=WATCH_S):
            if time.monotonic() > deadline:
                timed_out = True
                break
            if run.stop.is_set():  # the run is being interrupted: end this step now
                timed_out = interrupted = True
                break
            tracked.update(children(proc.pid, tracked))
    except BaseException:  # Ctrl-C or a crash of ours: take the step's processes with us
        timed_out = True
        raise
    finally:
        if timed_out:
            proc.kill()
        killed = kill_token(proc.token, list(tracked.values()))
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
    return _read_result(proc.result_path, proc.log) or _check_outputs(run, step, output, guard_file)


def _read_result(path: Path, log: Path) -> dict[str, Any]:
    """The worker's own report: empty if the notebook ran to its end."""
    if not path.exists():
        tail = log.read_text("utf-8", errors="replace")[-400:] if log.exists() else ""
        return {"kind": "worker", "ename": "WorkerDied", "evalue": tail.strip() or "no output"}
    result: dict[str, Any] = json.loads(path.read_text("utf-8"))
    if result["status"] == "ok":
        return {}
    error = {k: v for k, v in result.items() if k not in ("status", "transient")}
    error["kind"] = "transient" if result.get("transient") else "cell"
    return error


def _check_outputs(run: RunRecord, step: Step, output: Path, guard_file: Path) -> dict[str, Any]:
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


def _clear_own_outputs(run: RunRecord, step: Step, owned: dict[str, str]) -> dict[str, str]:
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


def run_step(run: RunRecord, step: Step, pool: WarmPool) -> bool:
    """Run ``step`` (retrying transient failures) and record it; True if it succeeded."""
    rec = run.record(step.name)
    with run.lock:
        foreign = _clear_own_outputs(run, step, dict(rec.get("artifacts") or {}))
        rec.update(
            status="running",
            started_at=now(),
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
        got = _execute_attempt(run, step, pool)
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
        rec["finished_at"] = now()
        rec["artifacts"] = artifacts
        if error:
            rec["status"], rec["error"] = "failed", error
            if not run.manifest.get("error"):  # the first failure is the run's
                run.manifest["error"] = {"step": step.name, "cell": error.get("cell"), **error}
        else:
            rec["status"] = "succeeded"
            after_step(run, step.name)
        run.save()
    return not error

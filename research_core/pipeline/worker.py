"""Execute one step notebook with papermill; run by the runner as its own process group.

The runner forks :func:`run_in_session` from a fork server that has already imported
papermill, nbformat and this module (``pipeline.forkserver``: about 1 s a step saved),
often before the step may run (``processes.WarmPool``). The worker reads its slot
(kernel, working folder, modules to preload, where its job will appear), starts the kernel
— whose first lines import those modules — then waits for the job (input, output,
parameters, guard file), executes it on that kernel, and writes ``JOB.result.json``:
``ok``, or the failing cell with exception type and message, and whether the failure was
transient (kernel died or never started), which the runner may retry. ``python -m
research_core.pipeline.worker JOB.json`` runs a job that is its own slot, from a shell.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from research_core.pipeline.guard import END_SOURCE, GUARD_TAG, cell_source
from research_core.runs import write_atomic
from research_core.startup import KERNEL_EXEC, prepare_process

JOB_POLL_S = 0.02


def kernel_exec(preload: list[str]) -> str:
    """The kernel's first line: process set-up, a quick exit once the exit handlers ran
    (``guard.exit_after_handlers``), then the step's modules imported (no name is left
    in the notebook's namespace)."""
    imports = "".join(f"; import {m} as _w" for m in preload)
    quick = "; import research_core.pipeline.guard as _w; _w.exit_after_handlers()"
    return f"{KERNEL_EXEC}{quick}{imports}; del _w"


def start_kernel(spec: dict[str, Any]) -> Any:
    """Start the slot's kernel (not waiting for it: it imports while we wait for the job).
    The arguments are those nbclient would give a kernel it starts itself."""
    from jupyter_client.manager import AsyncKernelManager
    from jupyter_client.utils import run_sync

    km = AsyncKernelManager(kernel_name=spec["kernel"])
    args = [f"--IPKernelApp.exec_lines={kernel_exec(spec['preload'])}"]
    if km.ipykernel:
        args.append("--HistoryManager.hist_file=:memory:")
    run_sync(km.start_kernel)(extra_arguments=args, cwd=spec["cwd"])
    return km


def _notebook(job: dict[str, Any]) -> Any:
    """The step's notebook with the guard cells first and last."""
    import nbformat

    nb = nbformat.read(job["input"], as_version=4)
    guard = nbformat.v4.new_code_cell(cell_source(Path(job["guard_file"])))
    guard.metadata["tags"] = [GUARD_TAG]
    nb.cells.insert(0, guard)
    end = nbformat.v4.new_code_cell(END_SOURCE)  # what the guard records after it is teardown
    end.metadata["tags"] = [GUARD_TAG]
    nb.cells.append(end)
    return nb


def execute(job: dict[str, Any], km: Any) -> dict[str, Any]:
    """Run the notebook described by ``job`` on the kernel of ``km``; never raises,
    returns the outcome. Imports papermill here (the fork server has it loaded)."""
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    try:
        papermill.execute_notebook(
            _notebook(job),
            job["output"],
            parameters=job["parameters"],
            kernel_name=job["kernel"],
            progress_bar=False,
            start_timeout=job["start_timeout"],
            cwd=job["cwd"],
            km=km,
        )
    except PapermillExecutionError as err:
        return {
            "status": "error",
            "transient": False,
            "cell": err.exec_count,
            "cell_index": err.cell_index,
            "ename": err.ename,
            "evalue": err.evalue,
        }
    except DeadKernelError as err:
        ename = "DeadKernelError"
        return {"status": "error", "transient": True, "ename": ename, "evalue": str(err)}
    except (RuntimeError, TimeoutError) as err:
        # nbclient: "Kernel didn't respond in N seconds" / "Kernel died before replying".
        transient = "kernel" in str(err).lower()
        return {
            "status": "error",
            "transient": transient,
            "ename": type(err).__name__,
            "evalue": str(err),
        }
    return {"status": "ok"}


def wait_for_job(path: Path) -> dict[str, Any] | None:
    """The job once the runner writes it (atomically); None if the runner went away."""
    parent = os.getppid()
    while not path.exists():
        if os.getppid() != parent:  # orphaned: nobody will give us a job
            return None
        time.sleep(JOB_POLL_S)
    job: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return job


def run_in_session(slot_path: str, log_path: str, env: dict[str, str]) -> None:
    """Become a session leader (the step's own process group, which the runner kills on
    timeout), take the step's environment (run token: every kernel inherits it) and log,
    then serve the slot."""
    os.setsid()
    os.environ.update(env)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    main([slot_path])


def main(argv: list[str]) -> int:
    """Start the slot's kernel, wait for its job, run it, write the result."""
    prepare_process()  # before nbformat loads
    from jupyter_client.utils import run_sync

    slot_path = Path(argv[0])
    slot = json.loads(slot_path.read_text("utf-8"))
    job_path = Path(slot.get("job", slot_path))
    km = None
    try:
        km = start_kernel(slot)
    except (RuntimeError, OSError, KeyError) as err:  # NoSuchKernel is a KeyError; retried
        transient = not isinstance(err, KeyError)  # an unknown kernel name stays unknown
        failed = {"status": "error", "transient": transient, "ename": type(err).__name__}
        result = failed | {"evalue": f"kernel did not start: {err}"}
    try:
        job = wait_for_job(job_path)
        if job is None:
            return 1
        if km is not None:
            result = execute(job, km)
        write_atomic(job_path.with_suffix(".result.json"), json.dumps(result))
    finally:
        if km is not None and run_sync(km.is_alive)():
            run_sync(km.shutdown_kernel)(now=False)  # graceful, as nbclient: atexit runs
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

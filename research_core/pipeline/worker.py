"""Execute one step notebook with papermill; run by the runner as its own process group.

The runner forks :func:`run_in_session` from a fork server that has already imported
papermill, nbformat and this module (``pipeline.forkserver``: about 1 s a step saved); ``python -m
research_core.pipeline.worker JOB.json`` does the same from a shell. The worker reads the
job (input, output, parameters, kernel, guard file), executes, and writes
``JOB.result.json``: ``ok``, or the failing cell with exception type and message, and
whether the failure was transient (kernel died or never started), which the runner may
retry.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from research_core.pipeline.guard import END_SOURCE, GUARD_TAG, cell_source
from research_core.runs import write_atomic
from research_core.startup import KERNEL_EXEC, prepare_process


def execute(job: dict[str, Any]) -> dict[str, Any]:
    """Run the notebook described by ``job``; never raises, returns the outcome. Imports
    papermill here (the fork server has it loaded: ``pipeline.forkserver``)."""
    prepare_process()  # before nbformat loads
    import nbformat
    import papermill
    from nbclient.exceptions import DeadKernelError
    from papermill.exceptions import PapermillExecutionError

    nb = nbformat.read(job["input"], as_version=4)
    guard = nbformat.v4.new_code_cell(cell_source(Path(job["guard_file"])))
    guard.metadata["tags"] = [GUARD_TAG]
    nb.cells.insert(0, guard)
    end = nbformat.v4.new_code_cell(END_SOURCE)  # what the guard records after it is teardown
    end.metadata["tags"] = [GUARD_TAG]
    nb.cells.append(end)
    try:
        papermill.execute_notebook(
            nb,
            job["output"],
            parameters=job["parameters"],
            kernel_name=job["kernel"],
            progress_bar=False,
            start_timeout=job["start_timeout"],
            cwd=job["cwd"],
            extra_arguments=[f"--IPKernelApp.exec_lines={KERNEL_EXEC}"],  # first in the kernel
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


def run_in_session(job_path: str, log_path: str, env: dict[str, str]) -> None:
    """Become a session leader (the step's own process group, which the runner kills on
    timeout), take the step's environment (run token: every kernel inherits it) and log,
    then run the job."""
    os.setsid()
    os.environ.update(env)
    fd = os.open(log_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    os.dup2(fd, 1)
    os.dup2(fd, 2)
    os.close(fd)
    main([job_path])


def main(argv: list[str]) -> int:
    job_path = Path(argv[0])
    job = json.loads(job_path.read_text("utf-8"))
    result = execute(job)
    write_atomic(job_path.with_suffix(".result.json"), json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

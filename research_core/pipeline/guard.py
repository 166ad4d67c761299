"""Errors a notebook would lose: installed in the kernel by the runner's first cell.

An exception raised in a thread, an unraisable exception, or a record logged at ERROR
never becomes an error output in papermill; the hooks below append each one as a JSON
line to a file the runner reads after the step, failing the step if it is not empty.

Except the kernel's own messaging: a ZeroMQ error (``zmq.error.ZMQBaseError``) is the
transport between kernel and runner, never the step's work. The runner's last cell
(:data:`END_SOURCE`) marks the cells done; a ZeroMQ error after it is the kernel shutting
down (e.g. tornado's "Exception in callback ... ZMQError: Socket operation on non-socket",
more likely on a loaded machine) and is ignored; one while cells run is transient, and the
step is retried. See :func:`judge`.
"""

from __future__ import annotations

import atexit
import json
import logging
import os
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

GUARD_TAG = "injected-guard"
END_SOURCE = "from research_core.pipeline.guard import finished\nfinished()"
"""The last cell the runner injects: every cell of the step has run."""

_phase = ["run"]  # "teardown" once the last cell has run


def finished() -> None:
    """Mark the step's cells done: what the hooks record from now on is the kernel's
    shutdown."""
    _phase[0] = "teardown"


def exit_after_handlers() -> None:
    """Make the kernel's exit quick: once the exit handlers registered after this call have
    run (the step's, the guard's, those of the modules it imported), flush the standard
    streams and end the process, skipping the interpreter's teardown of every module.
    With pandas, scipy and plotly loaded that teardown outlasted jupyter_client's 2.5 s
    grace on a busy machine, so the kernel was sent SIGTERM (its own exit handlers never
    ran) and every step waited ~3 s for it. Called first in the step kernel
    (``worker.kernel_exec``); exit handlers run last-registered first."""

    def end() -> None:
        for stream in (sys.__stdout__, sys.__stderr__):
            if stream is not None:
                stream.flush()
        os._exit(0)

    atexit.register(end)


def _transport(exc_type: object) -> bool:
    """Whether ``exc_type`` is a ZeroMQ error (pyzmq is loaded in every kernel)."""
    base = getattr(sys.modules.get("zmq.error"), "ZMQBaseError", None)
    return isinstance(exc_type, type) and base is not None and issubclass(exc_type, base)


def _append(path: Path, kind: str, exc_type: object, ename: str, evalue: str, tb: str) -> None:
    record = {"kind": kind, "ename": ename, "evalue": evalue, "traceback": tb}
    line = json.dumps({**record, "phase": _phase[0], "transport": _transport(exc_type)})
    with path.open("a", encoding="utf-8") as f:
        f.write(line + "\n")


class _ErrorFileHandler(logging.Handler):
    def __init__(self, path: Path) -> None:
        super().__init__(level=logging.ERROR)
        self.path = path

    def emit(self, record: logging.LogRecord) -> None:
        exc = record.exc_info
        ename = exc[0].__name__ if exc and exc[0] else f"logging.{record.levelname}"
        tb = "".join(traceback.format_exception(*exc)) if exc and exc[0] else ""
        evalue = f"{record.name}: {record.getMessage()}"
        _append(self.path, "logging", exc[0] if exc else None, ename, evalue, tb)


def install(path: str) -> None:
    """Route thread exceptions, unraisable exceptions and ERROR logs to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        tb = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        who = args.thread.name if args.thread else "?"
        evalue = f"in thread {who}: {args.exc_value}"
        _append(target, "thread", args.exc_type, args.exc_type.__name__, evalue, tb)

    def unraisable_hook(args: Any) -> None:
        exc_type = args.exc_type
        tb = "".join(traceback.format_exception(exc_type, args.exc_value, args.exc_traceback))
        _append(target, "unraisable", exc_type, exc_type.__name__, str(args.exc_value), tb)

    threading.excepthook = thread_hook
    sys.unraisablehook = unraisable_hook
    logging.getLogger().addHandler(_ErrorFileHandler(target))


def cell_source(path: Path) -> str:
    """The first cell the runner injects into every step notebook."""
    return f"from research_core.pipeline.guard import install\ninstall({str(path)!r})"


def read_errors(path: Path) -> list[dict[str, Any]]:
    """The errors the hooks recorded (empty when none, or the file does not exist). A last
    line without its newline was cut short by a kernel killed mid-write: left out."""
    if not path.exists():
        return []
    lines = path.read_text("utf-8", errors="replace").split("\n")[:-1]
    return [json.loads(line) for line in lines if line.strip()]


def judge(records: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(errors that fail the step, ZeroMQ errors while cells ran: transient, retry it).

    ZeroMQ errors recorded after the last cell (the kernel shutting down) are in neither:
    the file keeps them for whoever looks.
    """
    transport = [r for r in records if r.get("transport")]
    failing = [r for r in records if not r.get("transport")]
    return failing, [r for r in transport if r.get("phase") != "teardown"]

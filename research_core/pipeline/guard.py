"""Errors a notebook would lose: installed in the kernel by the runner's first cell.

An exception raised in a thread, an unraisable exception, or a record logged at ERROR
never becomes an error output in papermill; the hooks below append each one as a JSON
line to a file the runner reads after the step, failing the step if it is not empty.
"""

from __future__ import annotations

import json
import logging
import sys
import threading
import traceback
from pathlib import Path
from typing import Any

GUARD_TAG = "injected-guard"


def _append(path: Path, kind: str, ename: str, evalue: str, tb: str) -> None:
    line = json.dumps({"kind": kind, "ename": ename, "evalue": evalue, "traceback": tb})
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
        _append(self.path, "logging", ename, f"{record.name}: {record.getMessage()}", tb)


def install(path: str) -> None:
    """Route thread exceptions, unraisable exceptions and ERROR logs to ``path``."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        tb = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
        who = args.thread.name if args.thread else "?"
        _append(target, "thread", args.exc_type.__name__, f"in thread {who}: {args.exc_value}", tb)

    def unraisable_hook(args: Any) -> None:
        exc_type = args.exc_type
        tb = "".join(traceback.format_exception(exc_type, args.exc_value, args.exc_traceback))
        _append(target, "unraisable", exc_type.__name__, str(args.exc_value), tb)

    threading.excepthook = thread_hook
    sys.unraisablehook = unraisable_hook
    logging.getLogger().addHandler(_ErrorFileHandler(target))


def cell_source(path: Path) -> str:
    """The first cell the runner injects into every step notebook."""
    return f"from research_core.pipeline.guard import install\ninstall({str(path)!r})"


def read_errors(path: Path) -> list[dict[str, str]]:
    """The errors the hooks recorded (empty when none, or the file does not exist)."""
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]

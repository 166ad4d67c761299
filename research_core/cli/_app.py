"""The ``workbench`` parser, built from one ``register(sub)`` per command module, and the
entry point."""

from __future__ import annotations

import argparse
import gc
import os
import sys
from collections.abc import Sequence
from importlib import import_module

from research_core.cli._edge import check_dates, check_numbers, is_settings_error, one_line
from research_core.errors import WorkbenchError

# The command modules (research_core.cli.NAME), in the order `workbench --help` lists
# them, with the commands each registers: a process running one command imports and
# builds only its module (a test checks this table against what each module registers).
GROUPS: dict[str, tuple[str, ...]] = {
    "lake": ("ingest", "lake", "sample-lake"),
    "agents": ("agents",),
    "backtest": ("backtest",),
    "book": ("book",),
    "pms": ("pms",),
    "limits": ("limits",),
    "audit": ("audit",),
    "tone": ("tone",),
    "curves": ("curves",),
    "health": ("health",),
    "serve": ("serve",),
    "users": ("users",),
    "alerts": ("alerts",),
    "pipeline": ("pipeline",),
    "calendar": ("calendar",),
    "operations": ("backup", "doctor", "restore"),
}
DESCRIPTION = "The ``workbench`` command: build the sample lake, inspect and maintain the lake."


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI): every command, or only the
    module that registers ``command`` when it is one (anything else: every command, for
    ``--help`` and the usage error)."""
    parser = argparse.ArgumentParser(prog="workbench", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)
    known = any(command in commands for commands in GROUPS.values())
    for name, commands in GROUPS.items():
        if not known or command in commands:
            import_module(f"research_core.cli.{name}").register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point (``argv`` None: the ``workbench`` process itself, see :func:`_settle`).
    A WorkbenchError, an OSError such as permission denied or a full disk,
    or a bad ``WORKBENCH_*`` setting prints ONE line ``workbench: error: ...`` on stderr
    and exits 2 (``WORKBENCH_DEBUG=1`` shows the traceback); anything else is a bug and
    shows its traceback.
    """
    process = argv is None
    try:
        return _command(argv, process)
    finally:
        if process:
            gc.freeze()  # see _settle: the teardown no longer walks the heap either


def _settle(process: bool) -> None:
    """In the ``workbench`` process (not an in-process caller, which keeps its collector):
    move the objects made so far (pandas', pyarrow's and the lake's modules, imported by
    the edge checks) to the collector's permanent generation, so each full collection while
    the command runs, and the interpreter's teardown at exit (frozen again there), do not
    walk them again and again looking for cycles: 0.3-0.4 s CPU of a 1.5 s ``pms replay``.
    Objects are still freed by their reference counts; a cycle among them is kept to the
    end of the process, as a module is."""
    if process:
        gc.freeze()


def _command(argv: Sequence[str] | None, process: bool) -> int:
    given = sys.argv[1:] if argv is None else list(argv)
    args = build_parser(given[0] if given else None).parse_args(given)
    from research_core.startup import prepare_process

    prepare_process()  # after parsing: --help and usage errors stay light
    try:
        check_dates(args)
        check_numbers(args)
        _settle(process)
        return int(args.func(args))
    except Exception as err:
        if not isinstance(err, WorkbenchError | OSError) and not is_settings_error(err):
            raise  # a bug: its traceback
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        print(f"workbench: error: {one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130

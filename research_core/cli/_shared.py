"""What the command modules share: the common flags (declared once, given to a command as
argparse parent parsers), opening the lake, printing a table, and warnings as lines."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from research_core.errors import WorkbenchWarning

if TYPE_CHECKING:  # the heavy imports wait for a command: `--help` stays fast
    import pandas as pd

    from research_core.lake import Lake

Command = Callable[[argparse.Namespace], int]

FLAGS: dict[str, dict[str, Any]] = {  # the flags many commands take, each declared here once
    "--path": {"help": "lake path (default: WORKBENCH_LAKE_PATH)"},
    "--as-of": {"help": "date (YYYY-MM-DD)"},
    "--db": {"help": "PMS database URL (default: WORKBENCH_DB_URL)"},
    "--db-url": {"help": "PMS database URL (default: WORKBENCH_DB_URL)"},
    "--runs": {"help": "runs folder (default: WORKBENCH_RUNS_PATH)"},
    "--user": {"help": "who acts (recorded in the journal and audit log)"},
    "--quiet": {"action": "store_true", "help": "no progress bar"},
    "--replay": {
        "nargs": "+",
        "metavar": "DIR",
        "help": "answer from these folders of stored responses (a local replay server)",
    },
}
AS_OF_EOD = "date (YYYY-MM-DD), end of day in the lake's zone"


def shared(
    *flags: str, required: Iterable[str] = (), **helps: str
) -> list[argparse.ArgumentParser]:
    """``parents=`` for ``add_parser``: the shared ``flags``; those in ``required`` must be
    given; ``helps`` (by dest, e.g. ``as_of=...``) says what a flag means for this command."""
    must = set(required)
    parent = argparse.ArgumentParser(add_help=False)
    for flag in flags:
        spec = dict(FLAGS[flag])
        dest = flag.lstrip("-").replace("-", "_")
        spec["help"] = helps.get(dest, spec["help"])
        if flag in must:
            spec["required"] = True
        parent.add_argument(flag, **spec)
    return [parent]


def group(sub: Any, name: str, text: str) -> Any:
    """The command group ``workbench NAME ...``: its subcommands (dest ``NAME_command``)."""
    parser = sub.add_parser(name, help=text)
    return parser.add_subparsers(dest=f"{name}_command", required=True)


def command(
    cmds: Any, name: str, func: Command, text: str, *flags: str, **options: Any
) -> argparse.ArgumentParser:
    """The subcommand ``NAME`` of ``cmds`` running ``func``, with the shared ``flags``
    (``options``: :func:`shared`'s ``required`` and helps)."""
    p: argparse.ArgumentParser = cmds.add_parser(name, parents=shared(*flags, **options), help=text)
    p.set_defaults(func=func)
    return p


def get_settings() -> Any:
    from research_core.config import get_settings as settings

    return settings()


def open_lake(path: str | Path | None, *, create: bool | Literal["on_write"] = False) -> Lake:
    from research_core.lake import Lake

    return Lake.open(path, create=create)


def print_frame(frame: pd.DataFrame) -> None:
    """A table in full width, or ``(none)``."""
    import pandas as pd

    if frame.empty:
        print("(none)")
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            print(frame.to_string())


def warned(func: Command) -> Command:
    """Run a command printing each workbench warning (soft limits, stale quotes) as one
    ``workbench: warning: ...`` line on stderr; other warnings show as usual."""

    def run(args: argparse.Namespace) -> int:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = func(args)
        for w in caught:
            if issubclass(w.category, WorkbenchWarning):
                print(f"workbench: warning: {w.message}", file=sys.stderr)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        return code

    return run


def pms_engine(args: argparse.Namespace) -> Any:
    """The PMS database's engine (``--db``); the schema must be current: ``pms init``."""
    from research_core.pms.system import PMS

    return PMS.open(args.db, create=False).engine

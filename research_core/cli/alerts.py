"""``workbench alerts list|ack|raise``: the day's alerts stored in the PMS (``research_core/
alerts``). ``ack`` records who acknowledged (the served user, else the OS user; audited);
``raise`` reads a run folder, stores its alerts and sends what is pending (e.g. after a
failed run, from cron: ``workbench pipeline run ... || workbench alerts raise --as-of D``).
"""

from __future__ import annotations

import argparse
from typing import Any

from research_core.cli._shared import command, group, pms_engine
from research_core.errors import WorkbenchError

MAX_ID = 2**63 - 1  # database ids are signed 64-bit


def _list(args: argparse.Namespace) -> int:
    from research_core.alerts import list_alerts

    frame = list_alerts(pms_engine(args), day=args.day, open_only=not args.all)
    shown = frame.drop(columns=["numbers", "created_at", "kind"])
    empty = "(no alerts)" if args.all else "(no open alerts)"
    print(empty if frame.empty else shown.to_string(index=False))
    return 0


def _ack(args: argparse.Namespace) -> int:
    from research_core.alerts import acknowledge

    if not 1 <= args.id <= MAX_ID:
        raise WorkbenchError(f"alert id {args.id}: must be a whole number from 1 to {MAX_ID:,}")
    row = acknowledge(pms_engine(args), args.id)
    print(f"alert {row.id} ({row.subject}, {row.day}) acknowledged by {row.acknowledged_by}")
    return 0


def _raise(args: argparse.Namespace) -> int:
    from research_core.alerts import raise_alerts
    from research_core.runs import RunFolder

    run = RunFolder(args.as_of, runs_path=args.runs)
    if not run.exists:
        raise WorkbenchError(f"no pipeline run of {args.as_of} at {run.path}")
    steps = run.manifest.steps
    deadlines = {r["name"]: float(r["deadline_s"]) for r in steps if r.get("deadline_s")}
    print(raise_alerts(run.path, pms_engine(args), deadlines=deadlines, write=False).summary())
    return 0


def register(sub: Any) -> None:
    """Add the ``alerts`` group."""
    cmds = group(sub, "alerts", "the day's alerts: list, acknowledge, raise and send")
    p = command(cmds, "list", _list, "open alerts (--all: acknowledged ones too)", "--db")
    p.add_argument("--day", help="only this day (YYYY-MM-DD)")
    p.add_argument("--all", action="store_true", help="acknowledged alerts too")
    p = command(cmds, "ack", _ack, "acknowledge an alert (recorded with your user name)", "--db")
    p.add_argument("id", type=int, help="the alert's id (see `workbench alerts list`)")
    text = "raise a run's alerts and send what is pending"
    flags = ("--db", "--as-of", "--runs")
    run_day = "the run's date (YYYY-MM-DD)"
    command(cmds, "raise", _raise, text, *flags, required=["--as-of"], as_of=run_day)

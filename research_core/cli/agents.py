"""``workbench agents run``: the analytical agents at one date or over a range."""

from __future__ import annotations

import argparse
from typing import Any

from research_core.cli._shared import command, group, open_lake
from research_core.errors import WorkbenchError


def _cmd_agents_run(args: argparse.Namespace) -> int:
    from research_core.agents import run_agents

    lake = open_lake(args.path)
    if args.as_of and (args.start or args.end):
        raise WorkbenchError("give either --as-of or --start/--end, not both")
    if args.as_of:
        from research_core.agents.store import stored_reports

        with stored_reports(lake):
            reports = list(run_agents(lake.at(args.as_of), args.agent).values())
        for r in reports:
            print(r.summary(), end="\n\n")
    elif args.start:
        import pandas as pd

        from research_core.agents.history import as_of_dates, run_history

        end = args.end or str(pd.Timestamp.now(lake.tz).date())
        dates = as_of_dates(args.start, end, args.freq)
        reports = run_history(lake, dates, args.agent, progress=not args.quiet)
        span = f"{dates[0].date()} to {dates[-1].date()}"
        print(f"{len(reports)} reports for {len(dates)} dates ({span})")
    else:
        raise WorkbenchError("give --as-of DATE, or --start DATE [--end DATE] [--freq M|W|Q]")
    if not args.no_write:
        from research_core.agents.history import artifacts_dir, write_reports

        print(f"written to {write_reports(reports, artifacts_dir(lake), tz=lake.tz)}")
    return 0


def register(sub: Any) -> None:
    """Add the ``agents`` group."""
    cmds = group(sub, "agents", "the analytical agents")
    text = "run agents at one date or over a range; store reports"
    one_day = "one as-of date (prints the reports)"
    p = command(cmds, "run", _cmd_agents_run, text, "--path", "--as-of", "--quiet", as_of=one_day)
    p.add_argument("--start", help="first date of a history run")
    p.add_argument("--end", help="last date of a history run (default: today)")
    p.add_argument("--freq", default="M", choices=["M", "W", "Q"], help="history step")
    p.add_argument("--agent", nargs="+", help="only these agents (and what they depend on)")
    p.add_argument("--no-write", action="store_true", help="do not store the reports")

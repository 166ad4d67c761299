"""``workbench health --as-of D``: GREEN/AMBER/RED health card per strategy and the book;
the work in :mod:`research_core.health.report` (imported only when the command runs)."""

from __future__ import annotations

import argparse
import time
from typing import Any

from research_core.cli._shared import shared


def _run(args: argparse.Namespace) -> int:
    """Print the cards and store them (artifact files and the lake's HEALTH.* series)."""
    from research_core._files import check_output_folder, user_output
    from research_core.config import get_settings
    from research_core.health.drift import live_returns
    from research_core.health.report import health_report, write_health
    from research_core.lake import Lake

    if args.out is not None:  # refuse a folder that is not ours before the work
        check_output_folder(user_output(args.out, "--out"))
    t0 = time.perf_counter()
    lake = Lake.open(args.path or get_settings().lake_path)
    live = None
    if args.db_url:
        from research_core.pms import PMS

        pms = PMS.open(args.db_url, lake=lake, create=False)
        live = live_returns(pms.pnl_history(), pms.nav_history())
    report = health_report(lake, args.as_of, live=live)
    print(report.summary())
    if not args.no_write:
        print(f"cards written to {write_health(report, lake, args.out)}")
    print(f"({time.perf_counter() - t0:.1f} s)")
    return 0


def register(sub: Any) -> None:
    """Add ``health``."""
    live = "PMS database for live P&L (default: backtests only)"
    flags = shared("--as-of", "--path", "--db-url", required=["--as-of"], db_url=live)
    text = "GREEN/AMBER/RED health card per strategy and the book"
    p = sub.add_parser("health", parents=flags, help=text)
    p.add_argument("--out", help="folder (default: <workspace>/health/<as-of>)")
    p.add_argument("--no-write", action="store_true", help="print the cards; store nothing")
    p.set_defaults(func=_run)

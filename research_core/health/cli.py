"""``workbench health --as-of D``: arguments here, the work in :mod:`.report` (imported
only when the command runs, so the CLI starts fast)."""

from __future__ import annotations

import argparse
import time


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--as-of", required=True, help="date (YYYY-MM-DD)")
    p.add_argument("--path", help="lake path (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--db-url", help="PMS database for live P&L (default: backtests only)")
    p.add_argument("--out", help="folder (default: <workspace>/health/<as-of>)")
    p.add_argument("--no-write", action="store_true", help="print the cards; store nothing")


def run(args: argparse.Namespace) -> int:
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

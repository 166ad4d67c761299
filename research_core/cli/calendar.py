"""``workbench calendar --from D --to D [--country ...]``: scheduled Brazil/US releases and
rate decisions (:mod:`research_core.events`)."""

from __future__ import annotations

import argparse
from typing import Any

from research_core.cli._shared import get_settings
from research_core.errors import AsOfError


def _cmd_calendar(args: argparse.Namespace) -> int:
    from research_core.events import COUNTRIES, calendar_table
    from research_core.lake.asof import as_of_instant

    tz = get_settings().timezone
    days = {}
    for flag in ("from", "to"):
        text = getattr(args, f"{flag}_day")
        try:
            days[flag] = as_of_instant(text, tz)
        except AsOfError as err:
            raise AsOfError(f"--{flag}: {err}") from err
    if days["from"] > days["to"]:
        raise AsOfError(f"--from {args.from_day} is after --to {args.to_day}")
    countries = tuple(args.country) if args.country else COUNTRIES
    print(calendar_table(args.from_day, args.to_day, countries=countries))
    return 0


def register(sub: Any) -> None:
    """Add ``calendar``."""
    p = sub.add_parser("calendar", help="scheduled Brazil/US releases and rate decisions")
    p.add_argument("--from", dest="from_day", required=True, help="first day (YYYY-MM-DD)")
    p.add_argument("--to", dest="to_day", required=True, help="last day (YYYY-MM-DD)")
    p.add_argument("--country", nargs="+", choices=["BR", "US"], help="default: BR and US")
    p.set_defaults(func=_cmd_calendar)

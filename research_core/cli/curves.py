"""``workbench curves --as-of D``: the DI curve, the Copom path it prices against Focus, and
the breakevens, from the lake as known at D."""

from __future__ import annotations

import argparse
from typing import Any

from research_core.cli._shared import shared


def _run(args: argparse.Namespace) -> int:
    from research_core.curves.report import curves_report
    from research_core.lake import Lake

    lake = Lake.open(args.path)
    print(curves_report(lake.at(args.as_of)).text())
    return 0


def register(sub: Any) -> None:
    """Add ``curves``."""
    p = sub.add_parser(
        "curves",
        parents=shared(
            "--as-of",
            "--path",
            required=["--as-of"],
            as_of="date (YYYY-MM-DD), end of day in the lake's zone",
        ),
        help="DI curve, the Copom path it prices vs Focus, breakevens (%% a.a., bp)",
    )
    p.set_defaults(func=_run)

"""``workbench curves --as-of D``: the DI curve, the Copom path it prices against Focus, and
the breakevens, from the lake as known at D (registered by ``research_core.cli``)."""

from __future__ import annotations

import argparse
from typing import Any


def _run(args: argparse.Namespace) -> int:
    from research_core.curves.report import curves_report
    from research_core.lake import Lake

    lake = Lake.open(args.path)
    print(curves_report(lake.at(args.as_of)).text())
    return 0


def register(sub: Any) -> None:
    p = sub.add_parser(
        "curves", help="DI curve, the Copom path it prices vs Focus, breakevens (% a.a., bp)"
    )
    p.add_argument(
        "--as-of", required=True, help="date (YYYY-MM-DD), end of day in the lake's zone"
    )
    p.add_argument("--path", help="lake path (default: WORKBENCH_LAKE_PATH)")
    p.set_defaults(func=_run)

"""``workbench curves --as-of D``: the DI curve, the Copom path it prices against Focus, and
the breakevens, from the lake as known at D."""

from __future__ import annotations

import argparse
from typing import Any

from research_core.cli._shared import AS_OF_EOD, shared


def _run(args: argparse.Namespace) -> int:
    from research_core.curves.report import curves_report
    from research_core.lake import Lake

    lake = Lake.open(args.path)
    print(curves_report(lake.at(args.as_of)).text())
    return 0


def register(sub: Any) -> None:
    """Add ``curves``."""
    flags = shared("--as-of", "--path", required=["--as-of"], as_of=AS_OF_EOD)
    text = "DI curve, the Copom path it prices vs Focus, breakevens (%% a.a., bp)"
    sub.add_parser("curves", parents=flags, help=text).set_defaults(func=_run)

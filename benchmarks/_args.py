"""Command-line options the benchmark scripts share: the lake and its span, and plain
typed options given by their defaults."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any

SAMPLE_END = "2026-10-30"  # the sample lake's last date


def lake_parser(doc: str | None, start: str, end: str = SAMPLE_END) -> argparse.ArgumentParser:
    """``--lake`` (default: ``WORKBENCH_LAKE_PATH``), ``--start`` and ``--end``; the
    description is the first line of ``doc``."""
    p = argparse.ArgumentParser(description=(doc or "").splitlines()[0])
    p.add_argument("--lake", help="lake directory (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--start", default=start)
    p.add_argument("--end", default=end)
    return p


def open_lake(path: str | None) -> Any:
    """The lake at ``path``, or the configured one."""
    from research_core.config import get_settings
    from research_core.lake import Lake

    return Lake.open(path or get_settings().lake_path)


def options(doc: str | None, argv: Sequence[str] | None, **defaults: Any) -> argparse.Namespace:
    """``--name`` for each keyword (underscores as dashes), typed as its default."""
    p = argparse.ArgumentParser(description=doc)
    for name, default in defaults.items():
        p.add_argument(f"--{name.replace('_', '-')}", type=type(default), default=default)
    return p.parse_args(argv)

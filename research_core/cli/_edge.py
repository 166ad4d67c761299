"""The edge of every command: dates and numbers checked before any work, and every
expected failure as one line without secrets."""

from __future__ import annotations

import argparse
import math
import sys
from typing import TYPE_CHECKING

from research_core.cli._shared import get_settings
from research_core.errors import AsOfError, WorkbenchError

if TYPE_CHECKING:
    import pandas as pd

DATE_FLAGS = ("as_of", "start", "end", "since")


def check_dates(args: argparse.Namespace) -> None:
    """Parse every date flag given (``--as-of/--start/--end/--since``) with the lake's rules;
    a bad one, or ``--start`` after ``--end``, is a one-line error naming the flag."""
    from research_core.lake.asof import as_of_instant

    tz = get_settings().timezone
    seen: dict[str, pd.Timestamp] = {}
    for name in DATE_FLAGS:
        value = getattr(args, name, None)
        if value is None:
            continue
        try:
            seen[name] = as_of_instant(value, tz)
        except AsOfError as err:
            raise AsOfError(f"--{name.replace('_', '-')}: {err}") from err
    if "start" in seen and "end" in seen and seen["start"] > seen["end"]:
        raise AsOfError(f"--start {args.start} is after --end {args.end}")


NUMBER_FLAGS: dict[str, tuple[float, float, bool]] = {
    # flag (argparse dest): (lowest, highest, whole numbers only), both ends allowed
    "seed": (0, 2**32 - 1, True),  # numpy's seeds
    "workers": (1, 64, True),
    "verify": (0, 10_000, True),
    "nav": (1.0, 1e13, False),  # BRL
    "capital": (1.0, 1e13, False),  # BRL
    "min_trade": (0.0, 1.0, False),  # |Δweight| as a fraction of NAV
    "proposal": (1, 2**63 - 1, True),  # database ids are signed 64-bit
    "decision": (1, 2**63 - 1, True),
    "price": (-1e6, 1e9, False),  # a quote: a yield (may be negative), a spread or a price
    "port": (1, 65_535, True),
    "timeout": (1, 86_400, True),  # seconds
    "pool_size": (0, 64, True),
    "refill_delay": (0.0, 3_600.0, False),  # seconds
}


def check_numbers(args: argparse.Namespace) -> None:
    """Every numeric flag given must be finite and within its range (:data:`NUMBER_FLAGS`);
    otherwise a one-line error names the flag, before any work."""
    for name, (low, high, whole) in NUMBER_FLAGS.items():
        value = getattr(args, name, None)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        flag = name if name in ("proposal", "decision") else "--" + name.replace("_", "-")
        if not (math.isfinite(value) and low <= value <= high):
            span = f"from {low:,} to {high:,}" if whole else f"from {low:,g} to {high:,g}"
            raise WorkbenchError(f"{flag} {value}: must be a {'whole ' * whole}number {span}")


def one_line(err: BaseException) -> str:
    """``err`` as one line without secrets: an OSError names its path; newlines become '; '."""
    import pydantic

    from research_core._secrets import redact, register_settings_secrets

    if isinstance(err, OSError) and err.filename is not None:
        where = f"{err.filename} -> {err.filename2}" if err.filename2 else str(err.filename)
        text = f"{err.strerror or type(err).__name__}: {where}"
    elif is_settings_error(err):  # a bad WORKBENCH_* variable
        assert isinstance(err, pydantic.ValidationError)
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        text = f"{err.title} {where}: {first['msg']} (got {first['input']!r})"
        return redact(text)
    else:
        text = str(err) or type(err).__name__
    register_settings_secrets(get_settings())
    return redact("; ".join(part.strip() for part in text.splitlines() if part.strip()))


def is_settings_error(err: BaseException) -> bool:
    """A pydantic validation error (a bad ``WORKBENCH_*`` variable), without importing
    pydantic when nothing could have raised one."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(err, pydantic.ValidationError)

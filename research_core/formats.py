"""One number format for everything people read: the Morning Pack, the pages and the CLI.

% of NAV with two decimals, bp for rates and spreads, BRL mn / USD mn for money,
contracts and currency for sizes, the time zone on every time, labels in words — never a
tuple, a bare fraction where a % is meant, or scientific notation. Pure Python at module
top (pandas only inside functions), so the CLI can import it cheaply.
"""

from __future__ import annotations

import math
from typing import Any

DASH = "–"
MINUS = "-"  # ASCII: tables are copied into spreadsheets and parsed by readers


def _missing(x: object) -> bool:
    if x is None:
        return True
    try:
        return math.isnan(float(x))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return type(x).__name__ in ("NAType", "NaTType")  # pandas' missing markers


def number(x: float | None, digits: int = 2, *, signed: bool = False) -> str:
    """``1206000000.0`` → ``1,206,000,000.00``: thousands separators, fixed decimals, never
    scientific notation; ``–`` for a missing value; ``+`` on positive values if ``signed``."""
    if _missing(x):
        return DASH
    value = round(float(x), digits)  # type: ignore[arg-type]
    if value == 0:
        value = 0.0  # no "−0.00"
    sign = MINUS if value < 0 else ("+" if signed and value > 0 else "")
    return f"{sign}{abs(value):,.{digits}f}"


def auto(x: float | None, *, signed: bool = False) -> str:
    """A number of unknown unit: as many decimals as its size needs (four below 1, two
    below 1,000, none above), never scientific notation."""
    if _missing(x):
        return DASH
    size = abs(float(x))  # type: ignore[arg-type]
    digits = 0 if size >= 1000 else 2 if size >= 1 else 4
    return number(x, digits, signed=signed)


def pct(fraction: float | None, digits: int = 2, *, signed: bool = False) -> str:
    """A fraction as a percentage: ``0.0075`` → ``0.75%`` (% of NAV: two decimals)."""
    if _missing(fraction):
        return DASH
    return number(float(fraction) * 100, digits, signed=signed) + "%"  # type: ignore[arg-type]


def pct_nav(fraction: float | None, *, signed: bool = False) -> str:
    """``0.0075`` → ``0.75% of NAV``."""
    text = pct(fraction, 2, signed=signed)
    return text if text == DASH else f"{text} of NAV"


def points(value: float | None, digits: int = 2, *, signed: bool = False) -> str:
    """A value already in percent (a rate, a yield): ``14.25`` → ``14.25%``."""
    if _missing(value):
        return DASH
    return number(value, digits, signed=signed) + "%"


def bp(value: float | None, *, signed: bool = True, digits: int = 0) -> str:
    """A value already in basis points: ``-12.4`` → ``−12 bp``."""
    if _missing(value):
        return DASH
    return number(value, digits, signed=signed) + " bp"


def money(x: float | None, currency: str = "BRL", *, signed: bool = False) -> str:
    """Money in millions of its currency: ``1_206_000_000`` → ``BRL 1,206.0 mn``."""
    if _missing(x):
        return DASH
    return f"{currency} {number(float(x) / 1e6, 1, signed=signed)} mn"  # type: ignore[arg-type]


def size(x: float | None, currency: str, contracts: float | None = None) -> str:
    """A trade or position size: ``USD 30.0 mn`` or ``BRL 200.0 mn (41 contracts)``."""
    text = money(x, currency)
    if not _missing(contracts):
        text += f" ({number(contracts, 0)} contracts)"
    return text


def z(value: float | None) -> str:
    """A z-score: ``-1.876`` → ``z −1.88``."""
    return DASH if _missing(value) else f"z {number(value, 2, signed=True)}"


def when(stamp: Any, tz: str | None = None) -> str:
    """A time with its zone, in ``tz`` (default: the fund's): ``2026-11-04 21:00 -03``."""
    import pandas as pd

    from research_core.config import get_settings

    if stamp is None or (not isinstance(stamp, str) and pd.isna(stamp)):
        return DASH
    ts = pd.Timestamp(stamp)
    ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts
    return f"{ts.tz_convert(tz or get_settings().timezone):%Y-%m-%d %H:%M %Z}"


def label(key: object) -> str:
    """A table key in words: ``("historical", 0.95)`` → ``historical 95%``; ``var_brl`` →
    ``var brl``."""
    if isinstance(key, tuple):
        return " ".join(label(k) for k in key)
    if isinstance(key, float) and 0 < key < 1:
        return f"{key * 100:g}%"
    return str(key).replace("_", " ")

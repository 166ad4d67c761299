"""The catalog instrument and the USD/BRL rate a trade is sized and priced with, without
the database (``pms.positions`` uses them; a replay needs nothing else of it)."""

from __future__ import annotations

import math

from research_core.catalog import Instrument, instrument
from research_core.errors import CatalogError, TradeInputError
from research_core.lake.pit import PITView
from research_core.pnl import USDBRL, last_quote


def catalog_instrument(instrument_id: str) -> Instrument:
    """The catalog instrument, or TradeInputError naming the unknown id."""
    try:
        return instrument(instrument_id)
    except CatalogError as err:
        raise TradeInputError(f"unknown instrument {instrument_id!r}: {err}") from err


def usdbrl(view: PITView) -> float:
    """USD/BRL known at the view (BRL per USD)."""
    fx = last_quote(view, USDBRL)
    if not math.isfinite(fx) or fx <= 0:
        raise TradeInputError(f"no USD/BRL quote ({USDBRL}) at {view.as_of}")
    return fx

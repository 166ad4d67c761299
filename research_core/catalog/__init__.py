"""The shipped catalog: series (what the lake stores) and instruments (what the fund trades)."""

from research_core.catalog.catalog import (
    Instrument,
    SeriesSpec,
    instrument,
    instruments,
    series,
    series_catalog,
)

__all__ = ["Instrument", "SeriesSpec", "instrument", "instruments", "series", "series_catalog"]

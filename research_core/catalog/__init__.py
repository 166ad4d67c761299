"""The shipped catalog: series (what the lake stores) and instruments (what the fund trades)."""

from research_core.catalog.catalog import (
    CrossCheck,
    Instrument,
    SeriesSpec,
    crosschecks,
    instrument,
    instruments,
    policy_decisions,
    release_publisher,
    series,
    series_catalog,
)

__all__ = [
    "CrossCheck",
    "Instrument",
    "SeriesSpec",
    "crosschecks",
    "instrument",
    "instruments",
    "policy_decisions",
    "release_publisher",
    "series",
    "series_catalog",
]

"""Signal aggregation: agent and strategy signals → one score per instrument, with provenance."""

from research_core.signals.aggregate import (
    REGIME_INSTRUMENT,
    AggregatedSignals,
    Conflict,
    aggregate,
)
from research_core.signals.sources import (
    CollectedSignals,
    collect_signals,
    freshness_from_report,
    strategy_signals,
)

__all__ = [
    "REGIME_INSTRUMENT",
    "AggregatedSignals",
    "CollectedSignals",
    "Conflict",
    "aggregate",
    "collect_signals",
    "freshness_from_report",
    "strategy_signals",
]

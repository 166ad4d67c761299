"""Strategy health: change detection, track-record tests, implementation drift, cards,
and a meta-model that learns when to trust a strategy's next trade.

Sits between ``pms`` and ``narrative`` in the import order: it reads backtest returns
(``backtest``), live P&L (``pms``) and the trial ledger; the Morning Pack reads its cards.
Public names load on first use, so ``workbench --help`` does not import river or sklearn.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from research_core.health.card import HealthCard, HealthReport, assess
    from research_core.health.detect import Detection, detect
    from research_core.health.drift import Drift, implementation_drift, live_returns
    from research_core.health.report import health_report, stored_backtests, write_health
    from research_core.health.track import (
        TrackRecord,
        ledger_dsr,
        min_track_record,
        track_record,
    )

_WHERE = {
    "HealthCard": "card",
    "HealthReport": "card",
    "assess": "card",
    "Detection": "detect",
    "detect": "detect",
    "Drift": "drift",
    "implementation_drift": "drift",
    "live_returns": "drift",
    "health_report": "report",
    "stored_backtests": "report",
    "write_health": "report",
    "TrackRecord": "track",
    "ledger_dsr": "track",
    "min_track_record": "track",
    "track_record": "track",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(f"research_core.health.{_WHERE[name]}"), name)
    raise AttributeError(f"module 'research_core.health' has no attribute {name!r}")


__all__ = [
    "Detection",
    "Drift",
    "HealthCard",
    "HealthReport",
    "TrackRecord",
    "assess",
    "detect",
    "health_report",
    "implementation_drift",
    "ledger_dsr",
    "live_returns",
    "min_track_record",
    "stored_backtests",
    "track_record",
    "write_health",
]

"""Strategy health: change detection, track-record tests, implementation drift, cards,
and a meta-model that learns when to trust a strategy's next trade.

Sits between ``pms`` and ``narrative`` in the import order: it reads backtest returns
(``backtest``), live P&L (``pms``) and the trial ledger; the Morning Pack reads its cards.
Public names load on first use, so ``workbench --help`` does not import river or sklearn.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from research_core._lazy import lazy_exports

if TYPE_CHECKING:
    from research_core.health.card import HealthCard, HealthReport, assess
    from research_core.health.detectors import Detection, detect
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
    "Detection": "detectors",
    "detect": "detectors",
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

__getattr__ = lazy_exports(__name__, _WHERE)


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

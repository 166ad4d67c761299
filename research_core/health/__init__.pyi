"""Public names of ``research_core.health``: the one list, read by type checkers and by
``lazy_loader`` (each name imports its module on first use)."""

from .card import HealthCard as HealthCard, HealthReport as HealthReport, assess as assess
from .detectors import Detection as Detection, detect as detect
from .drift import (
    Drift as Drift,
    implementation_drift as implementation_drift,
    live_returns as live_returns,
)
from .report import (
    health_report as health_report,
    stored_backtests as stored_backtests,
    write_health as write_health,
)
from .track import (
    TrackRecord as TrackRecord,
    ledger_dsr as ledger_dsr,
    min_track_record as min_track_record,
    track_record as track_record,
)

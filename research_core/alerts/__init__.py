"""Alerts: what went wrong or needs a look today, stored in the PMS, acknowledged by a
person and pushed through e-mail and a webhook (``docs/alerts.md``).

``raise_alerts(run_dir, db_url)`` reads a pipeline run folder (``alerts.kinds``), stores
the day's alerts once per subject (``alerts.store``) and delivers them (``alerts.deliver``)
as ``alerts.yaml`` configures (``alerts.config``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from research_core.alerts.config import AlertsConfig, AlertsError, alerts_path, load_config
from research_core.alerts.deliver import DeliveryReport, attempts, deliver
from research_core.alerts.kinds import Alert, Number, alerts_from_run
from research_core.alerts.store import Clock, acknowledge, list_alerts, record, utc_now
from research_core.runs import RunFolder, write_atomic

__all__ = [
    "Alert",
    "AlertsConfig",
    "AlertsError",
    "DeliveryReport",
    "Number",
    "RaiseResult",
    "acknowledge",
    "alerts_from_run",
    "alerts_path",
    "attempts",
    "deliver",
    "list_alerts",
    "load_config",
    "raise_alerts",
    "record",
]


@dataclass(frozen=True)
class RaiseResult:
    """The day's alerts found in the run, how many were new, and the delivery pass."""

    found: int
    new: int
    delivery: DeliveryReport

    def summary(self) -> str:
        return f"{self.found} alerts today ({self.new} new); {self.delivery.summary()}"


def raise_alerts(
    run_dir: str | Path,
    db: Engine | str | None = None,
    *,
    config: AlertsConfig | None = None,
    deadlines: Mapping[str, float] | None = None,
    now: Clock = utc_now,
    write: bool = True,
) -> RaiseResult:
    """Find the run's alerts, store the new ones in the PMS (``db``: an engine or a URL,
    default ``WORKBENCH_DB_URL``), deliver what is pending; with ``write``, the day's alerts
    go to ``artifacts/alerts/alerts.json`` (the pack reads it)."""
    from research_core.pms.system import PMS

    engine = db if isinstance(db, Engine) else PMS.open(db, create=False).engine
    url = str(engine.url) if engine.dialect.name == "sqlite" else None
    cfg = config or load_config(db_url=url)
    found = alerts_from_run(run_dir, thresholds=cfg.thresholds, deadlines=deadlines)
    new = record(engine, found, now=now)
    report = deliver(engine, cfg, now=now)
    if write:
        day = RunFolder(Path(run_dir)).as_of
        frame = list_alerts(engine, day=day).astype({"day": str})
        body = json.loads(frame.to_json(orient="records", date_format="iso"))
        text = json.dumps({"as_of": day, "alerts": body, "delivery": report.summary()}, indent=1)
        write_atomic(Path(run_dir) / "artifacts" / "alerts" / "alerts.json", text)
    return RaiseResult(len(found), len(new), report)

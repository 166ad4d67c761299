"""The landing page's "Open alerts" card: the PMS's alerts nobody acknowledged yet, most
severe first (``research_core/alerts``), read live so an acknowledgement shows at once."""

from __future__ import annotations

from typing import Any

import pandas as pd

from research_core.viz import theme
from research_core.viz.pms_pages import open_pms

ROW_CLASS = {"critical": "breach", "warning": "warn", "info": "info"}  # theme.STATUS colours
SHOWN = ["id", "day", "severity", "subject", "message", "delivered", "escalated_at"]


def read_open_alerts(url: str | None = None) -> dict[str, Any]:
    """``{"alerts": frame}`` of the open alerts; None when there is no readable PMS (the
    PMS pages say why)."""
    from research_core.alerts import list_alerts

    pms, _problem = open_pms(url)
    if pms is None:
        return {"alerts": None}
    try:
        return {"alerts": list_alerts(pms.engine, open_only=True)}
    finally:
        pms.engine.dispose()


def open_alerts_card(frame: pd.DataFrame | None) -> str | None:
    """The card (None without a PMS): a row per open alert, coloured by severity."""
    if frame is None:
        return None
    if frame.empty:
        return theme.card("Open alerts", '<p class="wb-sub">no open alerts</p>')
    shown = frame[SHOWN].assign(
        day=frame["day"].astype(str),
        escalated_at=frame["escalated_at"].map(
            lambda t: "-" if pd.isna(t) else f"{t:%Y-%m-%d %H:%M}"
        ),
    )
    colors = "".join(
        f".wb-table tr.{sev} td {{ color: {theme.STATUS[cls]}; }}" for sev, cls in ROW_CLASS.items()
    )
    table = theme.table(shown, status_column="severity", index=False, name="open-alerts")
    body = f"<style>{colors}</style>{table}"
    hint = '<div class="wb-sub">acknowledge with <code>workbench alerts ack ID</code></div>'
    return theme.card(f"Open alerts ({len(frame)})", body + hint)

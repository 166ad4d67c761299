"""Connectors to the public sources; each fetches catalog series as observation rows."""

from __future__ import annotations

from typing import Any

from research_core.connectors.base import Connector, RetryPolicy
from research_core.connectors.cftc import CFTC
from research_core.connectors.fred import ALFRED, FRED
from research_core.connectors.olinda import PTAX, Focus
from research_core.connectors.sgs import SGS, FXFlow
from research_core.connectors.sidra import SIDRA
from research_core.connectors.tesouro import STN, TesouroDireto
from research_core.connectors.treasury import Treasury
from research_core.connectors.yahoo import Yahoo
from research_core.errors import ConnectorError

CONNECTORS: dict[str, type[Connector]] = {
    c.name: c
    for c in (
        SGS,
        PTAX,
        Focus,
        FRED,
        ALFRED,
        Yahoo,
        TesouroDireto,
        SIDRA,
        STN,
        CFTC,
        Treasury,
        FXFlow,
    )
}


def connector(name: str, **kwargs: Any) -> Connector:
    """A connector instance by source name; an unknown name lists the valid ones."""
    if name not in CONNECTORS:
        raise ConnectorError(name, f"no connector for this source; known: {sorted(CONNECTORS)}")
    return CONNECTORS[name](**kwargs)


__all__ = ["CONNECTORS", "Connector", "ConnectorError", "RetryPolicy", "connector"]

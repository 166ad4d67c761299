"""Small frozen types the parts of the workbench exchange."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from research_core.errors import SignalError


@dataclass(frozen=True)
class Signal:
    """A view produced by an agent or strategy, consumed by signals/ and portfolio/."""

    as_of: pd.Timestamp
    source: str
    instrument: str
    direction: int
    strength: float
    confidence: float
    horizon_days: int
    rationale: str
    weight: float | None = None
    model: str = ""  # the model behind an agent's call (two calls on one target differ by it)

    def __post_init__(self) -> None:
        if self.direction not in (-1, 0, 1):
            raise SignalError(f"Signal.direction must be -1, 0 or +1, got {self.direction!r}")
        if not 0.0 <= self.confidence <= 1.0:
            raise SignalError(f"Signal.confidence must be in [0, 1], got {self.confidence!r}")
        if self.horizon_days <= 0:
            raise SignalError(f"Signal.horizon_days must be positive, got {self.horizon_days!r}")

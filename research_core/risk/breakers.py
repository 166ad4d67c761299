"""The drawdown ladder: four levels of response to losses, and the way back.

Levels (drawdown of the *managed* book from its high-water mark):

1. alert — exposure unchanged, the PM is told;
2. cut 25 % — exposure capped at 75 %;
3. cut to 50 % — exposure capped at 50 %;
4. flatten — exposure 0 until a manual review clears the book.

Cuts apply at once (the next day) and never loosen while the drawdown deepens. Re-entry:
once the drawdown recovers to ``recover`` × the trigger of the level in force (levels 2-3),
or the day after a review clears a flattened book, the cap rises in a straight line back
to 100 % over ``ramp_days``; a new breach during the ramp cuts again. After a review the
high-water mark resets to the equity at review (the book starts afresh).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import pairwise

import numpy as np
import pandas as pd

from research_core.errors import RiskError

LEVELS = ("normal", "alert", "cut 25%", "cut to 50%", "flatten: manual review")
CAPS = (1.0, 1.0, 0.75, 0.5, 0.0)


@dataclass(frozen=True)
class DrawdownLadder:
    """Triggers (drawdown fractions) for levels 1-4 and the re-entry rule."""

    alert: float = 0.05
    cut_25: float = 0.08
    cut_50: float = 0.12
    flatten: float = 0.15
    recover: float = 0.5
    ramp_days: int = 20

    def __post_init__(self) -> None:
        steps = (self.alert, self.cut_25, self.cut_50, self.flatten)
        if steps[0] <= 0 or not all(a < b for a, b in pairwise(steps)):
            raise RiskError(f"drawdown triggers must be positive and increasing, got {steps}")
        if not 0 <= self.recover < 1 or self.ramp_days < 1:
            raise RiskError("recover must be in [0, 1) and ramp_days at least 1")

    @property
    def triggers(self) -> tuple[float, ...]:
        return (0.0, self.alert, self.cut_25, self.cut_50, self.flatten)

    def level(self, drawdown: float) -> int:
        """The level a drawdown (positive fraction) reaches, 0-4."""
        return int(np.searchsorted(np.array(self.triggers[1:]), drawdown, side="right"))

    def run(self, returns: pd.Series, reviews: Iterable[object] = ()) -> pd.DataFrame:
        """Manage a book's daily returns with the ladder.

        The cap decided at the close of day t applies to day t+1's return. ``reviews``
        are the dates a manual review cleared a flattened book. Returns one row per day:
        raw return, cap applied, managed return, equity, drawdown, level and state.
        """
        if returns.isna().any():
            raise RiskError("returns contain NaN; the ladder needs a complete daily series")
        cleared = sorted(pd.Timestamp(d) for d in reviews)  # type: ignore[arg-type]
        equity, peak, cap, level = 1.0, 1.0, 1.0, 0
        ramp_from: float | None = None
        ramp_day = 0
        rows = []
        for day, r in returns.items():
            applied = cap
            equity *= 1.0 + applied * float(r)
            peak = max(peak, equity)
            dd = 1.0 - equity / peak
            event = ""
            if level == 4:
                if cleared and pd.Timestamp(day) >= cleared[0]:  # type: ignore[arg-type]
                    cleared.pop(0)
                    peak, dd, level = equity, 0.0, 0
                    ramp_from, ramp_day, event = 0.0, 0, "review cleared: re-entry ramp"
                else:
                    event = "flat: awaiting manual review"
            else:
                reached = self.level(dd)
                if CAPS[reached] < cap:
                    level, cap, ramp_from, event = reached, CAPS[reached], None, LEVELS[reached]
                elif reached > level:
                    level, event = reached, LEVELS[reached]
                elif (
                    ramp_from is None
                    and level in (2, 3)
                    and dd <= self.recover * self.triggers[level]
                ):
                    ramp_from, ramp_day, event = cap, 0, "recovered: re-entry ramp"
            if ramp_from is not None:
                ramp_day += 1
                cap = min(1.0, ramp_from + (1.0 - ramp_from) * ramp_day / self.ramp_days)
                if cap >= 1.0:
                    ramp_from, event = None, event or "fully re-entered"
            if ramp_from is None and cap >= 1.0 and level < 4:
                level = self.level(dd)
            rows.append((day, float(r), applied, applied * float(r), equity, dd, level, cap, event))
        cols = ["return", "cap_applied", "managed_return", "equity", "drawdown", "level"]
        frame = pd.DataFrame(
            [row[1:] for row in rows],
            index=pd.Index([row[0] for row in rows], name="date"),
            columns=[*cols, "next_cap", "event"],
        )
        frame.insert(6, "state", [LEVELS[x] for x in frame["level"]])
        return frame

    def status(self, equity: pd.Series) -> tuple[float, int, str]:
        """Current drawdown, level and its name for an equity curve (no management)."""
        if equity.empty or equity.isna().any():
            raise RiskError("equity must be a non-empty series without NaN")
        dd = float(1.0 - equity.iloc[-1] / equity.cummax().iloc[-1])
        lvl = self.level(dd)
        return dd, lvl, LEVELS[lvl]

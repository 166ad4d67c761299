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

Two readings of the same rules: :meth:`DrawdownLadder.run` manages a book's raw daily
returns (pro forma: the cap scales the next day's return), and :meth:`DrawdownLadder.state`
walks a NAV history that was already managed (the PMS's, a backtest's) and says which cap
is in force for the next book. Construction multiplies the target's gross by that cap
(``research_core.portfolio.construct``), so the daily book, the proposals and the book
backtest are cut alike.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import pairwise

import numpy as np
import pandas as pd

from research_core.errors import RiskError

LEVELS = ("normal", "alert", "cut 25%", "cut to 50%", "flatten: manual review")
CAPS = (1.0, 1.0, 0.75, 0.5, 0.0)


@dataclass(frozen=True)
class LadderState:
    """Where a NAV history leaves the ladder: the cap on the next book's gross."""

    cap: float  # multiplier of the target's gross, 0..1
    level: int  # 0-4
    state: str  # LEVELS[level]
    drawdown: float  # from the high-water mark, fraction
    event: str  # the last transition ("" when none happened on the last day)

    def summary(self) -> str:
        event = f"; {self.event}" if self.event and self.event != self.state else ""
        return (
            f"level {self.level} ({self.state}) at {self.drawdown:.2%} drawdown: "
            f"gross × {self.cap:.2f}{event}"
        )


@dataclass
class _Walk:
    """The ladder's state from one day to the next (shared by ``run`` and ``state``)."""

    ladder: DrawdownLadder
    peak: float
    reviews: list[pd.Timestamp] = field(default_factory=list)
    cap: float = 1.0
    level: int = 0
    ramp_from: float | None = None
    ramp_day: int = 0

    def step(self, day: object, equity: float) -> tuple[float, str]:
        """Close of ``day`` at ``equity``: update the level and the next day's cap;
        returns (drawdown, event)."""
        self.peak = max(self.peak, equity)
        dd = 1.0 - equity / self.peak
        event = ""
        if self.level == 4:
            if self.reviews and pd.Timestamp(day) >= self.reviews[0]:  # type: ignore[arg-type]
                self.reviews.pop(0)
                self.peak, dd, self.level = equity, 0.0, 0
                self.ramp_from, self.ramp_day, event = 0.0, 0, "review cleared: re-entry ramp"
            else:
                event = "flat: awaiting manual review"
        else:
            event = self._transition(dd)
        if self.ramp_from is not None:
            self.ramp_day += 1
            ramp = self.ramp_day / self.ladder.ramp_days
            self.cap = min(1.0, self.ramp_from + (1.0 - self.ramp_from) * ramp)
            if self.cap >= 1.0:
                self.ramp_from, event = None, event or "fully re-entered"
        if self.ramp_from is None and self.cap >= 1.0 and self.level < 4:
            self.level = self.ladder.level(dd)
        return dd, event

    def _transition(self, dd: float) -> str:
        reached = self.ladder.level(dd)
        if CAPS[reached] < self.cap:
            self.level, self.cap, self.ramp_from = reached, CAPS[reached], None
            return LEVELS[reached]
        if reached > self.level:
            self.level = reached
            return LEVELS[reached]
        trigger = self.ladder.triggers[self.level]
        if self.ramp_from is None and self.level in (2, 3) and dd <= self.ladder.recover * trigger:
            self.ramp_from, self.ramp_day = self.cap, 0
            return "recovered: re-entry ramp"
        return ""


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

    def _walk(self, peak: float, reviews: Iterable[object]) -> _Walk:
        cleared = sorted(pd.Timestamp(d) for d in reviews)  # type: ignore[arg-type]
        return _Walk(self, peak, cleared)

    def run(self, returns: pd.Series, reviews: Iterable[object] = ()) -> pd.DataFrame:
        """Manage a book's daily returns with the ladder.

        The cap decided at the close of day t applies to day t+1's return. ``reviews``
        are the dates a manual review cleared a flattened book. Returns one row per day:
        raw return, cap applied, managed return, equity, drawdown, level and state.
        """
        if returns.isna().any():
            raise RiskError("returns contain NaN; the ladder needs a complete daily series")
        walk, equity = self._walk(1.0, reviews), 1.0
        rows = []
        for day, r in returns.items():
            applied, r = walk.cap, float(r)
            equity *= 1.0 + applied * r
            dd, event = walk.step(day, equity)
            rows.append((day, r, applied, applied * r, equity, dd, walk.level, walk.cap, event))
        cols = ["return", "cap_applied", "managed_return", "equity", "drawdown", "level"]
        frame = pd.DataFrame(
            [row[1:] for row in rows],
            index=pd.Index([row[0] for row in rows], name="date"),
            columns=[*cols, "next_cap", "event"],
        )
        frame.insert(6, "state", [LEVELS[x] for x in frame["level"]])
        return frame

    def state(self, equity: pd.Series, reviews: Iterable[object] = ()) -> LadderState:
        """The ladder after a NAV history that already lived under it (one value per
        session, oldest first; the first is the starting capital): the level reached and
        the cap on the next book. ``reviews`` are the dates a review cleared a flat book.

        A backtest asks again at every rebalance with the history grown by a few sessions:
        when the last history walked (same ladder and reviews) is a prefix of this one, the
        walk continues from where it stopped instead of starting over."""
        values = np.asarray(equity, dtype=float)
        if values.size == 0 or not np.isfinite(values).all() or (values <= 0).any():
            raise RiskError("equity must be a non-empty series of positive finite values")
        cleared = tuple(sorted(pd.Timestamp(d) for d in reviews))  # type: ignore[arg-type]
        walked = _resume(self, cleared, equity.index, values)
        if walked is None:
            first = _Walk(self, float(values[0]), list(cleared))
            walked = _Walked(self, cleared, equity.index[:1], values[:1], first)
        walk, dd, event = replace(walked.walk, reviews=list(walked.walk.reviews)), *walked.last
        start = len(walked.values)
        for day, value in zip(equity.index[start:], values[start:], strict=True):
            dd, event = walk.step(day, float(value))
        _LAST[0] = _Walked(self, cleared, equity.index, values.copy(), walk, (dd, event))
        return LadderState(walk.cap, walk.level, LEVELS[walk.level], dd, event)

    def status(self, equity: pd.Series) -> tuple[float, int, str]:
        """Current drawdown, level and its name for an equity curve (no management)."""
        if equity.empty or equity.isna().any():
            raise RiskError("equity must be a non-empty series without NaN")
        dd = float(1.0 - equity.iloc[-1] / equity.cummax().iloc[-1])
        lvl = self.level(dd)
        return dd, lvl, LEVELS[lvl]


@dataclass(frozen=True)
class _Walked:
    """The last NAV history :meth:`DrawdownLadder.state` walked and the walk after it."""

    ladder: DrawdownLadder
    reviews: tuple[pd.Timestamp, ...]
    index: pd.Index
    values: np.ndarray
    walk: _Walk
    last: tuple[float, str] = (0.0, "")  # drawdown and event of the last day


_LAST: list[_Walked | None] = [None]  # one slot: a backtest asks in date order


def _resume(
    ladder: DrawdownLadder, reviews: tuple[pd.Timestamp, ...], index: pd.Index, values: np.ndarray
) -> _Walked | None:
    """The last walk when its history is a prefix of ``index``/``values`` (content
    compared, so any revised value starts over) under the same ladder and reviews."""
    last = _LAST[0]
    n = 0 if last is None else len(last.values)
    if last is None or n > len(values) or last.ladder != ladder or last.reviews != reviews:
        return None
    if not (np.array_equal(values[:n], last.values) and index[:n].equals(last.index)):
        return None
    return last

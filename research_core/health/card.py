"""GREEN / AMBER / RED health cards per strategy and for the book.

A card compares a *monitored* return stream with the backtest's *reference* period:

* with live P&L (PMS) for the name: the live returns, against the backtest before the
  first live date, and the backtest replay of the live dates for implementation drift;
* without: the backtest's own last :data:`MONITOR` sessions up to the as-of, against the
  backtest before them (the strategy "as if live").

Status, with every reason listed on the card:

* RED — the CUSUM saw returns fall below the backtest in the last :data:`RECENT`
  sessions, or live and replay disagree on both drift checks;
* AMBER — ADWIN saw the volatility rise in the last :data:`RECENT` sessions, the lower
  CUSUM is past :data:`~research_core.health.detectors.CUSUM_WARN` of its threshold (on
  5 % of a healthy strategy's sessions; a Sharpe collapse shows it about 100 sessions
  before the RED alarm), one drift check fails, the live Sharpe is below the
  haircut backtest Sharpe with 95 % probability (PSR < 0.05), or the backtest does not
  survive the ledger's trials (DSR < 0.5);
* GREEN — none of these.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Literal

import numpy as np
import pandas as pd

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.errors import HealthError
from research_core.health.detectors import CUSUM_WARN, Alarm, Detection, detect
from research_core.health.drift import Drift, implementation_drift
from research_core.health.track import TrackRecord, track_record

Status = Literal["GREEN", "AMBER", "RED"]
STATUS_CODE: dict[str, int] = {"GREEN": 0, "AMBER": 1, "RED": 2}
MONITOR = 504  # sessions monitored when there is no live record (two years)
RECENT = 126  # an alarm this many sessions old or newer sets the status
MIN_REFERENCE = B3_SESSIONS_PER_YEAR
MIN_DSR = 0.5
MIN_PSR = 0.05


@dataclass(frozen=True)
class HealthCard:
    """One strategy's (or the book's) health at ``as_of`` and why."""

    name: str
    as_of: pd.Timestamp
    status: Status
    reasons: tuple[str, ...]
    source: Literal["live", "backtest"]
    track: TrackRecord
    cusum_down: float  # lower CUSUM statistic at the as-of over its threshold (1 = alarm)
    alarms: tuple[Alarm, ...]  # within the last RECENT monitored sessions
    drift: Drift | None = None
    detection: Detection | None = field(default=None, repr=False, compare=False)  # the paths

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "status": self.status,
            "reason": "; ".join(self.reasons),
            "source": self.source,
            "cusum_down": self.cusum_down,
            "alarms": [str(a) for a in self.alarms],
            **self.track.to_dict(),
            "drift_spearman": self.drift.spearman if self.drift else float("nan"),
            "drift_ks": self.drift.ks if self.drift else float("nan"),
        }


def assess(
    name: str,
    backtest: pd.Series,
    as_of: object,
    *,
    live: pd.Series | None = None,
    dsr: tuple[float, int] = (float("nan"), 0),
) -> HealthCard:
    """The card of one return stream. ``backtest`` holds daily excess returns of the
    backtest (or the replay over the live dates), ``live`` the live ones if any;
    ``dsr`` is (deflated Sharpe, trials) from :func:`research_core.health.track.ledger_dsr`."""
    when = pd.Timestamp(as_of)  # type: ignore[arg-type]
    when = when.tz_localize(None) if when.tzinfo else when
    bt = pd.Series(backtest, dtype=float).dropna()
    bt = bt[bt.index <= when]
    live_now = None if live is None else pd.Series(live, dtype=float).dropna()
    if live_now is not None:
        live_now = live_now[live_now.index <= when]
    if live_now is not None and len(live_now) >= 3:
        source: Literal["live", "backtest"] = "live"
        reference, monitored = bt[bt.index < live_now.index[0]], live_now
    else:
        source = "backtest"
        reference, monitored = bt.iloc[:-MONITOR], bt.iloc[-MONITOR:]
    if len(reference) < MIN_REFERENCE:
        raise HealthError(
            f"{name}: {len(reference)} reference sessions before the monitored period; "
            f"need {MIN_REFERENCE} (a longer backtest)"
        )
    mean, vol = float(reference.mean()), float(reference.std(ddof=1))
    found = detect(monitored, reference)
    recent = found.recent(monitored.index[max(len(monitored) - RECENT, 0)])
    ref_sharpe = mean / vol * np.sqrt(B3_SESSIONS_PER_YEAR) if vol > 0 else float("nan")
    track = track_record(monitored, ref_sharpe, dsr=dsr[0], n_trials=dsr[1])
    drift = None
    if source == "live":
        drift = implementation_drift(monitored, bt)
    cusum_down = float(found.statistics["cusum_down"].iloc[-1] / found.threshold)
    status, reasons = _status(recent, cusum_down, track, drift)
    return HealthCard(name, when, status, reasons, source, track, cusum_down, recent, drift, found)


def _status(
    recent: tuple[Alarm, ...], cusum_down: float, track: TrackRecord, drift: Drift | None
) -> tuple[Status, tuple[str, ...]]:
    red, amber = [], []
    red += [str(a) for a in recent if a.detector == "cusum" and a.direction < 0]
    amber += [str(a) for a in recent if a.detector == "adwin" and a.direction > 0]
    flags = drift.flags if drift else ()
    (red if len(flags) == 2 else amber).extend(flags)
    if cusum_down > CUSUM_WARN:
        amber.append(f"lower CUSUM at {cusum_down:.0%} of its alarm threshold")
    if track.psr < MIN_PSR:
        amber.append(
            f"live Sharpe {track.sharpe:.2f} below the haircut backtest's {track.benchmark:.2f} "
            f"(PSR {track.psr:.2f})"
        )
    if track.n_trials > 1 and track.dsr < MIN_DSR:
        amber.append(f"backtest DSR {track.dsr:.2f} over {track.n_trials} ledger trials")
    if red:
        return "RED", tuple(red + amber)
    if amber:
        return "AMBER", tuple(amber)
    progress = f"{track.progress:.0%} of the minimum track record"
    return "GREEN", (f"as backtested: PSR {track.psr:.2f} vs haircut Sharpe, {progress}",)


@dataclass(frozen=True, eq=False)
class HealthReport:
    """Every card at one as-of, with the names that could not be assessed and why."""

    as_of: pd.Timestamp
    cards: tuple[HealthCard, ...]
    skipped: Mapping[str, str] = field(default_factory=dict)

    @cached_property
    def table(self) -> pd.DataFrame:
        rows = [c.to_dict() for c in self.cards]
        cols = ["name", "status", "reason", "source", "psr", "sharpe", "benchmark"]
        frame = pd.DataFrame(rows) if rows else pd.DataFrame(columns=cols)
        return frame.set_index("name")

    def to_frame(self) -> pd.DataFrame:
        return self.table

    def card(self, name: str) -> HealthCard:
        for c in self.cards:
            if c.name == name:
                return c
        raise HealthError(f"no health card for {name!r}; have {[c.name for c in self.cards]}")

    def summary(self) -> str:
        counts = {s: sum(c.status == s for c in self.cards) for s in STATUS_CODE}
        lines = [
            f"strategy health as of {self.as_of:%Y-%m-%d}: "
            + ", ".join(f"{n} {s}" for s, n in counts.items())
        ]
        for c in sorted(self.cards, key=lambda c: (-STATUS_CODE[c.status], c.name)):
            lines.append(f"  {c.status:<5} {c.name} [{c.source}]: {'; '.join(c.reasons)}")
        lines += [f"  skipped {n}: {why}" for n, why in self.skipped.items()]
        return "\n".join(lines)

    def to_json(self) -> str:
        body = {
            "as_of": f"{self.as_of:%Y-%m-%d}",
            "cards": [c.to_dict() for c in self.cards],
            "skipped": dict(self.skipped),
        }
        return json.dumps(_finite(body), indent=1, allow_nan=False)

    def _repr_html_(self) -> str:
        colors = {"GREEN": "#2e7d32", "AMBER": "#ef8f00", "RED": "#c62828"}
        rows = "".join(
            f"<tr><td style='color:{colors[c.status]};font-weight:600'>{c.status}</td>"
            f"<td>{c.name}</td><td>{c.source}</td><td>{c.track.psr:.2f}</td>"
            f"<td>{'; '.join(c.reasons)}</td></tr>"
            for c in sorted(self.cards, key=lambda c: (-STATUS_CODE[c.status], c.name))
        )
        head = "<tr><th>status</th><th>name</th><th>source</th><th>PSR</th><th>reason</th></tr>"
        return f"<p>{self.summary().splitlines()[0]}</p><table>{head}{rows}</table>"


def _finite(value: Any) -> Any:
    """JSON-safe copy: non-finite floats (an infinite MinTRL, a missing DSR) become null."""
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_finite(v) for v in value]
    if isinstance(value, float):
        return value if np.isfinite(value) else None
    return value

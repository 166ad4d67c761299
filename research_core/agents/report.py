"""What an agent said at one as-of date: :class:`AgentReport`, with its JSON form.

Kept apart from the agent template (:mod:`research_core.agents.base`) so that reading a
stored report (the report store, the pages, a replay) imports pandas and nothing of the
models the agents fit.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from research_core.config import get_settings
from research_core.formats import pct
from research_core.records import Signal


@dataclass(frozen=True, eq=False)
class AgentReport:
    """What an agent said at one as-of date, with the evidence behind it."""

    agent: str
    as_of: pd.Timestamp
    signals: tuple[Signal, ...]
    diagnostics: Mapping[str, pd.DataFrame] = field(repr=False)
    inputs: pd.DataFrame = field(repr=False)  # series_id, obs_date, release_time, age_days, stale
    charts: Mapping[str, pd.DataFrame] = field(repr=False)
    narrative: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # fallbacks taken and data problems, in plain words

    def to_frame(self) -> pd.DataFrame:
        """The signals, one row each."""
        cols = ["as_of", "source", "instrument", "direction", "strength", "confidence"]
        cols += ["horizon_days", "rationale"]
        rows = [{c: getattr(s, c) for c in cols} for s in self.signals]
        return pd.DataFrame(rows, columns=cols)

    def summary(self) -> str:
        tz = get_settings().timezone
        lines = [f"{self.agent} agent as of {self.as_of.tz_convert(tz):%Y-%m-%d %H:%M} ({tz})"]
        lines += [f"  - {b}" for b in self.narrative]
        for s in self.signals:
            arrow = {1: "▲", -1: "▼", 0: "■"}[s.direction]
            lines.append(
                f"  {arrow} {s.rationale} (confidence {pct(s.confidence, 0)}, horizon "
                f"{s.horizon_days} days)"
            )
        stale = self.inputs.loc[self.inputs["stale"], "series_id"].tolist()
        if stale:
            lines.append(f"  stale inputs: {', '.join(stale)}")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>"

    def to_dict(self) -> dict[str, Any]:
        """JSON-safe form (frames as pandas 'split' JSON); ``from_dict`` inverts it."""
        return {
            "agent": self.agent,
            "as_of": self.as_of.isoformat(),
            "signals": [{**s.__dict__, "as_of": s.as_of.isoformat()} for s in self.signals],
            "diagnostics": {k: _frame_json(v) for k, v in self.diagnostics.items()},
            "inputs": _frame_json(self.inputs),
            "charts": {k: _frame_json(v) for k, v in self.charts.items()},
            "narrative": list(self.narrative),
            "notes": list(self.notes),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> AgentReport:
        signals = tuple(Signal(**{**s, "as_of": pd.Timestamp(s["as_of"])}) for s in data["signals"])
        return cls(
            agent=data["agent"],
            as_of=pd.Timestamp(data["as_of"]),
            signals=signals,
            diagnostics={k: _frame_from_json(v) for k, v in data["diagnostics"].items()},
            inputs=_frame_from_json(data["inputs"]),
            charts={k: _frame_from_json(v) for k, v in data["charts"].items()},
            narrative=tuple(data["narrative"]),
            notes=tuple(data["notes"]),
        )


def _frame_json(frame: pd.DataFrame) -> dict[str, Any]:
    """A frame as JSON-safe lists; floats keep every bit (Python's shortest repr)."""
    times = [str(c) for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
    data = frame.copy()
    for c in times:
        data[c] = data[c].map(lambda t: None if pd.isna(t) else t.isoformat())
    dated = isinstance(frame.index, pd.DatetimeIndex)
    index = [t.isoformat() for t in frame.index] if dated else frame.index.tolist()
    return {
        "columns": [str(c) for c in frame.columns],
        "index": index,
        "dated_index": dated,
        "datetime_columns": times,
        "data": data.astype(object).where(data.notna(), None).to_numpy().tolist(),
    }


def _frame_from_json(data: Mapping[str, Any]) -> pd.DataFrame:
    index = pd.DatetimeIndex(data["index"]) if data["dated_index"] else pd.Index(data["index"])
    frame = pd.DataFrame(data["data"], index=index, columns=data["columns"])
    for c in data["datetime_columns"]:
        frame[c] = pd.to_datetime(frame[c], format="ISO8601")
    for c in frame.columns:
        if c not in data["datetime_columns"] and frame[c].dtype == object:
            converted = pd.to_numeric(frame[c], errors="coerce")
            if converted.notna().sum() == frame[c].notna().sum():
                frame[c] = converted.astype(float)
    return frame

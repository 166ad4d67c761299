"""The agents' signal history across runs: each run's ``agents/history.parquet`` is the
previous run's history plus its own signals, so the Agent Hub draws every agent's calls and
their one-line reasons over time from one file, without opening every earlier run.

Each run's signals were made point in time by that run, so the history is the real-time
record of what the agents said on each run date.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from research_core.runs import ARTIFACTS, VERSIONS, latest_version, list_runs

COLUMNS = ("date", "source", "model", "instrument", "direction", "strength", "confidence",
           "horizon_days", "rationale")  # fmt: skip
KEEP = 260  # run dates kept (about a year of business days)


def _runs_root(run_dir: Path) -> Path:
    """The runs folder holding ``run_dir`` (``<root>/<date>`` or its ``versions/v<N>``)."""
    parent = run_dir.parent
    return parent.parent.parent if parent.name == VERSIONS else parent


def previous_history(run_dir: str | Path, as_of: str) -> pd.DataFrame:
    """The history of the newest earlier run (its own signals when it has no history)."""
    root = _runs_root(Path(run_dir))
    for date in reversed([d for d in list_runs(root) if d < as_of]):
        folder = latest_version(root / date) / ARTIFACTS / "agents"
        for name in ("history.parquet", "signals.parquet"):
            if (folder / name).is_file():
                return as_history(pd.read_parquet(folder / name), date)
    return pd.DataFrame(columns=list(COLUMNS))


def as_history(signals: pd.DataFrame, date: str) -> pd.DataFrame:
    """Signals (``steps.signals_frame``) of the run of ``date`` (YYYY-MM-DD), or a stored
    history (its own dates kept), in the history's columns."""
    frame = signals.copy()
    if "date" not in frame:
        frame["date"] = date
    if "model" not in frame:
        frame["model"] = ""
    return frame[list(COLUMNS)].reset_index(drop=True)


def _missing_runs(run_dir: str | Path, as_of: str, have: set[str]) -> list[pd.DataFrame]:
    """Signals of earlier runs (the last :data:`KEEP` dates) absent from ``have``: a run that
    finished after the previous history was written (a parallel backfill) is not lost."""
    root = _runs_root(Path(run_dir))
    out = []
    for date in [d for d in list_runs(root) if d < as_of][-KEEP:]:
        path = latest_version(root / date) / ARTIFACTS / "agents" / "signals.parquet"
        if date not in have and path.is_file():
            out.append(as_history(pd.read_parquet(path), date))
    return out


def signal_history(run_dir: str | Path, as_of: str, signals: pd.DataFrame) -> pd.DataFrame:
    """The previous run's history without ``as_of`` (a re-run replaces its date), the signals
    of earlier runs it lacks, then this run's ``signals``; the last :data:`KEEP` dates,
    oldest first."""
    old = previous_history(run_dir, as_of)
    old = old[old["date"] < as_of]
    gaps = _missing_runs(run_dir, as_of, set(old["date"]))
    new = as_history(signals, as_of)
    both = pd.concat([df for df in (old, *gaps, new) if not df.empty], ignore_index=True)
    if both.empty:
        return pd.DataFrame(columns=list(COLUMNS))
    dates = sorted(both["date"].unique())[-KEEP:]
    return both[both["date"].isin(dates)].sort_values("date", kind="stable").reset_index(drop=True)

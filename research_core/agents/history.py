"""The agents' history of calls: run them over many as-of dates and keep what they said.

Each date is an independent point-in-time run (no state carries from one date to the
next), so the stored history is each agent's real-time record. Reports go under the
lake's ``artifacts/agents/`` folder: one JSON per agent and date, plus two Parquet tables
dashboards and backtests read — ``signals.parquet`` (every signal) and
``realtime.parquet`` (r* and the Taylor-rule prescription as estimated at each date).
Writes are atomic and serialized between processes (``research_core._files``); re-running
a date replaces its rows, and concurrent runs over different dates keep all of them.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from research_core._files import artifact_lock, read_parquet, write_atomic
from research_core._threads import OneThread
from research_core.agents import run_agents
from research_core.agents.report import AgentReport
from research_core.agents.store import stored_reports
from research_core.calendars import business_day_range
from research_core.errors import AsOfError
from research_core.lake.store import Lake

FREQS = ("M", "W", "Q")


def as_of_dates(start: str, end: str, freq: str = "M", calendar: str = "B3") -> list[pd.Timestamp]:
    """The last business day of each period (M, W or Q) between start and end."""
    if freq not in FREQS:
        raise AsOfError(f"freq must be one of {FREQS}, got {freq!r}")
    days = business_day_range(start, end, calendar)
    if days.empty:
        raise AsOfError(f"no {calendar} business days from {start} to {end}")
    last = pd.Series(days, index=days).groupby(days.to_period(freq)).max()
    return [pd.Timestamp(d) for d in last]


def run_history(
    lake: Lake,
    dates: Sequence[pd.Timestamp | str],
    names: Iterable[str] | None = None,
    *,
    progress: bool = True,
) -> list[AgentReport]:
    """Every agent (or the named ones) at every date; reports in date, then run order."""
    names = None if names is None else list(names)
    out: list[AgentReport] = []
    with stored_reports(lake), OneThread() as threads:
        for d in tqdm(dates, desc="agents", unit="date", disable=not progress):
            out.extend(run_agents(lake.at(d), names).values())
            threads.refresh()
    return out


def artifacts_dir(lake: Lake) -> Path:
    return lake.root / "artifacts" / "agents"


def _merge_parquet(path: Path, new: pd.DataFrame, keys: list[str]) -> None:
    """Replace the rows of ``new``'s keys in the table at ``path`` (created if absent).

    Read, merge and write happen under the file's lock, so concurrent writers never lose
    each other's rows.
    """
    with artifact_lock(path):
        if path.exists():
            old = read_parquet(path)
            stale = old.set_index(keys).index.isin(new.set_index(keys).index)
            new = pd.concat([old[~stale], new], ignore_index=True)
        new = new.sort_values(keys, kind="stable").reset_index(drop=True)
        write_atomic(path, lambda tmp: new.to_parquet(tmp, index=False))


def _write_text(text: str, path: Path) -> None:
    path.write_text(text, encoding="utf-8")


def write_reports(reports: Sequence[AgentReport], folder: Path, *, tz: str) -> Path:
    """Write JSON per report and update the signal and real-time tables; returns folder.

    Files are named by the as-of date in the lake's time zone ``tz``.
    """
    for r in reports:
        path = folder / r.agent / f"{r.as_of.tz_convert(tz).date()}.json"
        write_atomic(path, functools.partial(_write_text, json.dumps(r.to_dict(), indent=1)))
    frames = [r.to_frame().assign(agent=r.agent) for r in reports if r.signals]
    if frames:
        signals = pd.concat(frames, ignore_index=True)
        signals["as_of"] = pd.to_datetime(signals["as_of"], utc=True)
        _merge_parquet(folder / "signals.parquet", signals, ["agent", "as_of", "instrument"])
    record = realtime_record(reports)
    if not record.empty:
        _merge_parquet(folder / "realtime.parquet", record, ["as_of", "country"])
    return folder


def read_signals(folder: Path) -> pd.DataFrame:
    """Every stored signal (empty frame if none were written yet)."""
    path = folder / "signals.parquet"
    return read_parquet(path) if path.exists() else pd.DataFrame()


def read_report(folder: Path, agent: str, date: str) -> AgentReport:
    """One stored report by agent name and as-of date (YYYY-MM-DD)."""
    path = folder / agent / f"{pd.Timestamp(date).date()}.json"
    if not path.exists():
        raise FileNotFoundError(f"no stored {agent} report for {date} under {folder}")
    return AgentReport.from_dict(json.loads(path.read_text()))


def realtime_record(reports: Iterable[AgentReport]) -> pd.DataFrame:
    """r* (filtered, with its se) and the rule's prescription as each date saw them."""
    rows = []
    for r in reports:
        if r.agent != "monetary_policy":
            continue
        for country in [k.removeprefix("rstar_") for k in r.charts if k.startswith("rstar_")]:
            rstar = r.charts[f"rstar_{country}"]
            taylor = r.charts.get(f"taylor_{country}")
            if rstar.empty:
                continue
            rows.append(
                {
                    "as_of": r.as_of,
                    "country": country,
                    "obs_date": pd.Timestamp(rstar.index[-1]),
                    "rstar": float(rstar["filtered"].iloc[-1]),
                    "rstar_se": float(rstar["filtered_se"].iloc[-1]),
                    "rule": float(taylor["rule"].iloc[-1]) if taylor is not None else float("nan"),
                    "rate": float(taylor["rate"].iloc[-1]) if taylor is not None else float("nan"),
                }
            )
    return pd.DataFrame(
        rows, columns=["as_of", "country", "obs_date", "rstar", "rstar_se", "rule", "rate"]
    )


def final_estimates(report: AgentReport, country: str) -> pd.DataFrame:
    """The latest report's full-sample view: smoothed r* (with se) and in-sample rule."""
    rstar = report.charts[f"rstar_{country}"]
    out = rstar[["smoothed", "smoothed_se"]].copy()
    taylor = report.charts.get(f"taylor_{country}")
    if taylor is not None:
        out = out.join(taylor[["rule"]], how="left")
    out.index = pd.DatetimeIndex(out.index)
    return out

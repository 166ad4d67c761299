"""What a dashboard page may ask of a pipeline run folder, and nothing more.

A run is ``<runs_path>/<YYYY-MM-DD>/`` with ``manifest.json`` (status ``running``,
``succeeded`` or ``failed``; ``error``; ``stale``) and ``artifacts/<step>/<name>.parquet|json``
(the book tables are the ones ``workbench book`` writes: weights, var, components, stress,
limits, signals, provenance). Pages find a table by its name in whichever step wrote it, so a
page does not depend on the step layout. Nothing here computes anything. A :class:`Page` is
what one page shows of its run (the pages' readers and renderers take it).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs

import pandas as pd

from research_core.config import get_settings
from research_core.errors import LakeError, WorkbenchError
from research_core.runs import (
    ARTIFACTS,
    MANIFEST,
    Manifest,
    ManifestError,
    RunFolder,
    list_runs,
    run_versions,
)

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
Level = Literal["error", "warn", "info"]


class DashboardError(WorkbenchError):
    """A page cannot show what was asked (no run for the date, bad input); says which."""


@dataclass(frozen=True)
class Problem:
    """Something the page must say before (or instead of) its content."""

    level: Level
    title: str
    text: str


def requested_version(query: str | None) -> int | None:
    """The ``version`` of a query string (``version=1``: an earlier run of the date), or None.

    Raises DashboardError naming the value when it is not a whole number from 1."""
    values = parse_qs(query or "").get("version", [])
    if not values or not values[-1].strip():
        return None
    text = values[-1].strip().lstrip("v")
    if not text.isdigit() or int(text) < 1:
        raise DashboardError(f"version {values[-1]!r} is not a run version (1, 2, ...)")
    return int(text)


def requested_date(query: str | None) -> str | None:
    """The ``date`` of a query string (``date=2026-10-30``), or None when absent.

    Raises DashboardError naming the value when it is not a calendar date."""
    values = parse_qs(query or "").get("date", [])
    if not values or not values[-1].strip():
        return None
    text = values[-1].strip()
    if not _DATE.fullmatch(text):
        raise DashboardError(f"date {text!r} is not a date (expected YYYY-MM-DD)")
    try:
        pd.Timestamp(text)
    except ValueError as err:
        raise DashboardError(f"date {text!r} is not a calendar date") from err
    return text


def is_sample_lake(lake_path: Path) -> bool:
    """``Lake.is_sample`` of the lake at ``lake_path``; False where no lake can be opened."""
    from research_core.lake import Lake

    try:
        return Lake.open(lake_path).is_sample
    except LakeError:
        return False


@dataclass(frozen=True)
class Run:
    """One run folder as a page sees it: date, status, problems, and artifact lookup."""

    date: str | None
    path: Path | None
    manifest: Manifest | None
    runs: tuple[str, ...]
    sample: bool
    problems: tuple[Problem, ...] = field(default=())
    versions: tuple[int, ...] = field(default=())  # the date's run versions, oldest first

    @property
    def version(self) -> int:
        """1 for a date's first run, N for its (N-1)th forced re-run."""
        return self.manifest.version if self.manifest else 1

    @property
    def revised(self) -> bool:
        """True when this run revises an earlier run of its date (a forced re-run)."""
        return bool(self.manifest and self.manifest.revision)

    @property
    def status(self) -> str:
        if self.path is None or self.manifest is None:
            return "missing"
        status = self.manifest.status
        return "stale" if status == "succeeded" and self.manifest.stale else status

    @property
    def usable(self) -> bool:
        """True when artifacts may be shown (the run exists and has not failed)."""
        return self.path is not None and not any(p.level == "error" for p in self.problems)

    def _find(self, name: str, suffixes: tuple[str, ...]) -> Path | None:
        return None if self.path is None else RunFolder(self.path).find(name, suffixes)

    def has(self, name: str) -> bool:
        return self._find(name, (".parquet", ".csv", ".json", ".html")) is not None

    def table(self, name: str) -> pd.DataFrame | None:
        """The artifact table ``name`` (Parquet, or CSV as ``workbench book`` writes), or None."""
        path = self._find(name, (".parquet", ".csv"))
        if path is None:
            return None
        if path.suffix == ".csv":
            return pd.read_csv(path)
        frame = pd.read_parquet(path)
        if not isinstance(frame.index, pd.RangeIndex) or frame.index.name is not None:
            frame = frame.reset_index()  # an index written by to_parquet becomes columns
        return frame

    def record(self, name: str) -> Any:
        """The JSON artifact ``name`` decoded, or None."""
        path = self._find(name, (".json",))
        return None if path is None else json.loads(path.read_text("utf-8"))

    def records(self, step: str) -> dict[str, Any]:
        """Every JSON artifact of one step folder, by file stem."""
        if self.path is None:
            return {}
        folder = self.path / ARTIFACTS / step
        return {p.stem: json.loads(p.read_text("utf-8")) for p in sorted(folder.glob("*.json"))}

    def text(self, name: str) -> str | None:
        path = self._find(name, (".html",))
        return None if path is None else path.read_text("utf-8")


def open_run(
    query: str | None = None,
    *,
    runs_path: str | Path | None = None,
    lake_path: str | Path | None = None,
) -> Run:
    """The run asked for by ``query`` (``date=YYYY-MM-DD``), else the newest run.

    Never raises for a bad state: a malformed date, a date with no run, a failed, running
    or stale run each come back as a Problem the page shows."""
    settings = get_settings()
    root = Path(runs_path) if runs_path is not None else settings.runs_path
    lake = Path(lake_path) if lake_path is not None else settings.lake_path
    runs = tuple(list_runs(root))
    try:
        date = requested_date(query)
        version = requested_version(query)
    except DashboardError as err:
        return Run(
            None, None, None, runs, is_sample_lake(lake), (Problem("error", "Bad date", str(err)),)
        )
    if date is None:
        if not runs:
            text = f"no pipeline run found under {root.name}/; run `make run` first"
            return Run(
                None, None, None, runs, is_sample_lake(lake), (Problem("error", "No run", text),)
            )
        date = runs[-1]
    if date not in runs:
        have = f"latest run: {runs[-1]}" if runs else "no runs yet"
        text = f"there is no pipeline run for {date} ({have})"
        return Run(
            date, None, None, runs, is_sample_lake(lake), (Problem("error", "No run", text),)
        )
    folders = run_versions(root / date)
    numbers = tuple(range(1, len(folders) + 1))
    if version is not None and version > len(folders):
        text = f"the {date} run has no version {version} (versions: {list(numbers)})"
        return Run(
            date, None, None, runs, is_sample_lake(lake), (Problem("error", "No run", text),)
        )
    shown, note = _shown_version(date, folders) if version is None else (version, ())
    path = folders[shown - 1]
    try:
        manifest = Manifest.read(path / MANIFEST)
    except ManifestError as err:
        text = f"the manifest of the {date} run cannot be read ({err})"
        return Run(
            date, None, None, runs, is_sample_lake(lake), (Problem("error", "Bad run", text),)
        )
    lake = Path(manifest.parameters.get("lake_path") or lake)
    problems = note + _manifest_problems(date, manifest)
    return Run(date, path, manifest, runs, is_sample_lake(lake), problems, numbers)


Item = Any  # an HTML string, a plotly figure or an ipywidget


@dataclass(frozen=True)
class Page:
    """What one page shows: its run, the data read from it, and its problems."""

    name: str
    run: Run
    data: dict[str, Any] = field(default_factory=dict)
    problems: tuple[Problem, ...] = ()


def missing(run: Run, what: str, step: str) -> Problem:
    """The message of a page whose run lacks ``what`` (written by the pipeline's ``step``)."""
    return Problem("warn", "Not in this run", f"the {run.date} run has no {what} (step {step})")


def _status(folder: Path) -> str:
    try:
        return Manifest.read(folder / MANIFEST).status
    except ManifestError:
        return "unreadable"


def _shown_version(date: str, folders: list[Path]) -> tuple[int, tuple[Problem, ...]]:
    """The newest version of a date's run, unless it failed or still runs while an earlier
    one succeeded: a forced re-run that went wrong does not hide the good run (said so)."""
    newest = len(folders)
    status = _status(folders[-1])
    if status == "succeeded":
        return newest, ()
    good = [n for n in range(newest - 1, 0, -1) if _status(folders[n - 1]) == "succeeded"]
    if not good:
        return newest, ()
    what = "is still running" if status == "running" else f"has status {status}"
    text = f"version {newest} of the {date} run {what}; showing version {good[0]}"
    return good[0], (Problem("warn", "Re-run not shown", text),)


def _manifest_problems(date: str, manifest: Manifest) -> tuple[Problem, ...]:
    status = manifest.status
    out: list[Problem] = []
    if status == "failed":
        err = manifest.error or {}
        where = err.get("step", "a step")
        what = f"{err.get('exception', err.get('ename', 'error'))}: {err.get('message', '')}"
        out.append(Problem("error", "Run failed", f"the {date} run failed at {where} ({what})"))
    elif status == "running":
        out.append(Problem("warn", "Run in progress", f"the {date} run is still running"))
    elif status != "succeeded":
        out.append(Problem("error", "Bad run", f"the {date} run has status {status!r}"))
    if manifest.stale:
        detail = manifest.raw.get("stale_series") or manifest.raw.get("freshness") or ""
        tail = f": {detail}" if isinstance(detail, str) and detail else ""
        text = f"data behind the {date} run is stale (older than its release calendar allows){tail}"
        out.append(Problem("warn", "Stale data", text))
    return tuple(out)

"""Read a pipeline run folder (``runs/<YYYY-MM-DD>/``): its manifest, status and artifacts.

The run-folder contract (see ``pipelines/README.md``)::

    runs/<D>/manifest.json                 steps, status, times, parameters, fingerprints
    runs/<D>/notebooks/<step>.ipynb        each executed step notebook (partial on failure)
    runs/<D>/artifacts/<step>/<name>       Parquet tables and JSON records the steps wrote
    runs/<D>/versions/v<N>/...             a forced re-run of D (version N, same layout), its
                                           manifest's ``revision`` links it to version N-1

This module imports only config and the artifact writer (``_files``), so anything right of it —
narrative, viz, the dashboards — can use it. The pipeline runner writes the folder.
"""

from __future__ import annotations

import glob
import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_core import _files
from research_core.config import get_settings
from research_core.errors import WorkbenchError
from research_core.runs.layout import ARTIFACTS, MANIFEST, NOTEBOOKS, SUFFIXES, VERSIONS
from research_core.runs.manifest import Manifest

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

if TYPE_CHECKING:  # pandas is imported where used: the step worker only writes files
    import pandas as pd


class RunFolderError(WorkbenchError, FileNotFoundError):
    """A run folder or one of its artifacts does not exist (or is not readable)."""


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` all at once (``_files.write_atomic``: temporary file,
    fsync, rename, under the artifact lock), so a reader never sees half a file."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    raw = data.encode("utf-8") if isinstance(data, str) else data
    return _files.write_atomic(path, lambda tmp: tmp.write_bytes(raw))


def run_dir(as_of: str | pd.Timestamp, runs_path: str | Path | None = None) -> Path:
    """``<runs_path>/<YYYY-MM-DD>`` (default runs path: config ``runs_path``)."""
    import pandas as pd

    root = Path(runs_path) if runs_path is not None else get_settings().runs_path
    return root / f"{pd.Timestamp(as_of):%Y-%m-%d}"


def list_runs(runs_path: str | Path | None = None) -> list[str]:
    """Dates (YYYY-MM-DD) that have a manifest, oldest first."""
    root = Path(runs_path) if runs_path is not None else get_settings().runs_path
    if not root.exists():
        return []
    return sorted(p.parent.name for p in root.glob(f"*/{MANIFEST}"))


def run_versions(folder: str | Path) -> list[Path]:
    """The versions of one date's run, oldest first: ``folder`` itself (version 1) and each
    ``versions/v<N>/`` holding a manifest (a forced re-run never overwrites an earlier one)."""
    folder = Path(folder)
    found = [folder] if (folder / MANIFEST).exists() else []
    numbered = []
    for path in (folder / VERSIONS).glob(f"v*/{MANIFEST}"):
        tail = path.parent.name[1:]
        if tail.isdigit():
            numbered.append((int(tail), path.parent))
    return found + [p for _, p in sorted(numbered)]


def latest_version(folder: str | Path) -> Path:
    """The newest version of one date's run (``folder`` when it has no later version)."""
    versions = run_versions(folder)
    return versions[-1] if versions else Path(folder)


@dataclass(frozen=True)
class RunFolder:
    """One run: ``RunFolder("2026-10-30")`` (its newest version, under config ``runs_path``)
    or a folder path (exactly that version)."""

    path: Path

    def __init__(
        self, path_or_date: str | Path | pd.Timestamp, runs_path: str | Path | None = None
    ) -> None:
        text = str(path_or_date)
        if not isinstance(path_or_date, str | Path) or (
            not isinstance(path_or_date, Path) and _DATE.fullmatch(text)
        ):
            path = latest_version(run_dir(path_or_date, runs_path))
        else:
            path = Path(path_or_date)
        object.__setattr__(self, "path", path)

    @property
    def exists(self) -> bool:
        return (self.path / MANIFEST).exists()

    @cached_property
    def manifest(self) -> Manifest:
        """The manifest as written (read once per RunFolder object)."""
        path = self.path / MANIFEST
        if not path.exists():
            raise RunFolderError(f"no pipeline run at {self.path} (missing {MANIFEST})")
        return Manifest.read(path)

    @property
    def status(self) -> str:
        """``running``, ``succeeded`` or ``failed``; ``missing`` when no run exists."""
        return self.manifest.status if self.exists else "missing"

    @property
    def as_of(self) -> str:
        return self.manifest.as_of

    @property
    def version(self) -> int:
        """1 for the first run of a date; N for its (N-1)th forced re-run."""
        return self.manifest.version

    @property
    def revision(self) -> dict[str, Any] | None:
        """For a re-run: the version it revises (``previous``: version, path under the runs
        folder) and what changed (artifacts, steps, the pack's text); None for version 1."""
        rev = self.manifest.revision
        return dict(rev) if rev else None

    def step(self, name: str) -> dict[str, Any]:
        """One step's record (status, times, attempts, artifacts, error)."""
        rec = self.manifest.step(name)
        if rec is None:
            names = [r.get("name") for r in self.manifest.steps]
            raise RunFolderError(f"run {self.path.name} has no step {name!r}; steps: {names}")
        return dict(rec)

    @property
    def failure(self) -> dict[str, Any] | None:
        """The failed step's error record (step, cell, exception type, message) or None."""
        err = self.manifest.error
        return dict(err) if err else None

    @property
    def stale(self) -> bool:
        """True when the freshness gate marked this run's data stale."""
        return self.manifest.stale

    def artifact_path(self, name: str) -> Path:
        """Path of ``artifacts/<name>`` (e.g. ``risk/held/var.parquet``); error if absent."""
        path = self.path / ARTIFACTS / name
        if not path.exists():
            raise RunFolderError(f"run {self.path.name} has no artifact {name}")
        return path

    def artifact(self, name: str) -> Any:
        """Read one artifact by its name under ``artifacts/``: ``.parquet`` → DataFrame,
        ``.json`` → the decoded JSON, anything else (``.html``) → text."""
        path = self.artifact_path(name)
        if path.suffix == ".parquet":
            return _files.read_parquet(path)
        if path.suffix == ".json":
            return json.loads(path.read_text("utf-8"))
        return path.read_text("utf-8")

    def find(self, name: str, suffixes: tuple[str, ...] = SUFFIXES) -> Path | None:
        """The artifact ``name`` (a stem such as ``weights``, or ``risk/held/var``) in
        whichever step wrote it, first by ``suffixes``; None when no step did. Pages ask
        by name so they do not depend on the step layout."""
        root = self.path / ARTIFACTS
        for suffix in suffixes:
            direct = root / f"{name}{suffix}"
            hits = sorted(root.glob(f"*/{glob.escape(name)}{suffix}"))
            if hits or direct.is_file():
                return hits[0] if hits else direct
        return None

    def artifacts(self) -> list[str]:
        """Every artifact name present (relative to ``artifacts/``), sorted."""
        root = self.path / ARTIFACTS
        if not root.exists():
            return []
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def notebook_path(self, step: str) -> Path:
        return self.path / NOTEBOOKS / f"{step}.ipynb"

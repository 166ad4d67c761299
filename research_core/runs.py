"""Read a pipeline run folder (``runs/<YYYY-MM-DD>/``): its manifest, status and artifacts.

The run-folder contract (see ``pipelines/README.md``)::

    runs/<D>/manifest.json                 steps, status, times, parameters, fingerprints
    runs/<D>/notebooks/<step>.ipynb        each executed step notebook (partial on failure)
    runs/<D>/artifacts/<step>/<name>       Parquet tables and JSON records the steps wrote

This module imports only config and the artifact writer (``_files``), so anything right of it —
narrative, viz, the dashboards — can use it. The pipeline runner writes the folder.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_core import _files
from research_core.config import get_settings
from research_core.errors import WorkbenchError

MANIFEST = "manifest.json"
NOTEBOOKS = "notebooks"
ARTIFACTS = "artifacts"
STATUSES = ("running", "succeeded", "failed")
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


@dataclass(frozen=True)
class RunFolder:
    """One run: ``RunFolder("2026-10-30")`` (under config ``runs_path``) or a folder path."""

    path: Path

    def __init__(
        self, path_or_date: str | Path | pd.Timestamp, runs_path: str | Path | None = None
    ) -> None:
        text = str(path_or_date)
        if not isinstance(path_or_date, str | Path) or (
            not isinstance(path_or_date, Path) and _DATE.fullmatch(text)
        ):
            path = run_dir(path_or_date, runs_path)
        else:
            path = Path(path_or_date)
        object.__setattr__(self, "path", path)

    @property
    def exists(self) -> bool:
        return (self.path / MANIFEST).exists()

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The manifest as written (read once per RunFolder object)."""
        path = self.path / MANIFEST
        if not path.exists():
            raise RunFolderError(f"no pipeline run at {self.path} (missing {MANIFEST})")
        data: dict[str, Any] = json.loads(path.read_text("utf-8"))
        return data

    @property
    def status(self) -> str:
        """``running``, ``succeeded`` or ``failed``; ``missing`` when no run exists."""
        return str(self.manifest["status"]) if self.exists else "missing"

    @property
    def as_of(self) -> str:
        return str(self.manifest["as_of"])

    def step(self, name: str) -> dict[str, Any]:
        """One step's record (status, times, attempts, artifacts, error)."""
        for rec in self.manifest["steps"]:
            if rec["name"] == name:
                return dict(rec)
        names = [r["name"] for r in self.manifest["steps"]]
        raise RunFolderError(f"run {self.path.name} has no step {name!r}; steps: {names}")

    @property
    def failure(self) -> dict[str, Any] | None:
        """The failed step's error record (step, cell, exception type, message) or None."""
        err = self.manifest.get("error")
        return dict(err) if err else None

    @property
    def stale(self) -> bool:
        """True when the freshness gate marked this run's data stale."""
        return bool(self.manifest.get("stale", False))

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
            import pandas as pd

            return pd.read_parquet(path)
        if path.suffix == ".json":
            return json.loads(path.read_text("utf-8"))
        return path.read_text("utf-8")

    def artifacts(self) -> list[str]:
        """Every artifact name present (relative to ``artifacts/``), sorted."""
        root = self.path / ARTIFACTS
        if not root.exists():
            return []
        return sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())

    def notebook_path(self, step: str) -> Path:
        return self.path / NOTEBOOKS / f"{step}.ipynb"

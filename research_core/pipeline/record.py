"""A run's record: the manifest held in memory and written after every change
(``manifest.json``), the lake it read, and what ``run_pipeline`` returns."""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from research_core._version import code_parts
from research_core.pipeline import versions
from research_core.pipeline.spec import Pipeline
from research_core.runs import ARTIFACTS, MANIFEST, write_atomic


def now() -> str:
    return pd.Timestamp.now(tz="UTC").isoformat()


@dataclass(frozen=True)
class RunResult:
    """What a ``run_pipeline`` call did: the run folder, final status and manifest."""

    as_of: str
    path: Path
    status: str
    manifest: dict[str, Any]
    noop: bool = False

    @property
    def ok(self) -> bool:
        return self.status == "succeeded"

    def summary(self) -> str:
        if self.noop:
            return f"{self.as_of}: already succeeded ({self.path}); use --force to run again"
        lines = [f"{self.as_of}: {self.status} ({self.path})"]
        for s in self.manifest["steps"]:
            took = f"{s['duration_s']:.1f}s" if s.get("duration_s") is not None else ""
            lines.append(f"  {s['name']:<14} {s['status']:<10} {took}")
        if self.manifest.get("revision"):
            lines.append(versions.summary(self.manifest))
        err = self.manifest.get("error")
        if err:
            cell = f" cell {err['cell']}" if err.get("cell") is not None else ""
            lines.append(f"  failed at {err['step']}{cell}: {err['ename']}: {err['evalue']}")
        if self.manifest.get("stale"):
            lines.append("  data marked STALE by the freshness gate")
        return "\n".join(lines)


def lake_fingerprint(lake_path: Path, as_of: str) -> dict[str, Any] | None:
    """Lake version, a hash of its visible files (path, rows, SHA-256 as one manifest
    lists them: no data file is touched, so a compaction deleting them meanwhile does not
    matter) and the snapshot id of the end-of-day view (``lake.at_snapshot`` reopens
    exactly what the run could read)."""
    from research_core.lake import Lake
    from research_core.lake.store import MANIFEST as LAKE_MANIFEST

    if not (lake_path / LAKE_MANIFEST).exists():
        return None
    lake = Lake.open(lake_path)
    manifest = lake.manifest()
    h = hashlib.sha256()
    for entry in sorted(manifest["files"], key=lambda e: str(e["path"])):
        h.update(f"{entry['path']}:{entry.get('rows')}:{entry.get('sha256')}\n".encode())
    return {
        "version": int(manifest["version"]),
        "fingerprint": h.hexdigest()[:16],
        "snapshot_id": lake.at(as_of).snapshot_id,
    }


class RunRecord:
    """One invocation: the manifest in memory, written after every change. Step threads
    change it only while holding ``lock``; ``stop`` asks every running step to end."""

    def __init__(self, pipe: Pipeline, folder: Path, params: dict[str, Any]) -> None:
        self.pipe, self.folder, self.params = pipe, folder, params
        path = folder / MANIFEST
        self.manifest: dict[str, Any] = json.loads(path.read_text("utf-8")) if path.exists() else {}
        self.lock = threading.RLock()
        self.stop = threading.Event()

    def save(self) -> None:
        with self.lock:
            text = json.dumps(self.manifest, indent=1, default=str)
            write_atomic(self.folder / MANIFEST, text)

    def record(self, name: str) -> dict[str, Any]:
        rec: dict[str, Any] = next(s for s in self.manifest["steps"] if s["name"] == name)
        return rec

    def begin(self, *, keep: set[str]) -> None:
        old = {s["name"]: s for s in self.manifest.get("steps", [])}
        steps = []
        for step in self.pipe.steps:
            prev = old.get(step.name)
            if prev is not None and step.name in keep:
                steps.append(prev)
            else:
                owned = (prev or {}).get("artifacts") or {}  # what a rerun may remove
                steps.append(
                    {
                        "name": step.name,
                        "notebook": step.notebook,
                        "deadline_s": step.deadline_s,
                        "status": "pending",
                        "artifacts": owned,
                    }
                )
        self.manifest.update(
            {
                "pipeline": self.pipe.name,
                "as_of": self.params["as_of"],
                "status": "running",
                "started_at": now(),
                "finished_at": None,
                "parameters": self.params,
                "code": code_parts(),
                "steps": steps,
                "error": None,
            }
        )
        self.manifest.setdefault("stale", False)
        self.save()

    def finish(self) -> None:
        statuses = [s["status"] for s in self.manifest["steps"]]
        if "failed" in statuses:
            status = "failed"
        elif all(s == "succeeded" for s in statuses):
            status = "succeeded"
        else:
            status = "incomplete"
        self.manifest.update({"status": status, "finished_at": now()})
        self.save()


def after_step(run: RunRecord, step_name: str) -> None:
    """Record the lake the run read and whether the freshness gate marked it stale."""
    fp = lake_fingerprint(Path(run.params["lake_path"]), run.params["as_of"])
    if fp is not None:
        run.manifest["lake"] = fp
    gate = run.folder / ARTIFACTS / step_name / "freshness.json"
    if gate.exists():
        run.manifest["stale"] = bool(json.loads(gate.read_text("utf-8")).get("stale", False))

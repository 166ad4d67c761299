"""Write pipeline run folders for the dashboard tests with the pipeline's own step functions.

``research_core.pipeline.steps`` are the calls the daily notebooks make (agents, strategies,
book, risk, Morning Pack), so the artifacts have exactly the pipeline's layout and content;
only papermill and the per-step processes are skipped to keep the tests fast. The manifest
follows the run-folder contract (``pipelines/README.md``).
"""

from __future__ import annotations

import json
from pathlib import Path

from research_core.pipeline import steps


def write_manifest(folder: Path, as_of: str, status: str = "succeeded", **extra: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"as_of": as_of, "status": status, "steps": [], "parameters": {}, **extra}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def write_book_run(runs: Path, lake_path: Path, as_of: str, *, n_sims: int = 5_000) -> Path:
    """A succeeded run of ``as_of``: agents, strategies, book, risk and the Morning Pack."""
    folder = runs / as_of
    args = {"lake_path": str(lake_path), "as_of": as_of, "run_dir": str(folder)}
    steps.agents(**args)
    steps.strategies(**args)
    steps.book(**args)
    steps.risk(**args, n_sims=n_sims)
    write_manifest(folder, as_of, parameters={"lake_path": str(lake_path)})
    steps.morning_pack(**args)
    return folder

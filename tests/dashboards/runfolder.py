"""Write pipeline-style run folders from real package calls on the sample lake.

Used by the dashboard tests until the pipeline writes them: the book and its risk from
``build_book`` (tables as ``workbench book`` writes them, stored as Parquet), the agent
reports from ``run_agents``, and a manifest in the run-folder contract.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from research_core.agents import run_agents
from research_core.lake import Lake
from research_core.portfolio import build_book


def write_manifest(folder: Path, as_of: str, status: str = "succeeded", **extra: object) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    manifest = {"as_of": as_of, "status": status, "steps": [], "parameters": {}, **extra}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def write_book_run(runs: Path, lake_path: Path, as_of: str, *, n_sims: int = 5_000) -> Path:
    """A succeeded run of ``as_of``: book tables (Parquet) and agent reports (JSON)."""
    lake = Lake.open(lake_path)
    view = lake.at(pd.Timestamp(f"{as_of} 23:59", tz=lake.tz))
    folder = runs / as_of
    book = build_book(view, n_sims=n_sims)
    csv = book.write(folder / "csv")
    out = folder / "artifacts" / "book"
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(csv.glob("*.csv")):
        pd.read_csv(path).to_parquet(out / f"{path.stem}.parquet", index=False)
    for path in sorted(csv.iterdir()):
        path.unlink()
    csv.rmdir()
    agents = folder / "artifacts" / "agents"
    agents.mkdir(parents=True, exist_ok=True)
    reports = {name: r.to_dict() for name, r in run_agents(view).items()}
    (agents / "reports.json").write_text(json.dumps(reports), encoding="utf-8")
    write_manifest(folder, as_of, parameters={"lake_path": str(lake_path)})
    return folder

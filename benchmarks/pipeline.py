"""The daily pipeline on the sample lake: per-step wall time and where it goes.

Target (issue 29): the whole daily pipeline, ingest, health and alerts included, in 30 s
on 2 cores, below plain papermill. Independent steps run side by side (``max_parallel`` in
daily.yaml), so the wall time is below the steps' sum. Per step, the time splits into the
notebook's cells (papermill records each cell's duration; the heaviest is named) and the
runner's own cost: ``wait`` from the step's start to its first cell (job hand-over and the
kernel's start, which the warm pool overlaps with earlier steps), ``end`` from the last
cell to the step's record (kernel exit, checks, checksums). Peer: plain
``papermill.execute_notebook`` on the same notebooks in one process, no isolation, no
deadline, no checks — its risk table must equal ours.

    python benchmarks/pipeline.py [--lake parquet_lake] [--as-of 2026-10-30] [--no-peer]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import pandas as pd

REPO = Path(__file__).resolve().parents[1]


def _cells(notebook: Path, step: dict[str, Any]) -> tuple[float, float, float, str, float]:
    """Sum of cell durations, the wait before the first cell and the time after the last
    (against the step's start and end in the manifest), the slowest cell and its duration."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    meta = [c.metadata.get("papermill", {}) for c in nb.cells]
    ran = [m for m in meta if m.get("start_time") and m.get("end_time")]
    wait = (pd.Timestamp(ran[0]["start_time"]) - pd.Timestamp(step["started_at"])).total_seconds()
    end = (pd.Timestamp(step["finished_at"]) - pd.Timestamp(ran[-1]["end_time"])).total_seconds()
    durations = [float(m.get("duration") or 0.0) for m in meta]
    i = max(range(len(durations)), key=durations.__getitem__)
    which = nb.cells[i].source.splitlines()[0][:60] if nb.cells[i].source else ""
    return sum(durations), wait, end, which, durations[i]


def main(argv: list[str] | None = None) -> dict[str, float]:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--lake", default=os.environ.get("WORKBENCH_LAKE_PATH", "parquet_lake"))
    ap.add_argument("--as-of", default="2026-10-30")
    ap.add_argument("--no-peer", action="store_true", help="skip plain papermill")
    args = ap.parse_args(argv)
    from research_core.startup import KERNEL_EXEC, prepare_process

    prepare_process()  # this script is an entry point (it imports nbformat)
    from research_core.pipeline import load_pipeline, run_pipeline
    from research_core.runs import RunFolder

    pipe = load_pipeline(REPO / "pipelines" / "daily.yaml")
    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    t0 = time.perf_counter()
    result = run_pipeline(  # a fresh PMS database, as on a new machine
        args.as_of,
        pipeline=pipe,
        runs_path=work / "runs",
        lake_path=args.lake,
        db_url=f"sqlite:///{work / 'ours.db'}",
        progress=False,
    )
    wall = time.perf_counter() - t0
    if not result.ok:
        sys.exit(f"pipeline failed: {result.summary()}")
    run = RunFolder(result.path)
    serial = sum(float(step["duration_s"]) for step in result.manifest["steps"])
    print(f"daily pipeline {args.as_of} on {args.lake}: {wall:.1f} s wall "
          f"(target <= 30 s on 2 cores), steps' sum {serial:.1f} s (independent steps run "
          f"{pipe.max_parallel} at once), "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    print(f"{'step':<15}{'wall s':>8}{'cells s':>9}{'overhead s':>11}{'wait s':>8}{'end s':>7}"
          "  slowest cell")  # fmt: skip
    seconds = {"total": wall}
    for step in result.manifest["steps"]:
        cells, wait, end, which, slow = _cells(run.notebook_path(step["name"]), step)
        took = float(step["duration_s"])
        seconds[step["name"]] = took
        print(f"{step['name']:<15}{took:>8.1f}{cells:>9.1f}{took - cells:>11.1f}{wait:>8.1f}"
              f"{end:>7.1f}  {slow:.1f} s: {which}")  # fmt: skip

    if not args.no_peer:
        import papermill

        peer_dir = work / "peer" / args.as_of
        peer_dir.mkdir(parents=True)  # alerts and the pack read the date and steps from it
        records = [{"name": s.name, "deadline_s": s.deadline_s, "status": "succeeded"}
                   for s in pipe.steps]  # fmt: skip
        manifest = {"as_of": args.as_of, "status": "running", "steps": records}
        (peer_dir / "manifest.json").write_text(json.dumps(manifest))
        t0 = time.perf_counter()
        for step in pipe.steps:
            params = {"as_of": args.as_of, "lake_path": str(Path(args.lake).resolve()),
                      "db_url": f"sqlite:///{work / 'peer.db'}", "run_dir": str(peer_dir),
                      **step.params}  # fmt: skip
            papermill.execute_notebook(
                str(pipe.notebook_path(step)), str(work / f"peer-{step.name}.ipynb"),
                parameters=params, progress_bar=False, cwd=str(pipe.folder),
                extra_arguments=[f"--IPKernelApp.exec_lines={KERNEL_EXEC}"],  # as ours
            )  # fmt: skip
        peer = time.perf_counter() - t0
        seconds["plain papermill"] = peer
        ours = run.artifact("risk/target/var.parquet")
        theirs = pd.read_parquet(peer_dir / "artifacts" / "risk" / "target" / "var.parquet")
        pd.testing.assert_frame_equal(ours, theirs)
        print(f"plain papermill, same notebooks: {peer:.1f} s (ours / peer = "
              f"{wall / peer:.2f}); risk tables equal")  # fmt: skip
    return seconds


if __name__ == "__main__":
    main()

"""The daily pipeline's first step: bring the lake up to date before anything reads it.

The release clock (:func:`research_core.events.due_series`) says which series are due:
those with a scheduled release after the newest one the lake holds, up to the end of the
run's date, so missed days are caught up by the same step. The connectors fetch them
(:func:`research_core.lake.ingest.ingest`: retries, windows, vintages as ever) and the lake
stores them; the freshness gate (the ``quality`` step) then decides whether the run is
stale. The step never fails for a source that did not answer: each outcome is recorded.

Modes, recorded in ``artifacts/ingest/ingest.json`` with a one-line ``message``:

* ``replay`` — ``replay`` names folders of stored responses: every connector talks to a
  local :class:`~research_core.connectors.replay.ReplayServer` over them;
* ``live`` — the public sources; with none of their hosts reachable the step says
  "offline: skipped" and the gate decides;
* a generated sample lake is never mixed with live data: without ``replay`` the step says
  so and fetches nothing; with no lake yet it leaves the building to ``sample_refresh``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import nullcontext
from pathlib import Path
from typing import Any

import pandas as pd

from research_core.connectors import CONNECTORS
from research_core.connectors.base import reachable
from research_core.connectors.replay import ReplayServer
from research_core.events import due_series
from research_core.lake import Lake
from research_core.lake.ingest import IngestReport, ingest, ingestible
from research_core.lake.store import MANIFEST
from research_core.runs import ARTIFACTS, write_atomic

STEP = "ingest"


def sample_only(lake: Lake) -> bool:
    """True when the lake holds generated sample rows and nothing from a public source:
    its data is not to be mixed with fetched rows."""
    return lake.is_sample and not lake.sources & set(CONNECTORS)


def offline(sources: Sequence[str]) -> list[str]:
    """The hosts of ``sources`` when none of them answers a connection, else []."""
    urls = sorted({CONNECTORS[s].base_url for s in sources})
    with ThreadPoolExecutor(max(len(urls), 1)) as pool:
        if any(pool.map(reachable, urls)):
            return []
    return sorted({u.split("/")[2] for u in urls})


def ingest_step(
    *, lake_path: str, as_of: str, run_dir: str, replay: Sequence[str] = ()
) -> dict[str, Any]:
    """Fetch what the release clock says is due by ``as_of`` into the lake; write
    ``ingest/ingest.json`` (mode, status, message, counts) and ``ingest/series.parquet``
    (per series: last stored period and release, the next scheduled one, the outcome)."""
    record: dict[str, Any] = {
        "as_of": as_of,
        "mode": "replay" if replay else "live",
        "replay": [str(Path(d)) for d in replay],
    }
    table = pd.DataFrame()
    if not (Path(lake_path) / MANIFEST).exists():
        record |= _said("skipped", f"no lake at {lake_path} yet: sample_refresh builds it")
        return _write(run_dir, record, table)
    lake = Lake.open(lake_path)
    table = due_series(lake, as_of, ingestible(lake))
    todo = table.loc[table["due"], "series_id"].tolist()
    record |= {"checked": len(table), "due": len(todo), "lake_version_before": lake.version}
    sources = sorted(set(table.loc[table["due"], "source"]))
    if not todo:
        record |= _said("nothing due", f"{record['mode']}: nothing due by {as_of}")
    elif not replay and sample_only(lake):
        record |= _said(
            "skipped",
            f"sample lake: {len(todo)} series due, not fetched (generated data is not mixed "
            "with the public sources; --replay DIR replays stored responses)",
        )
    elif not replay and (hosts := offline(sources)):
        record |= _said(
            "offline", f"offline: skipped ({len(todo)} series due; no answer from {hosts})"
        )
    else:
        with ReplayServer(replay) if replay else nullcontext() as server:
            report = ingest(
                lake, series=todo, connectors=server.connector if server else None, progress=False
            )
        table = table.merge(_outcomes(report), on="series_id", how="left")
        record |= _counted(report, record["mode"])
    record["lake_version_after"] = lake.version
    return _write(run_dir, record, table)


def _said(status: str, message: str) -> dict[str, str]:
    return {"status": status, "message": message}


def _outcomes(report: IngestReport) -> pd.DataFrame:
    frame = report.to_frame()[["series_id", "status", "added", "revised", "unchanged", "error"]]
    return frame.rename(columns={"status": "outcome"})


def _counted(report: IngestReport, mode: str) -> dict[str, Any]:
    frame = report.to_frame()
    failed = frame.loc[frame["status"] == "failed"]
    added, revised = int(frame["added"].sum()), int(frame["revised"].sum())
    updated = int((frame["status"] == "added").sum())
    message = (
        f"{mode}: {added} new observations and {revised} revisions in {updated} series, "
        f"{int((frame['status'] == 'unchanged').sum())} unchanged, {len(failed)} failed"
    )
    return {
        "status": "ingested" if failed.empty else "ingested with failures",
        "message": message,
        "observed_at": report.observed_at.isoformat(),
        "added": added,
        "revised": revised,
        "failed": dict(zip(failed["series_id"], failed["error"], strict=True)),
    }


def _write(run_dir: str, record: dict[str, Any], table: pd.DataFrame) -> dict[str, Any]:
    out = Path(run_dir) / ARTIFACTS / STEP
    out.mkdir(parents=True, exist_ok=True)
    write_atomic(out / "ingest.json", json.dumps(record, indent=1, default=str))
    tmp = out / ".series.parquet.tmp"
    table.to_parquet(tmp)
    tmp.replace(out / "series.parquet")
    return record

"""Run the pipeline over a range of dates, on local processes or a Dask cluster.

Each date is an independent run (its own folder, lock and point-in-time view), so the
results are the same wherever a date ran; the executor is the backtests' one
(:class:`research_core.backtest.executor.Executor`). Dates go out in batches of the
executor's width so the progress bar moves as batches finish.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from tqdm.auto import tqdm

from research_core._typing import with_overrides
from research_core.backtest.executor import Executor
from research_core.calendars import business_day_range
from research_core.pipeline.runner import DEFAULT_PIPELINE, RunResult, run_pipeline
from research_core.pipeline.spec import PipelineError, load_pipeline

_Task = tuple[str, str, str | None, str | None, str | None, bool]


def _run_date(task: _Task) -> RunResult:
    date, pipeline, runs_path, lake_path, db_url, force = task
    return run_pipeline(
        date, pipeline=pipeline, runs_path=runs_path, lake_path=lake_path, db_url=db_url,
        force=force, progress=False,
    )  # fmt: skip


def backfill_dates(start: str, end: str, calendar: str = "B3") -> list[str]:
    """The business days (YYYY-MM-DD) from ``start`` to ``end``."""
    days = business_day_range(start, end, calendar)
    if len(days) == 0:
        raise PipelineError(f"no {calendar} business days between {start} and {end}")
    return [f"{pd.Timestamp(d):%Y-%m-%d}" for d in days]


@dataclass(frozen=True)
class BackfillOptions:
    """Where and how dates run: a dask ``cluster`` address (None: local processes),
    ``workers``, ``force`` new versions of dates that succeeded, a progress bar."""

    cluster: str | None = None
    workers: int | None = None
    force: bool = False
    progress: bool = True


def backfill(
    start: str,
    end: str,
    *,
    pipeline: str | Path = DEFAULT_PIPELINE,
    runs_path: str | Path | None = None,
    lake_path: str | Path | None = None,
    db_url: str | None = None,
    options: BackfillOptions | None = None,
    **overrides: object,
) -> list[RunResult]:
    """Run ``pipeline`` for every business day in [start, end]; results in date order.

    Dates run in parallel; PMS marks must go in date order, so a pipeline with the PMS
    steps is backfilled with ``workers=1`` (a mark earlier than the last one is skipped).
    ``options``: :class:`BackfillOptions`, or its fields by keyword.
    """
    o = with_overrides(options or BackfillOptions(), overrides, PipelineError)
    cluster, workers, force, progress = o.cluster, o.workers, o.force, o.progress
    load_pipeline(pipeline)  # refuse a bad definition before sending anything out
    dates = backfill_dates(start, end)
    runs = None if runs_path is None else str(Path(runs_path).resolve())
    lake = None if lake_path is None else str(Path(lake_path).resolve())
    spec = str(Path(pipeline).resolve())
    tasks: list[_Task] = [(d, spec, runs, lake, db_url, force) for d in dates]
    results: list[RunResult] = []
    with Executor(cluster=cluster, workers=workers) as ex:
        bar = tqdm(total=len(tasks), desc="backfill", unit="date", disable=not progress)
        for i in range(0, len(tasks), ex.workers):
            batch = tasks[i : i + ex.workers]
            results += ex.map(_run_date, batch)
            bar.update(len(batch))
        bar.close()
    return results

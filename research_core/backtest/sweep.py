"""Parameter sweeps and vintage grids through the :class:`Executor`, recorded in the ledger."""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
from tqdm.auto import tqdm

from research_core.backtest.engine import BacktestResult, CostModel, run_backtest
from research_core.backtest.executor import Executor
from research_core.backtest.ledger import TrialLedger
from research_core.backtest.vintage import VINTAGES, Vintage
from research_core.lake.store import Lake
from research_core.strategies import get_strategy


@dataclass(frozen=True)
class Task:
    """One backtest to run anywhere: everything a worker needs, picklable."""

    lake: str
    strategy: str
    params: tuple[tuple[str, Any], ...]
    start: str
    end: str
    vintage: Vintage = "as_of"
    costs: CostModel = field(default_factory=CostModel)
    verify: int = 0  # rebalance dates recomputed on the lake as known then (run_backtest)
    progress: bool = False  # bars over the dates (for a task run in the caller's process)


def run_task(task: Task) -> BacktestResult:
    """Open the lake by path in the worker and run one backtest."""
    strategy = get_strategy(task.strategy, **dict(task.params))
    options = {k: getattr(task, k) for k in ("costs", "vintage", "verify", "progress")}
    return run_backtest(strategy, Lake.open(task.lake), task.start, task.end, **options)


def grid_params(grid: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the grid's values, in a stable order."""
    keys = sorted(grid)
    return [
        dict(zip(keys, values, strict=True))
        for values in itertools.product(*(grid[k] for k in keys))
    ]


def variant_label(params: Mapping[str, Any]) -> str:
    return ",".join(f"{k}={v}" for k, v in sorted(params.items())) or "default"


def run_many(
    tasks: Sequence[Task],
    executor: Executor | None = None,
    ledger: TrialLedger | None = None,
    *,
    progress: bool = False,
) -> list[BacktestResult]:
    """Run tasks (locally or on a cluster) and record each result as a trial; ``progress``
    shows a bar over the tasks (one task: over its dates, in this process)."""
    executor = executor or Executor(workers=1)
    if progress and len(tasks) == 1:
        tasks = [replace(tasks[0], progress=True)]
    bar = tqdm(total=len(tasks), desc="backtests", disable=not progress or len(tasks) == 1)
    with executor, bar:
        results = []
        for result in executor.imap(run_task, tasks):
            results.append(result)
            bar.update()
    if ledger is not None:
        for task, result in zip(tasks, results, strict=True):
            ledger.record(result, Lake.open(task.lake))
    return results


def sweep(
    lake: Lake,
    strategy: str,
    grid: Mapping[str, Sequence[Any]],
    start: str,
    end: str,
    *,
    executor: Executor | None = None,
    record: bool = True,
    progress: bool = False,
) -> tuple[pd.DataFrame, list[BacktestResult]]:
    """Backtest every parameter combination; returns (daily returns by variant, results)."""
    variants = grid_params(grid)
    tasks = [Task(str(lake.root), strategy, tuple(sorted(p.items())), start, end) for p in variants]
    ledger = TrialLedger.for_lake(lake) if record else None
    results = run_many(tasks, executor, ledger, progress=progress)
    returns = pd.concat(
        {variant_label(p): r.returns for p, r in zip(variants, results, strict=True)},
        axis=1,
        sort=True,
    )
    return returns, results


def vintage_grid(
    lake: Lake,
    strategy: str,
    start: str,
    end: str,
    *,
    params: Mapping[str, Any] | None = None,
    vintages: Sequence[Vintage] = VINTAGES,
    executor: Executor | None = None,
    record: bool = True,
) -> tuple[pd.DataFrame, list[BacktestResult]]:
    """The same strategy on first-release, real-time and latest data.

    Returns the metrics side by side with the move of each against the real-time (as_of)
    run: the part of a number that rests on revisions nobody had at the time.
    """
    p = tuple(sorted((params or {}).items()))
    tasks = [Task(str(lake.root), strategy, p, start, end, v) for v in vintages]
    ledger = TrialLedger.for_lake(lake) if record else None
    results = run_many(tasks, executor, ledger)
    table = pd.concat({r.vintage: r.metrics for r in results}, axis=1)
    if "as_of" in table:
        for v in table.columns.drop("as_of"):
            table[f"{v} - as_of"] = table[v] - table["as_of"]
    return table, results

"""Benchmark: the monetary-policy agent cold at every month-end (issue 29, RATES_BR_02).

RATES_BR_02 reads this agent at each monthly decision; with an empty report store nearly
all of its time is the agent. Run side by side, in one process, each path from an empty
in-process memo (no report store):

* ``optimizer``  r* by the numerical optimiser (``rstar="optimizer"``): the estimator before
                 issue 29 (its reports were checked identical to the code before, to 0.0)
* ``profile``    the default: the exact profile-likelihood fit, one filter pass

Prints CPU and wall milliseconds per date, the 1-minute load average, the CPU milliseconds
of each step of the agent (load, features, models, signals, charts, ...) and of its models,
and the model change: the largest difference of the policy-stance signals, r* and its
standard error between the two; the Taylor-rule signals (what RATES_BR_02 and RATES_US_01
trade) must be identical. Run ``python benchmarks/monetary.py [--start D --end D]``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Any

import numpy as np
import pandas as pd
from _args import lake_parser, open_lake

from research_core._memo import MEMO
from research_core.agents import monetary
from research_core.agents.monetary import MonetaryPolicyAgent, rstar_method
from research_core.agents.report import AgentReport
from research_core.agents.runner import run_agent
from research_core.errors import AgentDataError, InsufficientDataError

STEPS = ("load", "features", "models", "signals", "charts", "narrative", "diagnostics")
MODELS = ("natural_rate", "taylor_rule", "output_gap", "monthly")
TAYLOR = ("DI1.1Y", "UST.2Y.FUT")


@contextmanager
def _clocked(owner: Any, name: str, spent: dict[str, float]) -> Iterator[None]:
    """Add the CPU seconds of every call of ``owner.name`` inside the block to ``spent``."""
    func = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time()
        try:
            return func(*args, **kwargs)
        finally:
            spent[name] = spent.get(name, 0.0) + time.process_time() - t0

    setattr(owner, name, timed)
    try:
        yield
    finally:
        setattr(owner, name, func)


def _run(lake: Any, dates: pd.DatetimeIndex, mode: str) -> dict[str, Any]:
    """Reports per date on ``mode``'s path, its CPU/wall seconds, the load and its steps."""
    spent: dict[str, float] = {}
    reports: dict[pd.Timestamp, AgentReport] = {}
    MEMO.clear()
    with ExitStack() as stack:
        stack.enter_context(rstar_method(mode))
        for step in STEPS:
            stack.enter_context(_clocked(MonetaryPolicyAgent, step, spent))
        for model in MODELS:
            stack.enter_context(_clocked(monetary, model, spent))
        load0, wall0, cpu0 = os.getloadavg()[0], time.perf_counter(), time.process_time()
        for d in dates:
            try:
                reports[d] = run_agent(lake.at(d), "monetary_policy", {})
            except (AgentDataError, InsufficientDataError):
                continue
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    MEMO.clear()
    load = (load0 + os.getloadavg()[0]) / 2
    return {"reports": reports, "wall": wall, "cpu": cpu, "load": load, "spent": spent}


def _largest(
    runs: dict[str, dict[str, Any]], value: Callable[[AgentReport], dict[str, float]]
) -> dict[str, float]:
    """Largest absolute difference of each named number between the two paths."""
    out: dict[str, float] = {}
    slow, fast = runs["optimizer"]["reports"], runs["profile"]["reports"]
    if slow.keys() != fast.keys():
        raise AssertionError("the two paths reported on different dates")
    for d in slow:
        a, b = value(slow[d]), value(fast[d])
        for k in a.keys() | b.keys():
            gap = abs(a.get(k, np.nan) - b.get(k, np.nan))
            out[k] = max(out.get(k, 0.0), float("inf") if np.isnan(gap) else gap)
    return out


def _signals(report: AgentReport) -> dict[str, float]:
    return {s.instrument: s.strength for s in report.signals}


def _rstar(report: AgentReport) -> dict[str, float]:
    out = {}
    for name, chart in report.charts.items():
        if name.startswith("rstar_"):
            out[f"{name} (pp)"] = float(chart["filtered"].iloc[-1])
            out[f"{name} se (pp)"] = float(chart["filtered_se"].iloc[-1])
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    args = lake_parser(__doc__, "2010-01-01").parse_args(argv)
    lake = open_lake(args.lake)
    dates = pd.date_range(args.start, args.end, freq="BME")
    run_agent(lake.at(dates[-1]), "monetary_policy", {})  # imports and the lake's files, once
    runs = {mode: _run(lake, dates, mode) for mode in ("optimizer", "profile")}
    signals = _largest(runs, _signals)
    moved = [k for k in TAYLOR if signals.get(k, 0.0) != 0.0]
    if moved:
        raise AssertionError(f"Taylor-rule signals differ between the r* estimators: {moved}")
    n = len(runs["profile"]["reports"])
    print(f"monetary_policy agent, {n} month-ends {args.start} → {args.end}, cold, one process")
    for mode, run in runs.items():
        steps = ", ".join(f"{k} {v / n * 1e3:.1f}" for k, v in run["spent"].items())
        print(
            f"{mode:<10} {run['cpu'] / n * 1e3:6.1f} ms CPU, {run['wall'] / n * 1e3:6.1f} ms wall "
            f"per date at load {run['load']:.1f}; CPU ms per date: {steps}"
        )
    slow, fast = runs["optimizer"], runs["profile"]
    print(f"optimizer / profile: {slow['cpu'] / fast['cpu']:.1f}x CPU")
    print("model change (profile vs optimizer), largest difference over the dates:")
    print("  Taylor-rule signals (DI1.1Y, UST.2Y.FUT): identical")
    for k in ("BR.POLICY_STANCE", "US.POLICY_STANCE"):
        print(f"  {k} z: {signals.get(k, 0.0):.2e}")
    for k, v in sorted(_largest(runs, _rstar).items()):
        print(f"  {k}: {v:.2e}")
    print(f"load average now {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    return {
        m: {"cpu_ms": r["cpu"] / n * 1e3, "wall_ms": r["wall"] / n * 1e3} for m, r in runs.items()
    }


if __name__ == "__main__":
    main()

"""What each daily step notebook calls: one function per step, reading the previous steps'
artifacts from the run folder and writing its own (Parquet tables, JSON records).

Steps pass data only through files (``runs/<D>/artifacts/<step>/``), never through kernel
state, so any step can be re-run or resumed on its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pandas as pd

from research_core.config import get_settings
from research_core.errors import WorkbenchError
from research_core.lake import Lake
from research_core.lake.pit import PITView
from research_core.records import Signal
from research_core.runs import ARTIFACTS, write_atomic


class StaleDataError(WorkbenchError):
    """Key series are staler than their release calendar allows (freshness gate: fail)."""


def _out(run_dir: str | Path, step: str) -> Path:
    folder = Path(run_dir) / ARTIFACTS / step
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_json(path: Path, data: Any) -> None:
    write_atomic(path, json.dumps(data, indent=1, default=str))


def _write_parquet(path: Path, frame: pd.DataFrame) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp)
    tmp.replace(path)


def _view(lake_path: str, as_of: str) -> PITView:
    """The lake as known at the end of ``as_of`` in the fund's time zone."""
    return Lake.open(lake_path).at(as_of)


def signals_frame(signals: Sequence[Signal]) -> pd.DataFrame:
    cols = list(Signal.__dataclass_fields__)
    frame = pd.DataFrame([asdict(s) for s in signals], columns=cols)
    frame["as_of"] = pd.to_datetime(frame["as_of"], utc=True)
    return frame


def signals_from_frame(frame: pd.DataFrame) -> list[Signal]:
    out = []
    for row in frame.to_dict("records"):
        weight = row.get("weight")
        out.append(
            Signal(
                as_of=pd.Timestamp(row["as_of"]),
                source=str(row["source"]),
                instrument=str(row["instrument"]),
                direction=int(row["direction"]),
                strength=float(row["strength"]),
                confidence=float(row["confidence"]),
                horizon_days=int(row["horizon_days"]),
                rationale=str(row["rationale"]),
                weight=None if weight is None or pd.isna(weight) else float(weight),
            )
        )
    return out


# ---- steps -------------------------------------------------------------------------------
def sample_refresh(*, lake_path: str, as_of: str, run_dir: str) -> dict[str, Any]:
    """Build the sample lake if it is missing (never deletes or rewrites anything)."""
    from research_core.lake.store import MANIFEST

    s = get_settings()
    built = not (Path(lake_path) / MANIFEST).exists()
    if built:  # the generator imports statsmodels and arch datasets: only when needed
        from research_core.lake.sample import build_sample_lake

        build_sample_lake(lake_path, start=s.sample_start, end=s.sample_end, seed=s.sample_seed)
    lake = Lake.open(lake_path)
    record = {"built": built, "lake_version": lake.version, "files": len(lake.files())}
    _write_json(_out(run_dir, "sample_refresh") / "lake.json", record)
    return record


def quality_gate(
    *,
    lake_path: str,
    as_of: str,
    run_dir: str,
    key_series: Sequence[str],
    on_stale: str = "mark",
) -> dict[str, Any]:
    """Data-quality findings at the as-of date, and the freshness gate on ``key_series``:
    stale ones mark the run stale (``on_stale="mark"``) or fail it (``"fail"``)."""
    from research_core.lake.quality import quality_report

    if on_stale not in ("mark", "fail"):
        raise WorkbenchError(f"on_stale must be 'mark' or 'fail', got {on_stale!r}")
    lake = Lake.open(lake_path)
    report = quality_report(lake, as_of=as_of)
    out = _out(run_dir, "quality")
    findings = report.to_frame()
    findings["obs_date"] = pd.to_datetime(findings["obs_date"])
    _write_parquet(out / "findings.parquet", findings)
    stale = findings[(findings["check"] == "stale") & findings["series_id"].isin(key_series)]
    gate = {
        "as_of": as_of,
        "stale": not stale.empty,
        "on_stale": on_stale,
        "key_series": list(key_series),
        "stale_series": stale["series_id"].tolist(),
        "details": stale["detail"].tolist(),
        "counts": findings["check"].value_counts().to_dict(),
    }
    _write_json(out / "freshness.json", gate)
    if gate["stale"] and on_stale == "fail":
        raise StaleDataError(f"stale key series at {as_of}: {gate['stale_series']}")
    return gate


def agents(*, lake_path: str, as_of: str, run_dir: str) -> dict[str, Any]:
    """The five agents' reports (JSON) and their signals (Parquet)."""
    from research_core.agents import run_agents

    reports = run_agents(_view(lake_path, as_of))
    out = _out(run_dir, "agents")
    _write_json(out / "reports.json", {k: r.to_dict() for k, r in reports.items()})
    sigs = [s for r in reports.values() for s in r.signals]
    _write_parquet(out / "signals.parquet", signals_frame(sigs))
    return {k: len(r.signals) for k, r in reports.items()}


def strategies(*, lake_path: str, as_of: str, run_dir: str) -> dict[str, Any]:
    """Every configured strategy's target positions as signals, with freshness and skips."""
    from research_core.errors import (
        AgentDataError,
        BacktestError,
        InsufficientDataError,
        ModelError,
    )
    from research_core.signals.sources import strategy_freshness, strategy_signals
    from research_core.strategies import load_config

    view = _view(lake_path, as_of)
    sigs: list[Signal] = []
    freshness: dict[str, float] = {}
    skipped: dict[str, str] = {}
    for name, strat in load_config().items():
        try:
            sigs += strategy_signals(view, strat)
        except (AgentDataError, InsufficientDataError, ModelError, BacktestError) as err:
            skipped[f"strategy:{name}"] = str(err)
            continue
        freshness[f"strategy:{name}"] = strategy_freshness(view, strat)
    out = _out(run_dir, "strategies")
    _write_parquet(out / "signals.parquet", signals_frame(sigs))
    _write_json(out / "sources.json", {"freshness": freshness, "skipped": skipped})
    return {"signals": len(sigs), "skipped": len(skipped)}


def book(
    *, lake_path: str, as_of: str, run_dir: str, method: str = "erc", lookback: int = 750
) -> dict[str, Any]:
    """Aggregate the agents' and strategies' signals and construct the book (weights)."""
    from research_core.agents import AgentReport
    from research_core.models.covariance import ledoit_wolf
    from research_core.portfolio.construct import construct
    from research_core.risk.report import book_returns
    from research_core.signals.aggregate import aggregate
    from research_core.signals.sources import freshness_from_report

    root = Path(run_dir) / ARTIFACTS
    reports = json.loads((root / "agents" / "reports.json").read_text("utf-8"))
    freshness = {
        f"agent:{k}": freshness_from_report(AgentReport.from_dict(v)) for k, v in reports.items()
    }
    freshness.update(json.loads((root / "strategies" / "sources.json").read_text())["freshness"])
    sigs = signals_from_frame(pd.read_parquet(root / "agents" / "signals.parquet"))
    sigs += signals_from_frame(pd.read_parquet(root / "strategies" / "signals.parquet"))
    agg = aggregate(sigs, freshness=freshness)
    ids = [i for i in agg.table.index if agg.table.at[i, "direction"] != 0]
    cov = ledoit_wolf(book_returns(_view(lake_path, as_of), ids, lookback)).covariance
    port = construct(agg, cov, method)
    out = _out(run_dir, "book")
    _write_parquet(out / "weights.parquet", port.to_frame())
    _write_parquet(out / "signals.parquet", agg.to_frame())
    _write_parquet(out / "provenance.parquet", agg.provenance)
    summary = {
        "method": method,
        "positions": int((port.weights != 0).sum()),
        "gross": float(port.weights.abs().sum()),
        "net": float(port.weights.sum()),
        "vol": float(port.vol),
        "regime": float(agg.regime),
        "regime_scale": float(port.regime_scale),
        "binding": [str(b) for b in port.binding],
        "summary": agg.summary() + "\n" + port.summary(),
    }
    _write_json(out / "summary.json", summary)
    return summary


def risk(
    *, lake_path: str, as_of: str, run_dir: str, nav: float = 1e9, n_sims: int = 100_000
) -> dict[str, Any]:
    """VaR/ES by method, components, stresses and limits of the book's weights."""
    from research_core.risk.report import risk_report

    weights = pd.read_parquet(Path(run_dir) / ARTIFACTS / "book" / "weights.parquet")["weight"]
    rep = risk_report(weights, _view(lake_path, as_of), nav=nav, n_sims=n_sims)
    out = _out(run_dir, "risk")
    _write_parquet(out / "var.parquet", rep.to_frame())
    parts = {(r.method, r.alpha): r.to_frame() for r in rep.results}
    components = pd.concat(parts, names=["method", "alpha", "instrument"])
    _write_parquet(out / "components.parquet", components)
    _write_parquet(out / "stress.parquet", rep.stress.to_frame())
    _write_parquet(out / "limits.parquet", rep.limits)
    summary = {"nav": nav, "summary": rep.summary()}
    _write_json(out / "summary.json", summary)
    return summary


def morning_pack(*, lake_path: str, as_of: str, run_dir: str) -> dict[str, Any]:
    """Build the Morning Pack (fact sheet, checked narrative, self-contained HTML)."""
    from research_core.narrative import build_morning_pack

    pack = build_morning_pack(run_dir, lake_path=lake_path)
    out = _out(run_dir, "morning_pack")
    pack.write(out)
    return {"narrative_source": pack.narrative.source, "facts": len(pack.facts)}

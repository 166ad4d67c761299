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
from typing import TYPE_CHECKING, Any

import pandas as pd

from research_core.config import get_settings
from research_core.errors import WorkbenchError
from research_core.lake import Lake
from research_core.lake.pit import PITView
from research_core.records import Signal
from research_core.runs import ARTIFACTS, write_atomic

if TYPE_CHECKING:
    from research_core.signals.sources import CollectedSignals


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
    written = _update_surprises(lake, as_of)
    record = {"built": built, "lake_version": lake.version, "files": len(lake.files())}
    record["surprises_written"] = written
    _write_json(_out(run_dir, "sample_refresh") / "lake.json", record)
    return record


def _update_surprises(lake: Lake, as_of: str) -> int:
    """Surprises of the prints out by ``as_of`` (issue 19): the whole history on a lake
    that has none yet (once, so agents see the same surprises at every date), then only
    the new ones."""
    from research_core.events import update_surprises

    return update_surprises(lake, as_of).written


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


def collected_signals(run_dir: str | Path) -> CollectedSignals:
    """The agents' and strategies' signals and freshness as the agents and strategies steps
    wrote them (what the book step aggregates, and what the PMS proposes from)."""
    from research_core.agents.base import AgentReport
    from research_core.signals.sources import CollectedSignals, freshness_from_report

    root = Path(run_dir) / ARTIFACTS
    reports = json.loads((root / "agents" / "reports.json").read_text("utf-8"))
    freshness = {
        f"agent:{k}": freshness_from_report(AgentReport.from_dict(v)) for k, v in reports.items()
    }
    sources = json.loads((root / "strategies" / "sources.json").read_text("utf-8"))
    freshness.update(sources["freshness"])
    sigs = signals_from_frame(pd.read_parquet(root / "agents" / "signals.parquet"))
    sigs += signals_from_frame(pd.read_parquet(root / "strategies" / "signals.parquet"))
    return CollectedSignals(tuple(sigs), freshness, dict(sources["skipped"]))


def book(
    *,
    lake_path: str,
    as_of: str,
    run_dir: str,
    db_url: str,
    method: str = "erc",
    lookback: int = 750,
    min_trade: float | None = None,
) -> dict[str, Any]:
    """The target book: the agents' and strategies' signals (from their steps) decided by
    ``portfolio.book.decide`` — the one decision path — against the book the PMS holds at
    ``as_of`` (marked by the pms step); then the proposals, held → target, stored in the
    PMS with their pre-trade risk."""
    from research_core.pms.proposals import MIN_TRADE
    from research_core.portfolio.book import decide, gather

    pms = _pms(db_url, lake_path)
    held = pms.exposures(as_of)
    view = _view(lake_path, as_of)
    gathered = gather(view, lookback=lookback, collected=collected_signals(run_dir))
    path = pms.nav_path(as_of)  # the drawdown ladder's input, as `workbench book` reads it
    equity = path if len(path) else None
    d = decide(
        view, method=method, current=held, lookback=lookback, gathered=gathered, equity=equity
    )
    port, agg = d.portfolio, d.aggregated
    made = pms.propose(as_of, decision=d, min_trade=MIN_TRADE if min_trade is None else min_trade)
    out = _out(run_dir, "book")
    _write_parquet(out / "weights.parquet", port.to_frame())
    _write_parquet(out / "signals.parquet", agg.to_frame())
    _write_parquet(out / "provenance.parquet", agg.provenance)
    _write_parquet(out / "proposals.parquet", _json_columns(pms.proposals(state="PROPOSED")))
    summary = {
        "book": "target",
        "method": method,
        "positions": int((port.weights != 0).sum()),
        "gross": float(port.weights.abs().sum()),
        "net": float(port.weights.sum()),
        "vol": float(port.vol),
        "regime": float(agg.regime),
        "regime_scale": float(port.regime_scale),
        "binding": [str(b) for b in port.binding],
        "held_positions": len(held),
        "new_proposals": len(made),
        "summary": agg.summary() + "\n" + port.summary(),
    }
    _write_json(out / "summary.json", summary)
    return summary


BOOKS = ("held", "target")  # risk/held/..., risk/target/...: the fund's book, the optimizer's


def risk(
    *, lake_path: str, as_of: str, run_dir: str, db_url: str, n_sims: int = 100_000
) -> dict[str, Any]:
    """VaR/ES by method, components, stresses and limits of the book held at ``as_of`` (the
    PMS's positions and NAV as marked then) and, separately, of the target book; the
    drawdown limit reads the PMS NAV history. An empty PMS has only its limit table."""
    from research_core.risk.report import risk_report

    pms = _pms(db_url, lake_path)
    view = _view(lake_path, as_of)
    nav, equity = pms.nav(as_of), pms.nav_path(as_of)
    eq = equity if len(equity) else None
    books = {
        "held": pms.exposures(as_of),
        "target": pd.read_parquet(Path(run_dir) / ARTIFACTS / "book" / "weights.parquet")["weight"],
    }
    summary: dict[str, Any] = {"as_of": as_of, "nav": nav}
    rows = {}
    for name, weights in books.items():
        out = _out(run_dir, f"risk/{name}")
        w = weights[weights != 0.0]
        if w.empty:
            limits = _empty_limits(view, nav=nav, equity=eq)
            _write_parquet(out / "limits.parquet", limits)
            rows[name] = _headline(None, limits, nav)
            summary[name] = {"positions": 0, "summary": "no positions held"}
            continue
        rep = risk_report(w, view, nav=nav, n_sims=n_sims, equity=eq)
        _write_report(out, rep)
        rows[name] = _headline(rep, rep.limits, nav)
        summary[name] = {"positions": len(w), "summary": rep.summary()}
    compare = pd.DataFrame(rows)
    compare["difference"] = compare["target"] - compare["held"]
    compare["unit"] = [UNITS[m] for m in compare.index]
    compare.index.name = "measure"
    _write_parquet(_out(run_dir, "risk") / "compare.parquet", compare)
    summary["held_empty"] = summary["held"]["positions"] == 0
    _write_json(_out(run_dir, "risk") / "summary.json", summary)
    return summary


UNITS = {
    "positions": "count",
    "gross": "× NAV",
    "net": "× NAV",
    "var99": "fraction of NAV",
    "es99": "fraction of NAV",
    "var99_brl": "BRL",
    "worst_stress": "fraction of NAV",
    "breaches": "count",
    "warnings": "count",
    "drawdown": "fraction of the high-water mark",
}


def _headline(rep: Any, limits: pd.DataFrame, nav: float) -> dict[str, float]:
    """The numbers compared held vs target (see :data:`UNITS`); an empty book has none of
    them at risk (zero), its limit table still counts (the drawdown row)."""
    dd = float(limits["value"].get("drawdown", float("nan")))
    out = {
        "positions": 0.0, "gross": 0.0, "net": 0.0, "var99": 0.0, "es99": 0.0,
        "var99_brl": 0.0, "worst_stress": 0.0,
        "breaches": float((limits["status"] == "breach").sum()),
        "warnings": float((limits["status"] == "warn").sum()),
        "drawdown": dd,
    }  # fmt: skip
    if rep is not None:
        var = rep.to_frame().loc[("historical", 0.99)]
        out |= {
            "positions": float(len(rep.weights)),
            "gross": float(rep.weights.abs().sum()),
            "net": float(rep.weights.sum()),
            "var99": float(var["var"]),
            "es99": float(var["es"]),
            "var99_brl": float(var["var_brl"]),
            "worst_stress": float(rep.stress.to_frame()["total"].min()) / nav,
        }
    return out


def _write_report(out: Path, rep: Any) -> None:
    """var, components, stress and limits of one book (the tables ``workbench book``
    writes as CSV)."""
    _write_parquet(out / "var.parquet", rep.to_frame())
    parts = {(r.method, r.alpha): r.to_frame() for r in rep.results}
    _write_parquet(
        out / "components.parquet", pd.concat(parts, names=["method", "alpha", "instrument"])
    )
    _write_parquet(out / "stress.parquet", rep.stress.to_frame())
    _write_parquet(out / "limits.parquet", rep.limits)


def _empty_limits(view: PITView, *, nav: float, equity: pd.Series | None) -> pd.DataFrame:
    """The limit table of a book with no positions: nothing used, the drawdown from the NAV."""
    from research_core.risk.breakers import DrawdownLadder
    from research_core.risk.limits import RiskLimits, limit_table

    limits = RiskLimits()
    dd = None if equity is None else DrawdownLadder(flatten=limits.drawdown).status(equity)[0]
    empty = pd.Series(dtype="float64")
    return limit_table(view, empty, var_99=0.0, es_99=0.0, drawdown=dd, nav=nav, limits=limits)


def morning_pack(*, lake_path: str, as_of: str, run_dir: str) -> dict[str, Any]:
    """Build the Morning Pack (fact sheet, checked narrative, self-contained HTML)."""
    from research_core.narrative import build_morning_pack

    pack = build_morning_pack(run_dir, lake_path=lake_path)
    out = _out(run_dir, "morning_pack")
    pack.write(out)
    return {"narrative_source": pack.narrative.source, "facts": len(pack.facts)}


# ---- PMS steps ---------------------------------------------------------------------------
def _pms(db_url: str, lake_path: str) -> Any:
    """The PMS at ``db_url`` (the runner hides passwords: then the URL comes from config)."""
    from research_core.pms import PMS

    url = db_url if db_url and "***" not in db_url else None
    return PMS.open(url, lake=lake_path)


def _json_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists and dicts as JSON text, so every column stores in Parquet."""
    out = frame.copy()
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, list | dict)).any():
            out[c] = out[c].map(lambda v: json.dumps(v, default=str))
    return out


def pms_mark(*, lake_path: str, as_of: str, run_dir: str, db_url: str) -> dict[str, Any]:
    """Mark the PMS book at ``as_of`` (idempotent; skipped if already marked later), so the
    book and risk steps read the book held as marked at ``as_of``."""
    pms = _pms(db_url, lake_path)
    hist = pms.nav_history()
    last = None if hist.empty else f"{hist.index.max():%Y-%m-%d}"
    if last is not None and last > as_of:
        mark: dict[str, Any] = {"skipped": f"already marked through {last}"}
    else:
        m = pms.mark(as_of)
        keys = ("nav_brl", "nav_usd", "pnl_brl", "pnl_usd", "trading_usd", "translation_usd")
        mark = {k: getattr(m, k) for k in (*keys, "lots")}
        mark["already_marked"] = m.already_marked
    held = pms.held(as_of)
    mark |= {"capital": float(pms.settings()["capital"]), "held_positions": len(held)}
    out = _out(run_dir, "pms")
    _write_json(out / "mark.json", {"as_of": as_of, **mark})
    _write_parquet(out / "held.parquet", held)
    _write_parquet(out / "positions.parquet", _json_columns(pms.positions()))
    _write_parquet(out / "nav_history.parquet", pms.nav_history())
    return {"mark": mark, "held": len(held)}


def attribution(*, lake_path: str, as_of: str, run_dir: str, db_url: str) -> dict[str, Any]:
    """P&L yesterday, MTD and YTD (Carino-linked) by strategy, agent, asset class,
    instrument and risk factor."""
    pms = _pms(db_url, lake_path)
    day = pd.Timestamp(as_of)
    starts = {"day": day, "mtd": day.replace(day=1), "ytd": day.replace(month=1, day=1)}
    rows = []
    for by in ("strategy", "agent", "asset_class", "instrument", "factor"):
        daily = pms.attribution(by, start=as_of, end=as_of)
        for group, value in (daily.sum() if not daily.empty else pd.Series(dtype=float)).items():
            rows.append({"by": by, "group": str(group), "period": "day", "value": float(value)})
        for period in ("mtd", "ytd"):
            linked = pms.linked_attribution(by, start=f"{starts[period]:%Y-%m-%d}", end=as_of)
            rows += [
                {"by": by, "group": str(g), "period": period, "value": float(v)}
                for g, v in linked.items()
            ]
    table = pd.DataFrame(rows, columns=["by", "group", "period", "value"])
    nav = pms.nav_history()
    nav = nav[nav.index <= day]
    pnl = {
        "as_of": as_of,
        "nav_brl": float(nav["nav_brl"].iloc[-1]) if len(nav) else float(pms.nav()),
        "pnl_day_brl": float(nav["pnl_brl"].iloc[-1]) if len(nav) else 0.0,
        "mtd": _period_return(nav, starts["mtd"], pms),
        "ytd": _period_return(nav, starts["ytd"], pms),
    }
    out = _out(run_dir, "attribution")
    _write_parquet(out / "attribution.parquet", table)
    _write_json(out / "pnl.json", pnl)
    return pnl


def _period_return(nav: pd.DataFrame, start: pd.Timestamp, pms: Any) -> float:
    """Compounded return of NAV from the last mark before ``start`` (or the capital)."""
    if nav.empty:
        return 0.0
    before = nav[nav.index < start]
    base = float(before["nav_brl"].iloc[-1]) if len(before) else float(pms.settings()["capital"])
    return float(nav["nav_brl"].iloc[-1]) / base - 1.0


def audit_anchor(*, lake_path: str, as_of: str, run_dir: str, db_url: str) -> dict[str, Any]:
    """Verify the audit chain and anchor its head in the run folder (outside the database),
    so a later truncation of the log is caught (``workbench audit verify --anchor``)."""
    pms = _pms(db_url, lake_path)
    check = pms.audit_verify()
    out = _out(run_dir, "audit")
    if not check.ok:
        raise WorkbenchError(f"audit chain does not verify: {check}")
    pms.write_anchor(out / "anchor.json")
    return json.loads((out / "anchor.json").read_text("utf-8"))


def store_briefing(*, lake_path: str, as_of: str, run_dir: str, db_url: str) -> dict[str, Any]:
    """Store the day's Morning Pack in the PMS with the fingerprint of its inputs."""
    import hashlib

    from research_core.runs import RunFolder

    run = RunFolder(Path(run_dir))
    html = run.artifact("morning_pack/morning_pack.html")
    facts = run.artifact_path("morning_pack/facts.json").read_bytes()
    inputs = {
        "as_of": as_of,
        "facts_sha256": hashlib.sha256(facts).hexdigest(),
        "lake": run.manifest.get("lake"),
        "code": run.manifest.get("code"),
    }
    fingerprint = _pms(db_url, lake_path).store_briefing(as_of, html, inputs)
    record = {"as_of": as_of, "fingerprint": fingerprint, "inputs": inputs}
    _write_json(_out(run_dir, "briefing") / "briefing.json", record)
    return record

"""What each daily step notebook calls: one function per step, reading the previous steps'
artifacts from the run folder and writing its own (Parquet tables, JSON records).

Steps pass data only through files (``runs/<D>/artifacts/<step>/``), never through kernel
state, so any step can be re-run or resumed on its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from research_core import _files, workspace
from research_core.errors import StaleQuoteError, WorkbenchError
from research_core.lake import Lake
from research_core.lake.pit import PITView
from research_core.records import Signal
from research_core.runs import ARTIFACTS, RunFolder, layout, write_atomic

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
    """One artifact table, written atomically under its folder's lock (``_files``)."""
    _files.write_atomic(path, frame.to_parquet)


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

    built = not (Path(lake_path) / MANIFEST).exists()
    if built:  # the generator imports statsmodels and arch datasets: only when needed
        from research_core.lake.sample import open_sample_lake

        open_sample_lake(lake_path)
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
    """The five agents' reports (JSON), their signals and the signal history across runs
    (Parquet; ``pipeline.signal_history``). Reports are read from and kept in the lake's
    store (``agents.store``), where a rerun, ``agents run``, the book backtest, a proposal
    and its replay on the same snapshot and date find them."""
    from research_core.agents import run_agents
    from research_core.agents.store import stored_reports
    from research_core.pipeline.signal_history import signal_history

    lake = Lake.open(lake_path)
    with stored_reports(lake):
        reports = run_agents(lake.at(as_of))
    out = _out(run_dir, "agents")
    _write_json(out / "reports.json", {k: r.to_dict() for k, r in reports.items()})
    sigs = [s for r in reports.values() for s in r.signals]
    frame = signals_frame(sigs)
    _write_parquet(out / "signals.parquet", frame)
    _write_parquet(out / "history.parquet", signal_history(run_dir, as_of, frame))
    return {k: len(r.signals) for k, r in reports.items()}


def strategies(*, lake_path: str, as_of: str, run_dir: str) -> dict[str, Any]:
    """Every configured strategy's target positions as signals, with freshness and skips;
    read from and kept in the lake's store (``signals.sources.strategy_outcome``), where
    the book backtest, a proposal and its replay on the same snapshot and date find them."""
    from research_core.agents.store import shelf, stored_reports
    from research_core.signals.sources import strategy_outcome
    from research_core.strategies import load_config

    lake = Lake.open(lake_path)
    view = lake.at(as_of)
    sigs: list[Signal] = []
    freshness: dict[str, float] = {}
    skipped: dict[str, str] = {}
    last: dict[str, int | None] = {}
    with stored_reports(lake):
        kept = shelf(view)
        with kept.batch() if kept is not None else nullcontext():  # the shelf written once
            for name, strat in load_config().items():
                said = strategy_outcome(view, strat, last, kept)
                if said.skipped is not None:
                    skipped[f"strategy:{name}"] = said.skipped
                    continue
                sigs += said.signals
                freshness[f"strategy:{name}"] = said.freshness
    out = _out(run_dir, "strategies")
    _write_parquet(out / "signals.parquet", signals_frame(sigs))
    _write_json(out / "sources.json", {"freshness": freshness, "skipped": skipped})
    return {"signals": len(sigs), "skipped": len(skipped)}


def collected_signals(run_dir: str | Path) -> CollectedSignals:
    """The agents' and strategies' signals and freshness as the agents and strategies steps
    wrote them (what the book step aggregates, and what the PMS proposes from)."""
    from research_core.agents.report import AgentReport
    from research_core.signals.sources import CollectedSignals, freshness_from_report

    run = RunFolder(Path(run_dir))
    reports = run.artifact(layout.AGENT_REPORTS)
    freshness = {
        f"agent:{k}": freshness_from_report(AgentReport.from_dict(v)) for k, v in reports.items()
    }
    sources = run.artifact(layout.STRATEGY_SOURCES)
    freshness.update(sources["freshness"])
    sigs = signals_from_frame(run.artifact(layout.AGENT_SIGNALS))
    sigs += signals_from_frame(run.artifact(layout.STRATEGY_SIGNALS))
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
        "package": made.attrs.get("package"),  # pms.package(id): the proposals priced as one
        "not_proposed": made.attrs.get("dropped", []),  # below the minimum ticket
        "ladder": None if port.ladder is None else asdict(port.ladder),  # the alerts step reads it
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
    from research_core.pms.live import UNITS
    from research_core.pms.live import headline as _headline
    from research_core.risk.report import risk_report

    pms = _pms(db_url, lake_path)
    view = _view(lake_path, as_of)
    nav, equity = pms.nav(as_of), pms.nav_path(as_of)
    eq = equity if len(equity) else None
    books = {
        "held": pms.exposures(as_of),
        "target": RunFolder(Path(run_dir)).artifact(layout.BOOK_WEIGHTS)["weight"],
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
        summary[name]["correlation"] = _write_monitors(out, rep, view)
    compare = pd.DataFrame(rows)
    compare["difference"] = compare["target"] - compare["held"]
    compare["unit"] = [UNITS[m] for m in compare.index]
    compare.index.name = "measure"
    _write_parquet(_out(run_dir, "risk") / "compare.parquet", compare)
    summary["held_empty"] = summary["held"]["positions"] == 0
    _write_json(_out(run_dir, "risk") / "summary.json", summary)
    return summary


def _write_report(out: Path, rep: Any) -> None:
    """var, components, stress and limits of one book (``pms.live.report_tables``, the
    tables ``workbench book`` writes as CSV)."""
    from research_core.pms.live import report_tables

    for name, table in report_tables(rep).items():
        _write_parquet(out / f"{name}.parquet", table)


def _write_monitors(out: Path, rep: Any, view: PITView) -> dict[str, Any] | None:
    """The book's VaR backtest (``backtest.parquet``: historical VaR out of sample, Kupiec
    and Christoffersen p-values), its VaR history against the limit (``var_history.parquet``)
    and correlation monitor (``correlation.parquet``: the
    pairs); returns the monitor's test (Jennrich) for the summary, None with one instrument."""
    from research_core.risk.backtesting import backtest_table, var_history, var_paths
    from research_core.risk.report import book_returns

    returns = book_returns(view, list(rep.weights.index))
    paths = var_paths(rep.weights, returns)
    _write_parquet(out / "backtest.parquet", backtest_table(rep.weights, returns, paths=paths))
    limit = rep.limits.loc[rep.limits["key"] == "var_99", "max"].iloc[0]  # limits.yaml
    _write_parquet(out / "var_history.parquet", var_history(paths, limit))
    mon = rep.correlation
    if mon is None:
        return None
    _write_parquet(out / "correlation.parquet", mon.pairs.reset_index())
    return {"statistic": mon.statistic, "df": mon.df, "p_value": mon.p_value,
            "flagged": bool(mon.flagged)}  # fmt: skip


def _empty_limits(view: PITView, *, nav: float, equity: pd.Series | None) -> pd.DataFrame:
    """The limit table of a book with no positions: nothing used, the drawdown from the NAV."""
    from research_core.risk.limits import RiskLimits, limit_table

    limits = RiskLimits()
    dd = None if equity is None else limits.ladder().status(equity)[0]
    empty = pd.Series(dtype="float64")
    return limit_table(view, empty, var_99=0.0, es_99=0.0, drawdown=dd, nav=nav, limits=limits)


def alerts(*, lake_path: str, as_of: str, run_dir: str, db_url: str) -> dict[str, Any]:
    """The day's alerts from this run folder (limits, stale series, steps, health cards,
    drawdown ladder, data quality), stored in the PMS once per subject and sent through
    the channels ``alerts.yaml`` configures. A failed delivery is recorded and retried at
    the next run; it never fails this step."""
    from research_core.alerts import raise_alerts
    from research_core.pms import PMS

    records = RunFolder(Path(run_dir)).manifest.steps
    deadlines = {r["name"]: float(r["deadline_s"]) for r in records if r.get("deadline_s")}
    engine = PMS.open(db_url if db_url and "***" not in db_url else None).engine  # no lake read
    result = raise_alerts(run_dir, engine, deadlines=deadlines)
    return {"alerts": result.found, "new": result.new, "delivery": result.delivery.summary()}


HEALTH_CACHE = ".health_cache"  # beside the run folders: cards by strategy and lake snapshot


def health(
    *, lake_path: str, as_of: str, run_dir: str, db_url: str, backtests: str | None = None
) -> dict[str, Any]:
    """Health cards of the live strategies (those the strategies step ran) from their
    stored backtests (``backtests``, default ``<workspace>/backtests``) and the PMS's
    live P&L, reused from the cache when nothing they read changed; one line per strategy
    with no stored backtest, saying how to make one."""
    import time

    from research_core.health.loop import cards_frame, health_loop

    t0 = time.perf_counter()
    sources = RunFolder(Path(run_dir)).artifact(layout.STRATEGY_SOURCES)
    names = {k.removeprefix("strategy:") for k in (*sources["freshness"], *sources["skipped"])}
    lake = Lake.open(lake_path)
    stored = Path(backtests) if backtests else workspace.folder(lake.root, "backtests")
    live = None  # the PMS (about 1.5 s to import) only when some card can use its P&L
    if any(workspace.backtest_returns(lake.root, n, stored).is_file() for n in names):
        from research_core.health.drift import live_returns

        pms = _pms(db_url, lake_path)
        live = live_returns(pms.pnl_history(), pms.nav_history())
        live = live.rename(columns=lambda c: str(c).removeprefix("strategy:"))
    cache = Path(run_dir).resolve().parent / HEALTH_CACHE
    result = health_loop(lake, as_of, names, cache_dir=cache, live=live, backtests=stored)
    out = _out(run_dir, "health")
    _write_parquet(out / "cards.parquet", cards_frame(result))
    _write_parquet(out / "health_paths.parquet", result.paths)
    record = result.record() | {"seconds": round(time.perf_counter() - t0, 2)}
    _write_json(out / "cards.json", record)
    for name, command in result.missing.items():
        print(f"{name}: no stored backtest; make one with `{command}`")
    for name, why in result.skipped.items():
        print(f"{name}: not assessed ({why})")
    counts = cards_frame(result)["status"].value_counts().to_dict()
    return {"cards": counts, "missing": len(result.missing), "computed": len(result.computed),
            "reused": len(result.reused), "seconds": record["seconds"]}  # fmt: skip


def curves(*, lake_path: str, as_of: str, run_dir: str) -> dict[str, Any]:
    """DI, NTN-B and UST curves today vs 1 week and 1 month ago, the Copom path vs Focus,
    breakevens and the largest moves (``curves/*.parquet``, ``curves/summary.json``)."""
    from research_core.curves.tables import curve_tables

    tables, summary = curve_tables(_view(lake_path, as_of))
    out = _out(run_dir, "curves")
    for name, frame in tables.items():
        _write_parquet(out / f"{name}.parquet", frame)
    _write_json(out / "summary.json", summary)
    return summary


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
    book and risk steps read the book held as marked at ``as_of``. Stale quotes for a held
    instrument skip the mark (said in ``mark.json``; the book stays at its last mark) rather
    than fail the run or accept them: accepting is a person's call (``pms mark --stale-ok``)."""
    pms = _pms(db_url, lake_path)
    hist = pms.nav_history()
    last = None if hist.empty else f"{hist.index.max():%Y-%m-%d}"
    if last is not None and last > as_of:
        mark: dict[str, Any] = {"skipped": f"already marked through {last}"}
    else:
        try:
            m = pms.mark(as_of)
        except StaleQuoteError as e:
            m = None
            mark = {"skipped": str(e), "stale_quotes": True, "last_mark": last}
        if m is not None:
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
    instrument and risk factor (``pms.live.attribution_table``)."""
    from research_core.pms.live import attribution_table

    table, pnl = attribution_table(_pms(db_url, lake_path), as_of)
    out = _out(run_dir, "attribution")
    _write_parquet(out / "attribution.parquet", table)
    _write_json(out / "pnl.json", pnl)
    return pnl


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

    run = RunFolder(Path(run_dir))
    html = run.artifact(layout.PACK_HTML)
    facts = run.artifact_path(layout.PACK_FACTS).read_bytes()
    inputs = {
        "as_of": as_of,
        "facts_sha256": hashlib.sha256(facts).hexdigest(),
        "lake": run.manifest.lake and dict(run.manifest.lake),
        "code": run.manifest.code and dict(run.manifest.code),
    }
    pms = _pms(db_url, lake_path)
    # a forced re-run (run version > 1) stores the next briefing version, never over one
    fingerprint = pms.store_briefing(as_of, html, inputs, revise=run.version > 1)
    stored = pms.briefing(as_of) or {}
    record = {
        "as_of": as_of,
        "fingerprint": fingerprint,
        "version": stored.get("version"),
        "inputs": inputs,
    }
    _write_json(_out(run_dir, "briefing") / "briefing.json", record)
    return record

"""The daily pipeline end to end on a copy of the sample lake, for the first session after
its end, the ingest step answered by the replay folders (one run, shared: ``daily_run`` in
the root conftest, with ``daily_lake``, the lake it ingested into)."""

from __future__ import annotations

import hashlib
import json
import re

import nbformat
import pandas as pd

from research_core import workspace
from research_core.agents.base import AgentReport
from research_core.lake import Lake
from research_core.narrative import check_narrative
from research_core.narrative.facts import FactSheet
from research_core.pipeline import load_pipeline, run_pipeline
from research_core.runs import RunFolder, list_runs

DAY = "2026-11-03"  # the run's date (conftest.DAILY_DAY); the sample lake ends 2026-10-30


def test_every_step_succeeds_and_the_manifest_records_the_run(daily_run, daily_lake):
    run = RunFolder(daily_run.path)
    assert run.status == "succeeded", daily_run.summary()
    steps = [s.name for s in load_pipeline("pipelines/daily.yaml").steps]
    assert [s["name"] for s in run.manifest.steps] == steps
    m = run.manifest
    assert m.lake is not None and m.code is not None
    assert m.lake["version"] == Lake.open(daily_lake).version
    view = Lake.open(daily_lake).at_snapshot(m.lake["snapshot_id"])
    assert view.as_of == Lake.open(daily_lake).at(DAY).as_of
    assert m.parameters["as_of"] == DAY and m.code["package"]
    assert list_runs(daily_run.path.parent) == [DAY]
    for step in m.steps:
        # one attempt, or two when the first kernel died starting (a ZMQ port taken by
        # another process on a busy machine): the transient the runner retries by design
        log = daily_run.path / ".work" / f"{step['name']}.log"
        died = log.exists() and "Kernel died before replying" in log.read_text()
        assert step["attempts"] == 1 or (died and step["attempts"] == 2), step["name"]
        assert step["duration_s"] > 0
        for name, digest in step["artifacts"].items():  # checksums match the files
            assert hashlib.sha256(run.artifact_path(name).read_bytes()).hexdigest() == digest
        nb = nbformat.read(run.notebook_path(step["name"]), as_version=4)
        assert nb.cells[0].metadata["tags"] == ["injected-guard"]
        params = [c for c in nb.cells if "injected-parameters" in c.metadata.get("tags", [])]
        assert params and DAY in params[0].source


def test_the_replayed_day_reaches_the_lake_the_agents_and_the_pack(daily_run, daily_lake):
    """``pipeline run --replay``: the ingest step stored the new day from the replayed
    bodies (pipelines/replay and ../shared/fixtures/api) before the other steps read it."""
    run = RunFolder(daily_run.path)
    assert run.manifest.steps[0]["name"] == "ingest"
    ingest = run.artifact("ingest/ingest.json")
    assert ingest["status"] == "ingested" and ingest["added"] == 171
    # lake: PTAX of 11-03 from the replayed bulletin (CotacaoDolarPeriodo.json)
    assert Lake.open(daily_lake).at(DAY).series("BRL.USD.PTAX").iloc[-1] == 5.6161
    # agents: the FX agent read that fixing (period and value)
    fx = AgentReport.from_dict(run.artifact("agents/reports.json")["fx_equilibrium"])
    read = fx.inputs.loc[fx.inputs["series_id"] == "BRL.USD.PTAX"].iloc[0]
    assert f"{read['obs_date']:%Y-%m-%d}" == DAY
    # pack: the day's closes (PTAX 5.6161, ^GSPC 9745.5208, 10y 4.09 in the bodies)
    facts = {f["id"]: f for f in run.artifact("morning_pack/facts.json")["facts"]}
    assert (facts["usdbrl.last"]["value"], facts["usdbrl.last"]["as_of"]) == (5.6161, DAY)
    assert (facts["spx.last"]["value"], facts["ust_10y.last"]["value"]) == (9745.5208, 4.09)
    assert "5.6161" in run.artifact("morning_pack/morning_pack.html")
    # then the gate decided: every key series on time
    assert run.artifact("quality/freshness.json")["stale_series"] == []


def test_artifacts_follow_the_contract(daily_run, daily_lake):
    run = RunFolder(DAY, runs_path=daily_run.path.parent)
    weights = run.artifact("book/weights.parquet")
    assert weights.index.name == "instrument"
    assert list(weights.columns) == [
        "weight", "target", "current", "trade", "risk_contribution", "expected_return"
    ]  # fmt: skip
    var = run.artifact("risk/target/var.parquet")
    assert var.index.names == ["method", "alpha"]
    assert list(var.columns) == ["var", "es", "var_brl", "es_brl", "fit"]
    # VaR in BRL is the fraction of NAV times the NAV: the new PMS's capital (1e9)
    assert (var["var_brl"] - var["var"] * 1e9).abs().max() < 1e-3
    comps = run.artifact("risk/target/components.parquet")
    assert comps.index.names == ["method", "alpha", "instrument"]
    hist = comps.xs(("historical", 0.99), level=("method", "alpha"))
    assert abs(hist["component_var"].sum() - var.loc[("historical", 0.99), "var"]) < 1e-9
    assert set(hist.index) == set(weights.index)
    limits = run.artifact("risk/target/limits.parquet")
    assert {"value", "max", "utilization", "status"} <= set(limits.columns)
    # the PMS of a fresh run holds nothing: the held book has its limit table (drawdown
    # read from the NAV history the pms step wrote: 0, not n/a) and no risk tables
    held = run.artifact("risk/held/limits.parquet")
    assert held.loc["drawdown", "value"] == 0.0 and held.loc["drawdown", "status"] == "ok"
    assert not (run.path / "artifacts/risk/held/var.parquet").exists()
    compare = run.artifact("risk/compare.parquet")
    assert compare.loc["positions", "held"] == 0 and compare.loc["var99", "held"] == 0
    assert compare.loc["var99", "target"] == var.loc[("historical", 0.99), "var"]
    assert (weights["current"] == 0).all()  # decided against the (empty) held book
    reports = run.artifact("agents/reports.json")
    assert set(reports) == {"inflation", "monetary_policy", "fiscal", "fx_equilibrium",
                            "cross_asset"}  # fmt: skip
    gate = run.artifact("quality/freshness.json")
    assert gate["stale"] is False and run.stale is False


def test_morning_pack_is_self_contained_and_its_numbers_come_from_the_facts(daily_run, daily_lake):
    run = RunFolder(daily_run.path)
    page = run.artifact("morning_pack/morning_pack.html")
    assert f"Morning Pack — {DAY}" in page and "Sample data" in page
    # no request to any host: no scripts, links, imports or URLs of any scheme
    assert not re.search(r"<script|<link|<img|<iframe|@import|url\(|https?:|//[a-z]", page, re.I)
    record = run.artifact("morning_pack/facts.json")
    sheet = FactSheet.from_dict(record)
    text = record["narrative"]["text"]
    assert record["narrative"]["source"] == "template"  # no API key in tests
    assert check_narrative(text, sheet).ok and record["narrative"]["numbers_checked"] >= 30
    # facts recomputed by hand from the lake and the risk table
    ptax = Lake.open(daily_lake).at(DAY).series("BRL.USD.PTAX").dropna()
    assert abs(sheet["usdbrl.last"].value - ptax.iloc[-1]) < 1e-12
    assert f"to {ptax.iloc[-1]:.4f}" in text
    chg = (ptax.iloc[-1] / ptax.iloc[-2] - 1) * 100
    assert f"{abs(chg):.2f} % to" in text
    assert ("rose" if chg > 0 else "fell") + f" {abs(chg):.2f}" in text
    var99 = run.artifact("risk/target/var.parquet").loc[("historical", 0.99), "var"] * 100
    assert f"Target-book risk: 99 % 1-day VaR is {var99:.2f} % of NAV" in text
    assert f"{var99:.2f}" in page
    # an empty PMS: said so, and the target is never presented as the fund's book
    assert "Held book: no positions held; target shown." in text
    assert "no positions held; target shown" in page and "Held-book 99 %" not in text
    # the first section after the what-matters lines is the day's alerts: one per limit of
    # either book in breach or near (the limit tables read here), every line's numbers checked
    first = re.search(
        r'<main><section data-section="today".*?</section>'
        r'<section data-section="alerts" id="alerts"[^>]*><h2>([^<]+)</h2>(.*?)</section>',
        page,
    )
    assert first is not None and first.group(1) == "Alerts and breaches"
    flagged = sum(
        int(run.artifact(f"risk/{b}/limits.parquet")["status"].isin(["breach", "warn"]).sum())
        for b in ("held", "target")
    )
    assert first.group(2).count("<li") == flagged
    assert f"{flagged} of {flagged} alert lines checked" in first.group(2) or flagged == 0


def test_the_health_step_names_each_strategy_without_a_backtest_and_the_pack_says_so(
    daily_run, daily_lake
):
    """Every configured strategy has a card or one line with the command that stores its
    backtest (the sample lake stores none); the pack's Strategy health section counts them
    with checked numbers."""
    from research_core.strategies import load_config

    run = RunFolder(daily_run.path)
    record = run.artifact("health/cards.json")
    stored = set(workspace.stored_backtests(daily_lake))
    names = set(load_config())
    assert set(record["missing"]) == names - stored
    assert {c["name"] for c in record["cards"]} | set(record["skipped"]) == names & stored
    for name, command in record["missing"].items():
        assert command == f"workbench backtest {name} --start 2020-01-01 --end {DAY}"
    facts = FactSheet.from_dict(run.artifact("morning_pack/facts.json"))
    assert facts["health.missing"].value == len(names - stored)
    page = run.artifact("morning_pack/morning_pack.html")
    n = len(names - stored)
    noun = "strategy" if n == 1 else "strategies"
    assert f"Strategy health: {n} live {noun} without a stored backtest." in page


def test_a_finished_date_is_a_no_op(daily_run, daily_lake):
    before = (daily_run.path / "manifest.json").read_text()
    again = run_pipeline(
        DAY,
        pipeline="pipelines/daily.yaml",
        runs_path=daily_run.path.parent,
        lake_path=daily_lake,
        progress=False,
    )
    assert again.noop and (daily_run.path / "manifest.json").read_text() == before
    assert json.loads(before)["status"] == "succeeded"
    assert pd.Timestamp(json.loads(before)["finished_at"]) > pd.Timestamp(
        json.loads(before)["started_at"]
    )


def test_pms_steps_mark_propose_anchor_and_store_the_briefing(daily_run, daily_lake):
    from research_core.catalog import instrument
    from research_core.pms import PMS
    from research_core.pms.proposals import LOT_ROUND

    run = RunFolder(daily_run.path)
    pms = PMS.open(f"sqlite:///{daily_run.path.parent / 'pms.db'}", lake=daily_lake)
    proposals = run.artifact("book/proposals.parquet")
    assert len(proposals) > 0 and set(proposals["state"]) == {"PROPOSED"}
    assert len(proposals) == len(pms.proposals(state="PROPOSED"))
    # held → target: an empty PMS, so each proposal is the target weight itself, in whole
    # contracts (listed futures) or lots of LOT_ROUND: within one of them
    weights = run.artifact("book/weights.parquet")["weight"]
    props = proposals.set_index("instrument")
    fx = pms.view(DAY).series("BRL.USD.SPOT").dropna().iloc[-1]
    per_unit = pd.Series([fx if instrument(i).currency == "USD" else 1.0 for i in props.index],
                         props.index)  # fmt: skip
    step = (props["size"] / props["contracts"]).fillna(LOT_ROUND) * per_unit / 1e9
    assert ((props["delta_weight"] - weights[props.index]).abs() <= step + 1e-15).all()
    anchor = run.artifact("audit/anchor.json")
    assert pms.audit_verify(run.artifact_path("audit/anchor.json")).ok  # the anchor is a prefix
    page = run.artifact("morning_pack/morning_pack.html")
    assert anchor["hash"] in page  # printed in the pack
    stored = pms.briefing(DAY)
    assert stored is not None and stored["content"] == page
    assert stored["fingerprint"] == run.artifact("briefing/briefing.json")["fingerprint"]
    pnl = run.artifact("attribution/pnl.json")
    assert pnl["nav_brl"] == pms.nav()

"""The five agents on the sample lake: reports, point-in-time identity, history, errors."""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hmmlearn.hmm import GaussianHMM

from research_core.agents import AGENTS, AgentReport, agent_order, run_agents
from research_core.agents.cross_asset import CrossAssetAgent, regime_refit
from research_core.agents.fiscal import FiscalAgent
from research_core.agents.history import (
    as_of_dates,
    final_estimates,
    read_report,
    read_signals,
    realtime_record,
)
from research_core.agents.inflation import InflationAgent
from research_core.agents.reasons import reason_problems
from research_core.cli import main
from research_core.errors import AgentDataError, CatalogError
from research_core.lake.maintenance import export_as_of
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.viz import fan_chart


@pytest.fixture(scope="module")
def lake(sample_lake_path: Path) -> Lake:
    return Lake.open(sample_lake_path)


def lake_without(lake: Lake, series: set[str], path: Path) -> Lake:
    """A copy of the lake with some series removed entirely."""
    table = lake.table()
    frame = table.drop_columns(["ingested_at"]).to_pandas()
    frame = frame[~frame["series_id"].isin(series)]
    frame["obs_date"] = pd.to_datetime(frame["obs_date"])
    out = Lake.open(path, create=True)
    out.write(frame)
    return out


@pytest.mark.parametrize("as_of", ["2010-01-29", "2016-05-31", "2026-10-30"])
def test_five_agents_report_with_evidence(lake: Lake, as_of: str) -> None:
    reports = run_agents(lake.at(as_of))
    assert list(reports) == agent_order() and len(reports) == 5
    instant = lake.at(as_of).as_of
    for name, r in reports.items():
        assert r.agent == name and r.as_of == instant
        assert r.signals, f"{name} said nothing at {as_of}"
        for s in r.signals:
            assert math.isfinite(s.strength) and 0.0 <= s.confidence <= 1.0, (name, s)
            assert s.source == f"agent:{name}" and s.rationale
            assert s.direction == 0 or s.direction == (1 if s.strength > 0 else -1)
            assert reason_problems(s) == [], (name, s.rationale)  # the reason agrees with it
        targets = [(s.instrument, s.model) for s in r.signals]
        assert len(set(targets)) == len(targets), targets  # one target, told apart by model
        assert not r.inputs.empty and (r.inputs["release_time"] <= instant).all()
        assert r.diagnostics and r.narrative
        again = AgentReport.from_dict(json.loads(json.dumps(r.to_dict())))
        assert again.to_dict() == r.to_dict()
    mp = reports["monetary_policy"].diagnostics
    assert {"coef", "std_err", "t", "p"} <= set(mp["taylor_BR"].columns)
    assert {"r2", "durbin_watson", "jarque_bera_p"} <= set(mp["taylor_BR.fit"].index)


@pytest.mark.parametrize("as_of", ["2011-03-15", "2018-07-31", "2024-02-29"])
def test_reports_are_identical_on_a_lake_truncated_at_the_as_of(
    lake: Lake, as_of: str, tmp_path: Path
) -> None:
    """Point in time: the full lake at D and a lake holding only rows released by D."""
    full = run_agents(lake.at(as_of))
    truncated = export_as_of(lake, as_of, tmp_path / "lake")
    assert truncated.version == 1
    short = run_agents(truncated.at(as_of))
    for name in full:
        assert full[name].to_dict() == short[name].to_dict(), name


def _risk_probabilities(fit_on: pd.DataFrame, data: pd.DataFrame) -> np.ndarray:
    """Risk-on/off probabilities of ``data`` from a 2-state Gaussian HMM fitted on ``fit_on``
    with hmmlearn directly (the model's settings: full covariance, seed 0, 200 iterations,
    tolerance 1e-4), both scaled by ``fit_on``'s standard deviation; risk-on is the state
    with the smaller covariance trace."""
    scale = fit_on.std()
    hmm = GaussianHMM(2, covariance_type="full", n_iter=200, random_state=0, tol=1e-4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        hmm.fit((fit_on / scale).to_numpy())
    calm = int(np.argmin([np.trace(c) for c in hmm.covars_]))
    return hmm.predict_proba((data / scale).to_numpy())[:, [calm, 1 - calm]]


def test_cross_asset_hmms_are_refitted_yearly_and_filtered_between(lake: Lake) -> None:
    # Issue 29: at 2016-07-29 the risk regime uses the HMM fitted on what was known at the
    # end of 2015, run over the returns known in July 2016; refit="every" fits on July's.
    def returns(view: PITView) -> pd.DataFrame:
        agent = CrossAssetAgent()
        return agent.features(agent.load(view, [])[0], [])["returns"]

    view = lake.at("2016-07-29")
    now, then = returns(view), returns(view.at("2015-12-31"))
    yearly = run_agents(view, ["cross_asset"])["cross_asset"]
    chart = yearly.charts["risk_regime"]
    assert chart.index.equals(now.index) and now.index[-1] > then.index[-1]
    np.testing.assert_allclose(chart.to_numpy(), _risk_probabilities(then, now), atol=1e-9)
    # the last periods known at the refit: October's macro data, the week ending 2016-01-01
    assert "hmm fitted through 2015-10" in yearly.narrative[0]
    assert "hmm fitted through 2016-01" in yearly.narrative[1]
    with regime_refit("every"):
        every = run_agents(view, ["cross_asset"])["cross_asset"]
    np.testing.assert_allclose(
        every.charts["risk_regime"].to_numpy(), _risk_probabilities(now, now), atol=1e-9
    )
    with pytest.raises(AgentDataError, match="refit 'monthly'"), regime_refit("monthly"):
        pass


def test_required_series_missing_at_the_as_of_is_named(lake: Lake, tmp_path: Path) -> None:
    with pytest.raises(AgentDataError, match=r"BR\.IPCA\.MOM has no data released by 2004"):
        InflationAgent().run(lake.at("2004-06-30"))
    partial = lake_without(lake, {"BR.FOCUS.IPCA.12M", "US.VIX"}, tmp_path / "partial")
    with pytest.raises(AgentDataError, match=r"BR\.FOCUS\.IPCA\.12M"):
        InflationAgent().run(partial.at("2020-06-30"))
    # An optional series missing: the agent runs and says what it skipped.
    report = FiscalAgent().run(partial.at("2020-06-30"))
    assert any("US.VIX had no data" in n for n in report.notes)
    assert "log_vix" not in report.diagnostics["cds_model"].index


def test_short_history_uses_documented_fallbacks(lake: Lake) -> None:
    reports = run_agents(lake.at("2010-01-29"))
    notes = " ".join(n for r in reports.values() for n in r.notes)
    assert "linear trend" in notes and "rule-based fallback" in notes
    assert reports["cross_asset"].diagnostics["macro_regime.transmat"].shape == (4, 4)


def test_agent_registry_and_order() -> None:
    order = agent_order(["cross_asset"])
    assert order[-1] == "cross_asset" and set(order) == set(AGENTS)
    assert agent_order(["fiscal"]) == ["fiscal"]
    with pytest.raises(CatalogError, match="valid: "):
        agent_order(["inflaton"])


def test_history_run_writes_artifacts_and_replaces_on_rerun(
    lake: Lake, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    copy = export_as_of(lake, "2019-04-30", tmp_path / "lake")
    args = ["agents", "run", "--path", str(copy.root), "--start", "2019-01-01"]
    args += ["--end", "2019-03-31", "--quiet"]
    assert main(args) == 0
    assert main(args) == 0  # rerun replaces the same dates' rows
    assert "15 reports for 3 dates" in capsys.readouterr().out
    folder = copy.root / "artifacts" / "agents"
    signals = read_signals(folder)
    dates = as_of_dates("2019-01-01", "2019-03-31")
    assert sorted(signals["as_of"].dt.tz_convert("America/Sao_Paulo").dt.date.unique()) == [
        d.date() for d in dates
    ]
    assert not signals.duplicated(["agent", "as_of", "instrument"]).any()
    assert len(list(folder.glob("*/*.json"))) == 15
    stored = read_report(folder, "fx_equilibrium", "2019-02-28")
    fresh = run_agents(copy.at("2019-02-28"), ["fx_equilibrium"])["fx_equilibrium"]
    assert stored.to_dict() == fresh.to_dict()
    realtime = pd.read_parquet(folder / "realtime.parquet")
    assert set(realtime["country"]) == {"BR", "US"} and len(realtime) == 6


def test_one_date_cli_prints_reports(lake: Lake, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["agents", "run", "--path", str(lake.root), "--as-of", "2020-03-31", "--no-write"]
    assert main([*args, "--agent", "monetary_policy"]) == 0
    out = capsys.readouterr().out
    assert "monetary_policy agent as of 2020-03-31" in out and "DI1.1Y" in out
    assert main(["agents", "run", "--path", str(lake.root)]) == 2


def test_fan_chart_of_the_real_time_record(lake: Lake) -> None:
    dates = as_of_dates("2018-01-01", "2018-06-30")
    reports = [run_agents(lake.at(d), ["monetary_policy"])["monetary_policy"] for d in dates]
    record = realtime_record(reports)
    br = record[record["country"] == "BR"]
    assert len(br) == len(dates) and (br["rstar_se"] > 0).all()
    final = final_estimates(reports[-1], "BR")
    fig = fan_chart(br, final, title="Brazil r*", sample=True)
    names = [t.name for t in fig.data]
    assert "r* real time" in names and "r* final (smoothed)" in names
    assert "sample data" in fig.layout.title.text
    # Real-time estimates differ from the final (smoothed) one: that is the point of the chart.
    last = final.reindex(pd.DatetimeIndex(br["obs_date"]))["smoothed"].to_numpy()
    assert abs(br["rstar"].to_numpy() - last).max() > 1e-6

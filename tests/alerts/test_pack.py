"""The Morning Pack's first section after its "what matters today" lines lists the day's
alerts, every number checked against its facts; the landing page shows the open ones at
the top."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from research_core.alerts import AlertsConfig, acknowledge, raise_alerts
from research_core.narrative import build_morning_pack
from research_core.narrative.alerts_section import alert_lines
from research_core.pipeline.steps import quality_gate
from research_core.viz.alerts_view import open_alerts_card, read_open_alerts
from tests.alerts.conftest import limits_table, write_run

LATE = "2026-12-15"  # the sample lake ends 2026-10-30: PTAX six weeks late


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    """SQLite only: the engines' differences are covered by test_delivery."""
    return f"sqlite:///{tmp_path / 'pms.db'}"


def test_the_pack_opens_with_the_alerts_with_checked_numbers(
    sample_lake_path, tmp_path, engine, clock
):
    run = write_run(tmp_path / "runs", LATE, **{"risk__held__limits.parquet": limits_table()})
    gate = quality_gate(lake_path=str(sample_lake_path), as_of=LATE, run_dir=str(run),
                        key_series=["BRL.USD.PTAX"], on_stale="mark")  # fmt: skip
    late = re.search(r"(\d+) days late", gate["details"][0])
    assert late is not None
    raise_alerts(run, engine, config=AlertsConfig(), now=clock)
    page = build_morning_pack(run, lake_path=sample_lake_path).html()
    first = re.search(
        r'<main><section data-section="today".*?</section>'
        r'<section data-section="alerts" id="alerts"[^>]*><h2>([^<]+)</h2>(.*?)</section>',
        page,
    )
    assert first is not None and first.group(1) == "Alerts and breaches"
    body = first.group(2)
    assert "VaR 99% 1d (held book): breach: value 1.23 %, limit 1.00 %, used 123 %" in body
    assert f"series BRL.USD.PTAX: stale: next release {late.group(1)} days late" in body
    assert "of 3 alert lines checked" in body and "number check:" not in body


def test_a_number_that_is_not_its_fact_is_caught(tmp_path, engine, clock):
    run = write_run(tmp_path / "runs", **{"risk__held__limits.parquet": limits_table()})
    raise_alerts(run, engine, config=AlertsConfig(), now=clock)
    record = json.loads((run / "artifacts/alerts/alerts.json").read_text())
    assert all(not problem for _, _, problem in alert_lines(record["alerts"], "2026-10-30"))
    alert = record["alerts"][0]
    spec = json.loads(alert["numbers"])
    spec["template"] = spec["template"].replace("{1}", "1.10 %")  # the limit typed by hand
    wrong = {**alert, "numbers": json.dumps(spec)}
    ((_, text, problem),) = alert_lines([wrong], "2026-10-30")
    assert "limit 1.10 %" in text and problem


def test_the_landing_page_shows_open_alerts(tmp_path, engine, clock):
    run = write_run(tmp_path / "runs", **{"risk__held__limits.parquet": limits_table()})
    raise_alerts(run, engine, config=AlertsConfig(), now=clock)
    acknowledge(engine, 2, actor="pm")
    data = read_open_alerts(str(engine.url))
    card = open_alerts_card(data["alerts"])
    assert card is not None and "Open alerts (1)" in card
    assert "VaR 99% 1d (held book)" in card and "gross leverage" not in card
    assert open_alerts_card(read_open_alerts(f"sqlite:///{tmp_path / 'none.db'}")["alerts"]) is None


def test_the_landing_page_shows_open_alerts_when_the_run_failed(tmp_path, engine, monkeypatch):
    from research_core.config import get_settings
    from research_core.viz.pages import items, read_page

    steps = [{"name": "risk", "status": "failed", "error": {"ename": "ValueError"}}]
    run = write_run(tmp_path / "runs", steps=steps)
    manifest = json.loads((run / "manifest.json").read_text())
    error = {"step": "risk", "cell": 3, "kind": "cell", "ename": "ValueError", "evalue": "x"}
    manifest |= {"status": "failed", "error": error}
    (run / "manifest.json").write_text(json.dumps(manifest))
    raise_alerts(run, engine, config=AlertsConfig(), write=False)
    monkeypatch.setenv("WORKBENCH_DB_URL", str(engine.url))
    get_settings.cache_clear()
    try:
        page = read_page("index", "date=2026-10-30", runs_path=tmp_path / "runs")
        shown = "".join(i for i in items(page) if isinstance(i, str))
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
    assert not page.run.usable
    assert "Open alerts (1)" in shown and "step risk" in shown and "failed (ValueError)" in shown

"""Page readers without a browser: bad dates and stale runs become messages, not errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from research_core.serve import ServeError, cell_timeout, kernel_environment, serve
from research_core.viz import pages
from research_core.viz.runs import DashboardError, requested_date
from tests.dashboards.runfolder import write_manifest


def test_requested_date() -> None:
    assert requested_date("date=2026-10-30&x=1") == "2026-10-30"
    assert requested_date("") is None
    for bad in ("date=abc", "date=2026-13-01", "date=30/10/2026"):
        with pytest.raises(DashboardError, match="is not a"):
            requested_date(bad)


def test_bad_date_and_stale_run_are_messages(tmp_path: Path) -> None:
    write_manifest(tmp_path / "2026-10-28", "2026-10-28", stale=True, stale_series="BR.IPCA.MOM")
    page = pages.read_page("risk_monitor", "date=2026-02-30", runs_path=tmp_path)
    assert [p.text for p in page.problems] == ["date '2026-02-30' is not a calendar date"]
    html = "".join(i for i in pages.items(page) if isinstance(i, str))
    assert 'class="wb wb-msg error"' in html and "data-kpi" not in html
    page = pages.read_page("risk_monitor", "date=2026-10-28", runs_path=tmp_path)
    levels = [(p.level, p.title) for p in page.problems]
    assert ("warn", "Stale data") in levels
    assert page.run.status == "stale"
    assert "BR.IPCA.MOM" in " ".join(p.text for p in page.problems)


def test_no_runs_at_all(tmp_path: Path) -> None:
    page = pages.read_page("position_book", "", runs_path=tmp_path / "none")
    assert page.problems[0].text.startswith("no pipeline run found")


def test_serve_timeout_and_environment() -> None:
    timeout = cell_timeout(30)
    assert timeout({"source": "x = 1", "metadata": {}}) == 30
    assert timeout({"source": "wait()", "metadata": {"tags": ["preheat"]}}) is None
    env = kernel_environment(
        {
            "ANTHROPIC_API_KEY": "k",
            "WORKBENCH_FRED_API_KEY": "f",
            "HOME": "/h",
            "HTTP_X_WORKBENCH_USER": "alice",  # only the server says who visits a page
        }
    )
    assert "ANTHROPIC_API_KEY" not in env and "WORKBENCH_FRED_API_KEY" not in env
    assert "HTTP_X_WORKBENCH_USER" not in env
    assert env["HOME"] == "/h" and Path(env["WORKBENCH_RUNS_PATH"]).is_absolute()


def test_agent_hub_draws_fan_charts(tmp_path: Path) -> None:
    """An agent chart with percentile columns (the fiscal agent's debt fan) becomes a fan
    chart: 5-95 and 25-75 bands, median and baseline, each trace on the stored numbers."""
    folder = tmp_path / "2026-10-30"
    write_manifest(folder, "2026-10-30")
    years = [2026, 2027, 2028]
    fan = {"p5": [80, 78, 77], "p25": [80, 80, 81], "p50": [80, 82, 84], "p75": [80, 84, 87]}
    fan |= {"p95": [80, 87, 92], "baseline": [80, 82, 85]}
    cols = list(fan)
    split = {"index": years, "columns": cols, "data": [[fan[c][i] for c in cols] for i in range(3)]}
    other = {"index": years, "columns": ["gap"], "data": [[1.0], [2.0], [3.0]]}
    report = {"agent": "fiscal", "signals": [], "narrative": [], "notes": [], "diagnostics": {}}
    report["charts"] = {"debt_fan": split, "output_gap": other}
    (folder / "artifacts" / "agents").mkdir(parents=True)
    (folder / "artifacts" / "agents" / "reports.json").write_text(json.dumps({"fiscal": report}))
    page = pages.read_page("agent_hub", "date=2026-10-30", runs_path=tmp_path)
    figs = [i for i in pages.items(page) if hasattr(i, "data")]
    assert len(figs) == 1  # the fan; a chart without percentiles is not drawn as one
    traces = {t.name: list(t.y) for t in figs[0].data if t.name}
    assert traces["5-95%"] == fan["p5"] and traces["25-75%"] == fan["p25"]
    assert traces["median"] == fan["p50"] and traces["baseline"] == fan["baseline"]
    uppers = [list(t.y) for t in figs[0].data if not t.name]
    assert uppers == [fan["p95"], fan["p75"]]  # each band's upper edge, filled down to its lower


@pytest.mark.parametrize("delay", [-1.0, float("nan")])
def test_a_negative_refill_delay_is_refused_before_serving(delay: float) -> None:
    with pytest.raises(ServeError, match="--refill-delay"):
        serve(port=8866, refill_delay=delay)

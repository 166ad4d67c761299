"""A failed run never reaches its ``alerts`` step: the runner raises the run's alerts (the
failed step among them) itself, and the run's result stands (real papermill, one kernel)."""

from __future__ import annotations

from research_core.alerts import list_alerts
from research_core.pipeline import run_pipeline
from research_core.pms import PMS
from tests.pipeline.conftest import write_artifact_body


def test_a_failed_run_raises_its_failed_step_as_an_alert(make_pipeline, tmp_path):
    path = make_pipeline(
        {"a": "raise ValueError('boom')", "alerts": write_artifact_body("alerts")},
        deadline_s={"a": 60, "alerts": 60},
        retries={"a": 0},
    )
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    engine = PMS.open(url).engine
    result = run_pipeline("2026-10-30", pipeline=path, runs_path=tmp_path / "runs",
                          lake_path=tmp_path / "nolake", db_url=url, force=True,
                          progress=False)  # fmt: skip
    assert result.status == "failed"
    assert result.manifest["steps"][0]["deadline_s"] == 60
    alerts = list_alerts(engine)
    assert alerts[["kind", "subject", "severity", "message"]].values.tolist() == [
        ["step_failed", "step a", "critical", "failed (ValueError)"]
    ]
    assert not (tmp_path / "runs/2026-10-30/artifacts/alerts").exists()  # the step never ran

"""The curves step writes what the Curves page and the Morning Pack read: each curve today,
1 week and 1 month ago (each as known then), and the report's tables — the numbers of
``workbench curves --as-of D`` (issue 27, item 6)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.curves.report import curves_report
from research_core.lake import Lake
from research_core.pipeline import load_pipeline, steps

AS_OF = "2026-10-30"


@pytest.fixture(scope="module")
def written(sample_lake_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    run = tmp_path_factory.mktemp("run") / AS_OF
    steps.curves(lake_path=str(sample_lake_path), as_of=AS_OF, run_dir=str(run))
    return run / "artifacts"


def test_the_step_writes_the_artifacts_daily_yaml_names(written: Path) -> None:
    (step,) = [s for s in load_pipeline("pipelines/daily.yaml").steps if s.name == "curves"]
    assert step.artifacts and all((written / a).is_file() for a in step.artifacts)


def test_the_lines_are_each_curve_as_known_5_and_21_sessions_before(written: Path) -> None:
    lines = pd.read_parquet(written / "curves" / "lines.parquet")
    days = lines.groupby(["curve", "when"])["day"].first().dt.strftime("%Y-%m-%d").to_dict()
    # counted by hand: 2026-10-30 is a Friday; 5 sessions back is Friday 2026-10-23. October
    # 2026 has 22 weekdays; B3 closes on 12 Oct (Nossa Senhora Aparecida), NYSE does not:
    # 21 B3 sessions back is 2026-09-30, 21 NYSE sessions back 2026-10-01.
    for curve, month in (("DI", "2026-09-30"), ("NTNB", "2026-09-30"), ("UST", "2026-10-01")):
        assert days[(curve, "today")] == AS_OF
        assert days[(curve, "1 week ago")] == "2026-10-23"
        assert days[(curve, "1 month ago")] == month
    spans = lines.groupby("curve")["years"].agg(["min", "max"])
    assert spans.loc["DI"].tolist() == [0.25, 10.0] and spans.loc["NTNB"].tolist() == [2.0, 30.0]


def test_the_tables_are_the_cli_report_s_numbers(written: Path, sample_lake_path: Path) -> None:
    report = curves_report(Lake.open(sample_lake_path).at(AS_OF))
    art = written / "curves"
    path = pd.read_parquet(art / "copom_path.parquet")
    pd.testing.assert_frame_equal(path, report.path.to_frame())
    moves = pd.read_parquet(art / "moves.parquet")
    pd.testing.assert_frame_equal(moves, report.moves)
    text = report.text()  # what `workbench curves --as-of D` prints
    for row in path.dropna(subset=["meeting"]).itertuples():
        line = next(x for x in text.splitlines() if x.startswith(f"{row.meeting.date()}"))
        change = f"{round(row.change_bp, 1) + 0.0:+.1f}"  # the CLI's bp rule: never "-0.0"
        assert change in line and f"{row.implied_policy_pct:.2f}" in line
    # the chart lines pass through the moves table's rates (curve_moves builds its own
    # past curves): today, 1 week and 1 month ago at every tenor
    lines = pd.read_parquet(art / "lines.parquet")
    tenor_years = {"3M": 0.25, "6M": 0.5, "1Y": 1.0, "2Y": 2.0, "3Y": 3.0, "5Y": 5.0, "10Y": 10.0}
    for when, col in (("today", "zero_pct"), ("1 week ago", "zero_1w_pct"),
                      ("1 month ago", "zero_1m_pct")):  # fmt: skip
        part = lines[lines["when"] == when].set_index(["curve", "years"])["zero_pct"]
        keys = list(zip(moves["curve"], moves["tenor"].map(tenor_years), strict=True))
        assert np.allclose(part.loc[keys].to_numpy(), moves[col].to_numpy(), atol=1e-12)

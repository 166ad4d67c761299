"""The monetary-policy agent reads the Copom tone when the lake holds it (issue 19).

A copy of the sample lake gets ``BR.COPOM.TONE`` from the real communiqués of meetings
215-230 (../shared/data/real/bcb_copom_selic, test-only). The agent's tone signal is the
last tone's z-score against the earlier ones, recomputed here with ``statistics`` (sample
standard deviation), and it uses only communiqués released by the as-of.
"""

from __future__ import annotations

import json
import shutil
import statistics
from pathlib import Path

import pandas as pd
import pytest

from research_core.agents.monetary import MonetaryPolicyAgent
from research_core.connectors.cbtext import CopomText
from research_core.lake.store import Lake
from research_core.tone import tone
from research_core.tone.series import write_tone

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real" / "bcb_copom_selic"


def test_agent_reads_tone_known_at_the_as_of(sample_lake_path: Path, tmp_path: Path) -> None:
    files = [DATA / "comunicados" / f"com_{n}.json" for n in range(215, 231)]
    if not all(f.exists() for f in files):
        pytest.fail(f"shared data {DATA} is missing (../shared must sit beside the repo)")
    texts = [CopomText().parse(json.loads(f.read_text("utf-8"))) for f in files]
    shutil.copytree(sample_lake_path, tmp_path / "lake")
    lake = Lake.open(tmp_path / "lake")
    write_tone(lake, texts)
    scores = [tone(t.text, "pt").score for t in texts]
    # 2020-05-06 12:00 Brasília: meeting 230's communiqué (21:00) is not out yet
    view = lake.at("2020-05-06 12:00")
    known = scores[:-1]
    report = MonetaryPolicyAgent().run(view)
    (sig,) = [s for s in report.signals if s.instrument == "BR.POLICY_TONE"]
    expected = (known[-1] - statistics.mean(known[:-1])) / statistics.stdev(known[:-1])
    assert sig.strength == pytest.approx(expected, rel=1e-9)
    row = report.inputs.set_index("series_id").loc["BR.COPOM.TONE"]
    assert row["obs_date"] == texts[-2].date and row["release_time"] <= view.as_of
    assert any(f"communiqué tone {known[-1]:+.2f}" in line for line in report.narrative)
    assert pd.Timestamp(texts[-1].date) == pd.Timestamp("2020-05-06")

"""The freshness gate: late key series mark the run and the Morning Pack stale, or fail it."""

from __future__ import annotations

import json

import pytest

from research_core.narrative import build_morning_pack
from research_core.pipeline.steps import StaleDataError, quality_gate

KEY = ["BRL.USD.PTAX", "BR.IPCA.MOM"]
LATE = "2026-12-15"  # the sample lake ends 2026-10-30: six weeks without a PTAX fixing


def test_stale_key_series_mark_the_pack_or_fail_the_run(sample_lake_path, tmp_path):
    run = tmp_path / LATE
    gate = quality_gate(lake_path=str(sample_lake_path), as_of=LATE, run_dir=str(run),
                        key_series=KEY, on_stale="mark")  # fmt: skip
    assert gate["stale"] and set(gate["stale_series"]) == set(KEY)
    (run / "manifest.json").write_text(
        json.dumps({"as_of": LATE, "status": "succeeded", "steps": []})
    )
    pack = build_morning_pack(run, lake_path=sample_lake_path)
    assert pack.stale
    page = pack.html()
    assert "STALE DATA" in page and "BRL.USD.PTAX" in page
    assert {"agents", "weights"} <= set(pack.record()["missing_sections"])
    assert pack.narrative.check.ok  # a market-only pack still checks

    with pytest.raises(StaleDataError, match=r"BRL\.USD\.PTAX"):
        quality_gate(lake_path=str(sample_lake_path), as_of=LATE, run_dir=str(tmp_path / "f"),
                     key_series=KEY, on_stale="fail")  # fmt: skip
    # on time (2026-10-30) the same gate passes: asserted on the end-to-end run

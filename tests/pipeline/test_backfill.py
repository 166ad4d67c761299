"""Backfill over a few dates: local processes and a Dask LocalCluster give the same runs."""

from __future__ import annotations

import warnings

import pytest

from research_core.pipeline.date_range import backfill, backfill_dates
from research_core.pipeline.runner import run_pipeline
from research_core.pipeline.spec import PipelineError
from research_core.runs import RunFolder

BODY = (
    "import json, pathlib\n"
    "from research_core.lake import Lake\n"
    "s = Lake.open(lake_path).at(as_of).series('BRL.USD.PTAX').dropna()\n"
    "out = pathlib.Path(run_dir) / 'artifacts' / 'fx'\n"
    "out.mkdir(parents=True, exist_ok=True)\n"
    "rec = {'obs': str(s.index[-1].date()), 'v': s.iloc[-1]}\n"
    "(out / 'last.json').write_text(json.dumps(rec))\n"
)


def test_backfill_local_and_dask_agree(make_pipeline, tmp_path, sample_lake_path):
    pytest.importorskip("distributed")
    path = make_pipeline({"fx": BODY}, artifacts={"fx": ["fx/last.json"]})
    assert backfill_dates("2026-10-30", "2026-11-03") == ["2026-10-30", "2026-11-03"]  # 11-02 off
    dates = backfill_dates("2026-10-29", "2026-10-30")
    got = {}
    for mode, cluster in (("local", None), ("dask", "local")):
        kw = dict(pipeline=path, runs_path=tmp_path / mode, lake_path=sample_lake_path,
                  cluster=cluster, workers=2, progress=False)  # fmt: skip
        results = backfill(dates[0], dates[-1], **kw)
        if not all(r.ok for r in results):
            # Known flake (1 of 2 clean-clone CI runs, never reproduced locally): say what
            # failed, then call again, which re-runs only the failed dates.
            failed = [(mode, r.summary(), r.manifest.get("error")) for r in results if not r.ok]
            warnings.warn(f"backfill failed once, retrying: {failed}", stacklevel=1)
            results = backfill(dates[0], dates[-1], **kw)
        assert [r.as_of for r in results] == dates
        assert all(r.ok for r in results), [
            (mode, r.summary(), r.manifest.get("error")) for r in results
        ]
        got[mode] = [RunFolder(r.path).artifact("fx/last.json") for r in results]
    assert got["local"] == got["dask"]
    # point in time: the 10-29 run cannot see the 10-30 fixing
    assert got["local"][0]["obs"] < got["local"][1]["obs"]


def test_a_misspelt_run_option_is_named_and_runs_nothing(tmp_path):
    with pytest.raises(PipelineError, match="unknown option 'forse'; options: steps, resume"):
        run_pipeline("2026-10-30", runs_path=tmp_path, forse=True)
    with pytest.raises(PipelineError, match="unknown option 'worker'; options: cluster"):
        backfill("2026-10-29", "2026-10-30", runs_path=tmp_path, worker=2)
    assert not any(tmp_path.iterdir())

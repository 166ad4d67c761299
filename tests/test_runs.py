"""The run folder's one reader (issue 28 item 1): a typed, frozen manifest and artifacts
found by name in whichever step wrote them."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pytest

from research_core.runs import Manifest, ManifestError, RunFolder
from research_core.viz.runs import open_run

RECORD = {
    "as_of": "2026-10-30",
    "status": "failed",
    "version": 2,
    "stale": True,
    "parameters": {"as_of": "2026-10-30", "lake_path": "lake"},
    "steps": [{"name": "ingest", "status": "succeeded"}, {"name": "book", "status": "failed"}],
    "error": {"step": "book", "exception": "KeyError", "message": "'BRL'"},
    "code": {"package": "0.1", "commit": None},
}


def run_folder(root: Path, record: dict[str, object] | str) -> Path:
    folder = root / "2026-10-30"
    (folder / "artifacts" / "book").mkdir(parents=True)
    (folder / "artifacts" / "risk" / "held").mkdir(parents=True)
    text = record if isinstance(record, str) else json.dumps(record)
    (folder / "manifest.json").write_text(text)
    pd.DataFrame({"weight": [0.5]}).to_parquet(folder / "artifacts" / "book" / "weights.parquet")
    pd.DataFrame({"var": [1.0]}).to_parquet(folder / "artifacts" / "risk" / "held" / "var.parquet")
    (folder / "artifacts" / "book" / "summary.json").write_text('{"book": "target"}')
    return folder


def test_the_manifest_is_typed_and_frozen(tmp_path: Path):
    run = RunFolder(run_folder(tmp_path, RECORD))
    m = run.manifest
    assert isinstance(m, Manifest)
    assert (m.as_of, m.status, m.version, m.stale) == ("2026-10-30", "failed", 2, True)
    assert [s["name"] for s in m.steps] == ["ingest", "book"]
    assert m.error is not None and m.error["step"] == "book" and m.lake is None
    assert run.step("book")["status"] == "failed" and m.step("risk") is None
    with pytest.raises(dataclasses.FrozenInstanceError):
        m.status = "succeeded"  # type: ignore[misc]
    with pytest.raises(TypeError):
        m.steps[0]["status"] = "failed"  # type: ignore[index]


def test_a_record_without_a_status_is_no_manifest(tmp_path: Path):
    bad = {k: v for k, v in RECORD.items() if k != "status"}
    folder = run_folder(tmp_path, bad)
    with pytest.raises(
        ManifestError, match=r"manifest.json: not a run manifest \(KeyError: 'status'\)"
    ):
        _ = RunFolder(folder).manifest


def test_an_artifact_is_found_by_its_name_in_whichever_step_wrote_it(tmp_path: Path):
    folder = run_folder(tmp_path, RECORD)
    run = RunFolder(folder)
    assert run.find("weights") == folder / "artifacts" / "book" / "weights.parquet"
    assert run.find("held/var") == folder / "artifacts" / "risk" / "held" / "var.parquet"
    assert run.find("summary", (".json",)) == folder / "artifacts" / "book" / "summary.json"
    assert run.find("weights", (".csv",)) is None and run.find("limits") is None
    assert run.artifact("book/weights.parquet")["weight"].tolist() == [0.5]


def test_a_page_says_which_run_cannot_be_read(tmp_path: Path):
    run_folder(tmp_path, "{not json")
    page = open_run("date=2026-10-30", runs_path=tmp_path, lake_path=tmp_path / "lake")
    assert page.path is None and page.manifest is None and page.status == "missing"
    assert [(p.level, p.title) for p in page.problems] == [("error", "Bad run")]
    assert "JSONDecodeError" in page.problems[0].text
    shown = open_run("date=2026-10-30", runs_path=_good(tmp_path), lake_path=tmp_path / "lake")
    assert shown.status == "failed" and shown.version == 2
    assert shown.table("weights") is not None and shown.record("summary") == {"book": "target"}


def _good(tmp_path: Path) -> Path:
    root = tmp_path / "good"
    run_folder(root, RECORD)
    return root

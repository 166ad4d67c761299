"""Issue 25 item 4: ``pipeline run --force`` on a day whose briefing is stored failed at
the last step (the PMS refused a second briefing) and overwrote the earlier run folder. A
forced re-run is now a new version: ``runs/<D>/versions/v2`` linked to the untouched v1,
and a second stored briefing version beside the first.

A two-step synthetic pipeline (``conftest.make_pipeline``): ``a`` writes the value in a
file the test changes between runs; ``pack`` writes a Morning Pack showing it and stores
it through the pipeline's own ``steps.store_briefing`` into a SQLite PMS.
"""

from __future__ import annotations

from pathlib import Path

from research_core.pipeline.runner import run_pipeline
from research_core.pms import PMS
from research_core.runs import RunFolder
from research_core.viz.runs import open_run
from tests.pipeline.conftest import write_artifact_body

DATE = "2026-10-30"


def _pack_body(value_file: Path) -> str:
    return (
        "import pathlib\n"
        "from research_core.pipeline import steps\n"
        f"value = pathlib.Path({str(value_file)!r}).read_text()\n"
        "out = pathlib.Path(run_dir) / 'artifacts' / 'morning_pack'\n"
        "out.mkdir(parents=True, exist_ok=True)\n"
        "(out / 'morning_pack.html').write_text("
        "f'<html><style>p {{}}</style><h1>Pack</h1><p>Value {value}</p><p>Same</p></html>')\n"
        "(out / 'facts.json').write_text('{\"value\": ' + value + '}')\n"
        "steps.store_briefing(lake_path=lake_path, as_of=as_of, run_dir=run_dir, db_url=db_url)\n"
    )


def _files(folder: Path) -> dict[str, bytes]:
    """Every file of one run version (its manifest, notebooks and artifacts)."""
    keep = [
        folder / "manifest.json",
        *folder.glob("notebooks/**/*"),
        *folder.glob("artifacts/**/*"),
    ]
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in keep if p.is_file()}


def test_a_forced_rerun_is_a_new_version_and_keeps_the_first(
    make_pipeline, tmp_path: Path, sample_lake_path: Path
):
    value = tmp_path / "value.txt"
    value.write_text("1")
    path = make_pipeline(
        {"a": write_artifact_body("a"), "pack": _pack_body(value)},
        artifacts={
            "a": ["a/out.json"],
            "pack": ["morning_pack/morning_pack.html", "briefing/briefing.json"],
        },
    )
    runs, db_url = tmp_path / "runs", f"sqlite:///{tmp_path / 'pms.db'}"
    kw = {"pipeline": path, "runs_path": runs, "lake_path": sample_lake_path}
    first = run_pipeline(DATE, db_url=db_url, progress=False, **kw)  # type: ignore[arg-type]
    assert first.status == "succeeded" and first.path == (runs / DATE).resolve()
    v1 = _files(first.path)
    assert "artifacts/briefing/briefing.json" in v1

    value.write_text("2")
    second = run_pipeline(DATE, db_url=db_url, progress=False, force=True, **kw)  # type: ignore[arg-type]
    assert second.status == "succeeded", second.summary()  # the old code failed at `pack`
    assert second.path == (runs / DATE / "versions" / "v2").resolve()
    assert _files(first.path) == v1  # version 1 byte for byte

    rev = RunFolder(DATE, runs_path=runs).revision  # a date's folder means its newest run
    assert rev is not None and RunFolder(DATE, runs_path=runs).version == 2
    assert rev["previous"] == {"version": 1, "path": DATE, "status": "succeeded"}
    # a/out.json holds the time of writing; the pack and the briefing record show "2"
    assert set(rev["artifacts_changed"]) == {
        "a/out.json",
        "morning_pack/morning_pack.html",
        "morning_pack/facts.json",
        "briefing/briefing.json",
    }
    assert rev["steps_changed"] == ["a", "pack"]
    pack = rev["pack"]  # the text lines "Pack", "Value 1" / "Value 2", "Same"
    assert (pack["lines_added"], pack["lines_removed"]) == (1, 1)
    assert pack["excerpt"] == ["-Value 1", "+Value 2"]
    assert "version 2 revises version 1" in second.summary()

    pms = PMS.open(db_url, lake=sample_lake_path)
    newest, oldest = pms.briefing(DATE), pms.briefing(DATE, version=1)
    assert newest is not None and oldest is not None
    assert (newest["version"], newest["previous_version"]) == (2, 1)
    assert "Value 2" in newest["content"] and "Value 1" in oldest["content"]
    assert pms.audit_verify().ok

    page = open_run(f"date={DATE}", runs_path=runs, lake_path=sample_lake_path)
    assert (page.version, page.versions, page.revised) == (2, (1, 2), True)
    earlier = open_run(f"date={DATE}&version=1", runs_path=runs, lake_path=sample_lake_path)
    assert earlier.path == first.path and not earlier.revised

    again = run_pipeline(DATE, db_url=db_url, progress=False, **kw)  # type: ignore[arg-type]
    assert again.noop and again.path == second.path  # not forced: the newest is left alone

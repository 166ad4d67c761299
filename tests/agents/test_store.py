"""Agent reports kept per lake snapshot and date (issue 29, item 4): the content stamp, reuse
across processes, a revision invalidating exactly the dates that see it, damaged entries;
a replay on a recorded snapshot computing only what the store lacks (item 3)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from research_core._memo import MEMO, ViewMemo
from research_core.agents import runner
from research_core.agents.store import AgentReportStore, stored_reports
from research_core.lake.maintenance import export_as_of
from research_core.lake.store import Lake
from tests.lake.conftest import rows

AS_OF = "2016-06-30"


@pytest.fixture
def memo() -> Iterator[ViewMemo]:
    """The in-process memo, empty (as in a new process)."""
    MEMO.clear()
    yield MEMO
    MEMO.clear()


def test_content_stamp_moves_only_for_the_dates_a_write_touches(tmp_path: Path):
    lake = Lake.open(tmp_path / "lake", create=True)
    lake.register("TEST.A", frequency="D", units="bp")
    lake.write(rows("TEST.A", ["2024-01-02"], [1.0], ["2024-01-03 12:00"]))
    lake.write(rows("TEST.A", ["2024-01-09"], [2.0], ["2024-01-10 12:00"]))
    store = AgentReportStore(lake)

    def stamps() -> list[int]:
        return [store.content_stamp(lake.at(d)) for d in ("2024-01-02", "2024-01-05", "2024-01-12")]

    # The commit stamp of each write, from the lake's own record of its vintages.
    first, second = lake.vintages("TEST.A")["ingested_at"].map(lambda t: t.value)
    assert stamps() == [0, first, second]
    # Tomorrow's row: no view up to 2024-01-12 sees it, no stamp moves.
    lake.write(rows("TEST.A", ["2024-02-01"], [3.0], ["2024-02-02 12:00"]))
    assert stamps() == [0, first, second]
    # A revision of 2024-01-02 released on the 4th: the views from the 4th on see it.
    lake.write(rows("TEST.A", ["2024-01-02"], [1.5], ["2024-01-04 12:00"]))
    late = int(lake.vintages("TEST.A")["ingested_at"].max().value)
    assert stamps() == [0, late, late] and late > second
    # A view made before the revision was stored keeps its stamp (it does not see it).
    assert (
        store.content_stamp(lake.at("2024-01-05", known_by=pd.Timestamp(first, tz="UTC"))) == first
    )


NAMES = ["fiscal", "fx_equilibrium", "inflation"]  # three agents of light models
PROBE = """
import json, sys
from research_core.agents.store import stored_reports
from research_core.lake.store import Lake
from research_core.signals.sources import agent_reports  # what decide() runs for agents
lake = Lake.open(sys.argv[1])
view = lake.at_snapshot(sys.argv[2])
with stored_reports(lake):
    reports = agent_reports(view, sys.argv[3:], {})
agents = sorted(m for m in sys.modules if m.startswith("research_core.agents."))
out = {k: r.to_dict() for k, r in reports.items()}
print(json.dumps({"modules": agents, "reports": out}, sort_keys=True))
"""


@pytest.fixture(scope="module")
def cut(sample_lake_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Lake:
    """The sample lake as known at AS_OF, in a folder of its own (its own store)."""
    return export_as_of(Lake.open(sample_lake_path), AS_OF, tmp_path_factory.mktemp("cut"))


def test_a_stored_report_is_read_back_whole_and_a_damaged_one_recomputed(
    cut: Lake, memo, caplog: pytest.LogCaptureFixture
):
    with stored_reports(cut) as store:
        assert store is not None
        made = runner.run_agents(cut.at(AS_OF), ["fiscal"])["fiscal"]
        path = store.path(cut.at(AS_OF), "fiscal", "")
        assert path.exists() and path.parent.parent.parent == cut.root / "artifacts/cache/agents"
        memo.clear()  # a new process: only the store knows the report
        again = runner.agent_report(cut.at(AS_OF), "fiscal")
        assert again is not made and again.to_dict() == made.to_dict()
        path.write_bytes(path.read_bytes()[:-7] + b"garbage")  # torn or tampered
        memo.clear()
        redone = runner.agent_report(cut.at(AS_OF), "fiscal")
        assert "fails its checksum; recomputing" in caplog.text
        assert redone.to_dict() == made.to_dict()
        assert store.get(cut.at(AS_OF), "fiscal", "") is not None  # replaced


def test_a_stored_agent_is_read_without_running_its_dependencies(cut: Lake, memo):
    view = cut.at(AS_OF)
    with stored_reports(cut):
        runner.agent_report(view, "cross_asset")  # computes all five, stores them
        assert {k[3] for k in memo.keys(runner.REPORTS)} == set(runner.AGENTS)
        memo.clear()
        report = runner.agent_report(view, "cross_asset")
    assert {k[3] for k in memo.keys(runner.REPORTS)} == {"cross_asset"}  # read back alone
    assert report.agent == "cross_asset" and report.signals
    # Without the store (another lake, or none in use) the same view recomputes it.
    memo.clear()
    assert runner.agent_report(view, "cross_asset").to_dict() == report.to_dict()
    assert {k[3] for k in memo.keys(runner.REPORTS)} == set(runner.AGENTS)


def test_blocks_that_overlap_out_of_order_leave_the_right_store_in_use(tmp_path: Path):
    """Two threads' blocks on one lake overlap: the first to start ends first. The second
    keeps its store until it ends, and nothing stays registered after both (the earlier
    registry restored what the first block found, dropping the second's store mid-block
    and leaving the first's behind once both had ended)."""
    lake = Lake.open(tmp_path / "lake", create=True)
    key = AgentReportStore(lake).lake_key
    view = lake.at("2024-01-02")
    first, second = AgentReportStore(lake), AgentReportStore(lake)
    a, b = runner.using_store(key, first), runner.using_store(key, second)
    a.__enter__()
    b.__enter__()
    assert runner.store_for(view) is second
    a.__exit__(None, None, None)
    assert runner.store_for(view) is second
    b.__exit__(None, None, None)
    assert runner.store_for(view) is None


def test_a_store_that_cannot_be_written_keeps_nothing_and_fails_nothing(
    cut: Lake, tmp_path: Path, caplog: pytest.LogCaptureFixture
):
    """A lake one may read but not write (here its cache folder is a file: running as root,
    permissions would not refuse): the report is computed and returned, not kept."""
    report = runner.run_agents(cut.at(AS_OF), ["fiscal"])["fiscal"]
    lake = Lake.open(tmp_path / "lake", create=True)
    (lake.root / "artifacts").mkdir()
    (lake.root / "artifacts" / "cache").write_text("not a folder")
    store = AgentReportStore(lake)
    store.put(lake.at(AS_OF), "fiscal", "", report)
    assert "cannot write in" in caplog.text
    assert store.get(lake.at(AS_OF), "fiscal", "") is None


def test_entries_of_older_code_are_removed_but_the_newest_other(tmp_path: Path):
    """Each code change starts a fresh folder of entries: the store keeps its own and the
    most recently used other one (a process still on it), and removes the rest."""
    lake = Lake.open(tmp_path / "lake", create=True)
    root = lake.root / "artifacts" / "cache" / "agents"
    for age, code in enumerate(["newer", "older", "oldest"]):
        (root / code / "fiscal").mkdir(parents=True)
        (root / code / "fiscal" / "1-2").write_bytes(b"x")
        when = 1_700_000_000 - 86_400 * age  # last used 0, 1 and 2 days apart
        os.utime(root / code, (when, when))
    store = AgentReportStore(lake)
    assert sorted(p.name for p in root.iterdir()) == sorted([store.folder.name, "newer"])


def test_a_replay_computes_and_imports_only_the_agent_the_store_lacks(cut: Lake, memo):
    """The agents' part of a replay (issue 29, item 3): on the snapshot a decision recorded,
    stored reports are read and only an agent the store lacks is computed; in a fresh
    process (as ``workbench pms replay`` runs) a stored agent is not even imported."""
    view = cut.at(AS_OF)
    with stored_reports(cut) as store:
        assert store is not None
        made = runner.run_agents(view, NAMES)  # the proposal's run: all kept
    store.path(view, "fiscal", "").unlink()  # one entry lost (a crash, a cleanup)
    probe = [sys.executable, "-c", PROBE, str(cut.root), view.snapshot_id, *NAMES]
    out = subprocess.run(probe, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    models = {f"research_core.agents.{e.module}" for e in runner.ENTRIES.values()}
    models &= set(got["modules"])
    assert models == {"research_core.agents.fiscal"}  # the others: read, not imported
    expected = json.loads(json.dumps({k: r.to_dict() for k, r in made.items()}, sort_keys=True))
    assert got["reports"] == expected  # identical reports, read or recomputed
    assert store.path(view, "fiscal", "").exists()  # and the lost entry is kept again

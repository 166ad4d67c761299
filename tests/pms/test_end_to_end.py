"""End to end on a copy of the sample lake: the book proposes, a PM approves and executes,
marks give the decision its outcome, and replay rebuilds the proposal and its risk from the
recorded lake snapshot after a later ingest revised the data."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from research_core.agents.store import FOLDER
from research_core.cli import main
from research_core.lake.store import Lake
from research_core.pms import PMS

D, D1 = "2026-10-01", "2026-10-02"


@pytest.fixture
def lake_copy(sample_lake_path: Path, tmp_path: Path) -> Lake:
    shutil.copytree(sample_lake_path, tmp_path / "lake")
    return Lake.open(tmp_path / "lake")


def test_propose_approve_execute_mark_journal_and_replay_after_a_revision(
    lake_copy: Lake, tmp_path: Path, capsys
):
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    pms = PMS.open(url, lake=lake_copy, actor="system")
    props = pms.propose(D, min_trade=0.15, n_sims=2000)
    assert len(props) >= 1 and (props["state"] == "PROPOSED").all()
    # the agents' reports of D are kept per snapshot and date, for the replay to read
    kept = {p.parent.name for p in (lake_copy.root / FOLDER).rglob("*-*") if p.is_file()}
    assert {"cross_asset,refit=yearly", "monetary_policy"} <= kept
    assert all(pd.notna(props["delta_var"]))
    within = props[props["breaches"].map(len) == 0]  # one the PM may approve without override
    first = within.iloc[0]
    assert first["strategy"] and first["rationale"]
    pid = int(within.index[0])
    pms.approve(pid, actor="pm", reason="agree with the carry view")
    fill = pms.execute(pid, idempotency_key=f"exec-{pid}", actor="pm")
    lot = pms.positions().loc[fill.opened[0]]
    assert lot["strategy"] == first["strategy"] and lot["agents"] == first["agents"]
    pms.mark(D)
    pms.mark(D1)

    journal = pms.journal(instrument=first["instrument"])
    assert list(journal["action"]) == ["propose", "approve", "execute"]
    executed = journal[journal["action"] == "execute"].iloc[0]
    pnl = pms.pnl_history()
    assert executed["pnl_since"] == pytest.approx(pnl["pnl_brl"].sum())
    assert executed["outcome"] in ("gain", "loss")
    assert len(pms.journal(outcome="none")) == len(pms.journal()) - 3  # other proposals

    # A later ingest revises the day's quote of the proposed instrument.
    from research_core.catalog import instrument

    series = instrument(first["instrument"]).price_series
    before = float(lake_copy.at(D).series(series).dropna().iloc[-1])
    revision = pd.DataFrame(
        {
            "series_id": [series],
            "obs_date": [pd.Timestamp(D)],
            "value": [before * 1.05],
            "release_time": [pd.Timestamp(f"{D} 23:47", tz="UTC")],  # a new vintage
            "source": ["sample"],
        }
    )
    lake_copy.write(revision)
    now = float(Lake.open(lake_copy.root).at(D).series(series).dropna().iloc[-1])
    assert now == pytest.approx(before * 1.05)  # today's reading of D has changed

    decision_id = int(journal.index[0])
    capsys.readouterr()
    args = ["pms", "replay", str(decision_id), "--db", url, "--path", str(lake_copy.root)]
    assert main(args) == 0  # exit 0 only when the rebuilt proposal and risk are identical
    assert "IDENTICAL" in capsys.readouterr().out
    assert pms.audit_verify().ok

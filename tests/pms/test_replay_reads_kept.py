"""A replay reads what its proposal gathered on the recorded snapshot (issue 29, item 3):
``decide_kept``, the path both take, decides on the signals (and unit returns) kept for that
snapshot and date instead of running every agent and strategy again."""

from __future__ import annotations

import shutil
from pathlib import Path

from research_core.agents.store import stored_reports
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.pms.journal import decide_kept, kept_gathered
from research_core.portfolio.book import gather
from research_core.records import Signal
from research_core.signals.sources import CollectedSignals


def _kept_hand_signal(
    sample_lake_path: Path, tmp_path: Path
) -> tuple[Lake, PITView, Signal, CollectedSignals]:
    """A lake copy whose store keeps, for 2026-10-01's real-time snapshot, what a proposal
    collected there, written by hand: one source, long DI1.1Y (the agents and the thirty
    strategies would say far more: every instrument)."""
    shutil.copytree(sample_lake_path, tmp_path / "lake", ignore=shutil.ignore_patterns("artifacts"))
    lake = Lake.open(tmp_path / "lake")
    view = lake.at("2026-10-01")
    said = Signal(view.as_of, "strategy:HAND", "DI1.1Y", 1, 1.0, 1.0, 21, "by hand", weight=1.0)
    kept = CollectedSignals((said,), {"strategy:HAND": 1.0}, {})
    with stored_reports(lake) as store:
        assert store is not None
        store.write(kept_gathered(store, view, 750), gather(view, collected=kept))
    return lake, view, said, kept


def test_a_decision_on_a_kept_snapshot_uses_the_signals_kept_for_it(
    sample_lake_path: Path, tmp_path: Path
):
    lake, view, said, kept = _kept_hand_signal(sample_lake_path, tmp_path)
    replayed = lake.at_snapshot(view.snapshot_id)  # the snapshot the proposal recorded
    decision = decide_kept(lake, replayed, method="erc")
    got = decision.signals
    assert (got.signals, dict(got.freshness), dict(got.skipped)) == ((said,), kept.freshness, {})
    assert list(decision.aggregated.table.index) == ["DI1.1Y"]
    weights = decision.portfolio.weights
    assert list(weights[weights != 0].index) == ["DI1.1Y"]


def test_a_view_of_another_vintage_never_reads_what_a_real_time_decision_kept(
    sample_lake_path: Path, tmp_path: Path
):
    """The kept inputs are keyed by the real-time snapshot: a ``latest`` view of the same
    date sees later revisions, so it must decide afresh, not on what the proposal kept
    (on the old code it read the one hand signal back: look-ahead into the journal)."""
    from research_core.backtest.vintage import view_at

    lake, *_ = _kept_hand_signal(sample_lake_path, tmp_path)
    latest = view_at(lake, "2026-10-01", "latest")
    assert latest.cache_key[-1] == "latest"
    decision = decide_kept(lake, latest, method="erc")
    assert len(decision.signals.signals) > 1  # every agent and strategy, run on this view

"""collect_signals: each agent succeeds or fails alone, with its reason (issue 13, item 10)."""

from __future__ import annotations

from pathlib import Path

from research_core.agents import AGENTS
from research_core.lake.store import Lake
from research_core.signals.sources import collect_signals


def test_one_failing_agent_does_not_silence_the_others(sample_lake_path: Path):
    """At 2006-06-30 the sample lake has 16 months of the inflation gap (24 needed), so
    inflation and monetary_policy fail; fiscal and fx_equilibrium run alone, so their
    reports must come back (one shared ``try`` used to drop all five)."""
    view = Lake.open(sample_lake_path).at("2006-06-30")
    got = collect_signals(view, strategies={})
    assert {"agent:fiscal", "agent:fx_equilibrium"} <= set(got.freshness)
    for name in ("fiscal", "fx_equilibrium"):
        alone = AGENTS[name]().run(view)
        mine = [s for s in got.signals if s.source == f"agent:{name}"]
        assert [(s.instrument, s.direction, s.strength) for s in mine] == [
            (s.instrument, s.direction, s.strength) for s in alone.signals
        ]
    assert "needs at least 24" in got.skipped["agent:inflation"]
    assert "needs at least 24" in got.skipped["agent:monetary_policy"]
    assert "inflation" in got.skipped["agent:cross_asset"]
    assert "agents" not in got.skipped

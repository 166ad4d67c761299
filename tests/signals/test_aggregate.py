"""Aggregation by hand: weights, consensus, conflicts, crowding, staleness, regime, provenance."""

from __future__ import annotations

import pandas as pd
import pytest

from research_core.errors import SignalError
from research_core.records import Signal
from research_core.signals import aggregate

T = pd.Timestamp("2026-10-30 21:00", tz="UTC")


def sig(source: str, instrument: str, direction: int, strength: float, conf: float) -> Signal:
    return Signal(T, source, instrument, direction, strength, conf, 21, "test")


def test_score_is_the_confidence_weighted_mean_with_provenance():
    sigs = [
        sig("agent:fx_equilibrium", "USDBRL.FUT", 1, 2.0, 0.8),
        sig("strategy:FX_BR_01", "USDBRL.FUT", -1, 1.0, 0.4),
        sig("agent:inflation", "BR.INFLATION", 1, 1.0, 0.9),  # a theme: not tradable, skipped
    ]
    agg = aggregate(sigs)
    row = agg.table.loc["USDBRL.FUT"]
    assert row["score"] == pytest.approx((0.8 * 2.0 - 0.4 * 1.0) / 1.2)
    assert row["consensus"] == pytest.approx(0.8 / 1.2)
    assert row["n"] == 2
    att = agg.attribution("USDBRL.FUT")
    assert att["contribution"].sum() == pytest.approx(row["score"])
    assert set(att.index) == {"agent:fx_equilibrium", "strategy:FX_BR_01"}
    assert "BR.INFLATION" not in agg.table.index
    # a third on the other side is a conflict, listed with who is on each side
    (conflict,) = agg.conflicts
    assert conflict.long == ("agent:fx_equilibrium",) and conflict.short == ("strategy:FX_BR_01",)
    assert "USDBRL.FUT" in agg.summary()


def test_crowding_penalty_only_above_eighty_percent():
    four = [sig(f"strategy:S{i}", "DI1.2Y", 1, 1.0, 0.5) for i in range(4)]
    crowded = aggregate(four).table.loc["DI1.2Y"]
    assert crowded["crowding"] == pytest.approx(0.75)  # unanimous: the full 25 % penalty
    assert crowded["score"] == pytest.approx(0.75)
    mixed = aggregate([*four[:3], sig("strategy:S9", "DI1.2Y", -1, 1.0, 0.5)]).table.loc["DI1.2Y"]
    assert mixed["consensus"] == pytest.approx(0.75)
    assert mixed["crowding"] == 1.0
    two = aggregate(four[:2]).table.loc["DI1.2Y"]
    assert two["crowding"] == 1.0  # fewer than three contributors is not a crowd


def test_stale_data_counts_less():
    sigs = [
        sig("agent:fiscal", "BR.CDS.5Y", 1, 2.0, 0.6),
        sig("strategy:SOV_BR_02", "BR.CDS.5Y", -1, 2.0, 0.6),
    ]
    fresh = aggregate(sigs).table.loc["BR.CDS.5Y", "score"]
    stale = aggregate(sigs, freshness={"agent:fiscal": 0.25}).table.loc["BR.CDS.5Y", "score"]
    assert fresh == pytest.approx(0.0)
    assert stale == pytest.approx((0.15 * 2 - 0.6 * 2) / 0.75)
    with pytest.raises(SignalError, match="freshness"):
        aggregate(sigs, freshness={"agent:fiscal": 0.0})


def test_regime_overlay_cuts_risk_against_the_regime_only():
    base = [
        sig("strategy:A", "IBOV.FUT", 1, 1.0, 0.5),
        sig("strategy:B", "USDBRL.FUT", 1, 1.0, 0.5),
    ]
    off = aggregate([*base, sig("agent:cross_asset", "GLOBAL.RISK", -1, 2.0, 0.7)])
    assert off.regime == pytest.approx(-2.0)
    assert off.table.loc["IBOV.FUT", "regime_multiplier"] == pytest.approx(0.5)  # long equity
    assert off.table.loc["USDBRL.FUT", "regime_multiplier"] == 1.0  # long USD is the hedge
    on = aggregate([*base, sig("agent:cross_asset", "GLOBAL.RISK", 1, 1.0, 0.7)])
    assert on.table.loc["IBOV.FUT", "regime_multiplier"] == 1.0
    assert on.table.loc["USDBRL.FUT", "regime_multiplier"] == pytest.approx(0.75)


def test_bad_input():
    with pytest.raises(SignalError, match="no signals"):
        aggregate([])
    with pytest.raises(SignalError, match="tradable"):
        aggregate([sig("agent:inflation", "BR.INFLATION", 1, 1.0, 0.5)])
    with pytest.raises(SignalError, match="non-finite"):
        aggregate([sig("strategy:A", "IBOV.FUT", 1, float("nan"), 0.5)])
    with pytest.raises(SignalError, match="flat"):
        aggregate([sig("strategy:A", "IBOV.FUT", 0, 0.0, 0.5)])


def test_bad_signals_raise_a_workbench_error_naming_the_field():
    from research_core.errors import WorkbenchError

    for field, bad in (("direction", 2), ("confidence", 1.5), ("horizon_days", 0)):
        kwargs = {"direction": 1, "confidence": 0.5, "horizon_days": 5, field: bad}
        with pytest.raises(SignalError, match=f"Signal.{field}") as info:
            Signal(T, "agent:x", "DI1.2Y", strength=1.0, rationale="", **kwargs)
        assert isinstance(info.value, WorkbenchError)


def test_meta_model_conviction_scales_one_contributor_only_when_asked():
    sigs = [
        sig("agent:fx_equilibrium", "USDBRL.FUT", 1, 2.0, 0.8),
        sig("strategy:FX_BR_01", "USDBRL.FUT", -1, 1.0, 0.4),
    ]
    assert aggregate(sigs).table.equals(aggregate(sigs, conviction=None).table)  # off by default
    # the meta-model trusts FX_BR_01's trade: p = 0.75 -> weight x 1.5 (0.4 -> 0.6)
    agg = aggregate(sigs, conviction={("strategy:FX_BR_01", "USDBRL.FUT"): 1.5})
    assert agg.table.loc["USDBRL.FUT", "score"] == pytest.approx((0.8 * 2.0 - 0.6 * 1.0) / 1.4)
    assert agg.attribution("USDBRL.FUT").loc["strategy:FX_BR_01", "weight"] == pytest.approx(0.6)
    with pytest.raises(SignalError, match="conviction of strategy:FX_BR_01"):
        aggregate(sigs, conviction={("strategy:FX_BR_01", "USDBRL.FUT"): -1.0})

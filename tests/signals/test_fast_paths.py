"""The book backtest's per-date signal work in numpy (issue 29): each instrument's last
quote read once per view and shared by the strategies, and aggregation grouped without
pandas — with the answers worked out by hand."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from research_core.catalog import instrument
from research_core.lake.store import Lake
from research_core.records import Signal
from research_core.signals import aggregate
from research_core.signals.sources import strategy_freshness
from research_core.strategies import load_config

T = pd.Timestamp("2026-10-30 21:00", tz="UTC")
DAY_NS = 86_400_000_000_000


def test_last_quotes_are_read_once_per_view_and_shared(sample_lake_path: Path):
    view = Lake.open(sample_lake_path).at("2019-06-28")
    carry = load_config()["RATES_BR_01"]  # DI1 1, 2, 3 and 5 years
    last: dict[str, int | None] = {}
    fresh = strategy_freshness(view, carry, last)
    # by hand: each instrument's last quote is the last non-missing obs date of its series
    quotes = {
        iid: view.series(instrument(iid).price_series).dropna().index[-1]
        for iid in carry.instruments
    }
    assert last == {iid: q.value for iid, q in quotes.items()}
    oldest = max((view.as_of.tz_convert(None) - q).days for q in quotes.values())
    assert fresh == pytest.approx(max(0.5 ** (max(0.0, oldest - 4.0) / 5.0), 1e-3), abs=1e-15)
    # the next strategy on the same view reads DI1.2Y from ``last``, not from the lake: a
    # quote 14 days old there makes RATES_BR_05 0.5 ** ((14 - 4) / 5) = 0.25 fresh
    last["DI1.2Y"] = (view.as_of.tz_convert(None) - pd.Timedelta(days=14)).value
    assert strategy_freshness(view, load_config()["RATES_BR_05"], last) == pytest.approx(0.25)
    assert strategy_freshness(view, load_config()["RATES_BR_05"]) == pytest.approx(fresh)


def sig(source: str, iid: str, direction: int, strength: float, conf: float) -> Signal:
    return Signal(T, source, iid, direction, strength, conf, 21, "hand")


def test_interleaved_signals_group_by_instrument_and_keep_their_rows():
    """Signals on three instruments arrive interleaved; a flat one contributes 0. By hand
    (weight = confidence): DI1.2Y long A (2.0 × 0.6) and short B (1.0 × 0.2): score
    (1.2 − 0.2) / 0.8 = 1.25, consensus 0.6 / 0.8 = 75 %, a conflict (25 % against);
    IBOV.FUT only flat C: no row; ES.FUT long D 3.5 capped at 3 × 0.5: score 3."""
    sigs = [
        sig("agent:A", "DI1.2Y", 1, 2.0, 0.6),
        sig("strategy:C", "IBOV.FUT", 0, 1.0, 0.5),
        sig("strategy:D", "ES.FUT", 1, 3.5, 0.5),
        sig("strategy:B", "DI1.2Y", -1, 1.0, 0.2),
    ]
    agg = aggregate(sigs)
    assert list(agg.table.index) == ["DI1.2Y", "ES.FUT"]  # sorted, the flat one dropped
    assert agg.table.at["DI1.2Y", "score"] == pytest.approx(1.25)
    assert agg.table.at["DI1.2Y", "consensus"] == pytest.approx(0.75)
    assert agg.table.at["ES.FUT", "score"] == pytest.approx(3.0)
    assert agg.table["n"].tolist() == [2, 1]
    prov = agg.provenance  # the signals' order, each row with its own contribution
    assert prov["source"].tolist() == ["agent:A", "strategy:C", "strategy:D", "strategy:B"]
    assert prov["contribution"].tolist() == pytest.approx([1.2 / 0.8, 0.0, 3.0, -0.2 / 0.8])
    assert prov["direction"].dtype == "int64" and prov["weight"].dtype == "float64"
    (conflict,) = agg.conflicts
    assert (conflict.long, conflict.short) == (("agent:A",), ("strategy:B",))
    assert conflict.short_weight == pytest.approx(0.25)

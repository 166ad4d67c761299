"""NTN-B on its zero-coupon curve (issue 27, item 5): DV01 and the +75 bp stress by hand.

The catalog's NTN-B yields are NTN-B Principal (Tesouro IPCA+) zero real yields: one cash
flow, the VNA at maturity, priced VNA × (1 + y)^(−du/252) (Tesouro Nacional's
methodology). P&L, DV01 and stresses priced a par coupon bond at that yield instead, which
understated the 10y DV01 (annuity 7.0 against the zero's 9.3 years) and the stress.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.catalog import instrument
from research_core.lake.store import Lake
from research_core.pnl import duration
from research_core.risk import stress_test
from research_core.risk.limits import dv01_buckets

AS_OF = pd.Timestamp("2026-10-30 23:00", tz="America/Sao_Paulo")
NAV = 1e9
BOOK = pd.Series({"NTNB.10Y": -0.422066})  # the pack's NTN-B short, fraction of NAV


@pytest.fixture(scope="module")
def view(sample_lake_path: Path):
    return Lake.open(sample_lake_path).at(AS_OF)


def _cash_flows(years: float) -> list[tuple[float, float]]:
    """NTN-B Principal per 1 of VNA: a single payment of 1 at maturity (du/252 years)."""
    return [(years, 1.0)]


def _price(flows: list[tuple[float, float]], y: float) -> float:
    return sum(cf * (1.0 + y) ** -t for t, cf in flows)


def _modified_duration(flows: list[tuple[float, float]], y: float) -> float:
    """−(dP/dy)/P from the cash flows: Σ t·cf·(1+y)^(−t−1) / Σ cf·(1+y)^(−t)."""
    return sum(t * cf * (1.0 + y) ** (-t - 1.0) for t, cf in flows) / _price(flows, y)


def _y0(view) -> float:
    return float(view.series("BR.NTNB.10Y").dropna().iloc[-1]) / 100.0


def test_ntnb_10y_dv01_is_the_zero_coupon_bonds(view) -> None:
    y = _y0(view)
    flows = _cash_flows(instrument("NTNB.10Y").tenor_years)
    hand = _modified_duration(flows, y)
    got_duration = float(duration(instrument("NTNB.10Y"), np.array(y * 100.0)))  # takes %
    assert got_duration == pytest.approx(hand, rel=1e-12)
    # the DV01 limit's bucket: weight × duration, bp of NAV per bp
    got = dv01_buckets(view, BOOK)["BRL real (NTN-B) >5y"]
    assert got == pytest.approx(BOOK["NTNB.10Y"] * hand, rel=1e-12)


def test_ntnb_real_yields_plus_75bp_stress_by_hand(view) -> None:
    y = _y0(view)
    flows = _cash_flows(10.0)
    # a receiver (short the quote) loses when real yields rise: it holds the bond
    hand = BOOK["NTNB.10Y"] * NAV * (1.0 - _price(flows, y + 0.0075) / _price(flows, y))
    res = stress_test(view, BOOK, nav=NAV, episodes=())
    assert res.pnl.at["NTN-B real yields +75 bp", "total"] == pytest.approx(hand, rel=1e-12)

"""Sizes a trader reads: listed futures in whole exchange contracts (B3 DI1 at its PU on
R$100,000, B3 DOL at USD 50,000, CME Treasury futures at their face), rounded before the
pre-trade risk prices them; everything else in notional of its currency."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from research_core.catalog import instrument
from research_core.lake.store import Lake
from research_core.pms import PMS
from research_core.pms.proposals import LOT_ROUND, proposal_specs
from research_core.pnl import contract_value, whole_contracts
from research_core.portfolio import build_book
from research_core.records import Signal
from research_core.signals.sources import CollectedSignals

D = "2026-10-01"
NAV = 1e9
IDS = ["DI1.1Y", "USDBRL.FUT", "UST.10Y.FUT", "USDBRL.NDF"]


def test_a_di1_notional_in_contracts_by_hand():
    # B3 DI1: PU = 100,000 / (1 + r)^(du/252). At 12.5 % for one year (du = 252) the PU is
    # 100,000 / 1.125 = 88,888.89; at two years 100,000 / 1.125² = 79,012.35.
    assert contract_value(instrument("DI1.1Y"), 12.5) == pytest.approx(88_888.888_889)
    assert contract_value(instrument("DI1.2Y"), 12.5) == pytest.approx(79_012.345_679)
    # R$10,000,000 of PU is 112.5 contracts: 112, toward zero on either side (a trade never
    # overshoots its target); exactly 113 contracts' worth is 113
    assert whole_contracts(10_000_000.0, 100_000 / 1.125) == 112
    assert whole_contracts(-10_000_000.0, 100_000 / 1.125) == -112
    assert whole_contracts(113 * 100_000 / 1.125, 100_000 / 1.125) == 113
    assert whole_contracts(80_000.0, 100_000 / 1.125) == 0  # less than one contract
    # B3 DOL: USD 50,000 a contract, worth 50,000 × 5.40 = R$270,000 at 5.40 BRL per USD
    assert contract_value(instrument("USDBRL.FUT"), 5.40) == pytest.approx(270_000.0)
    assert contract_value(instrument("UST.2Y.FUT"), 4.0) == 200_000.0  # CME ZT face
    assert contract_value(instrument("ES.FUT"), 5000.0) == 250_000.0  # CME ES $50 × index
    assert contract_value(instrument("USDBRL.NDF"), 5.40) is None  # OTC: notional


@pytest.fixture(scope="module")
def lake(sample_lake_path: Path) -> Lake:
    return Lake.open(sample_lake_path)


@pytest.fixture(scope="module")
def collected(lake: Lake) -> CollectedSignals:
    as_of = lake.at(D).as_of
    sigs = [
        Signal(as_of, "agent:monetary_policy", "DI1.1Y", 1, 1.5, 0.6, 21, "hand: pay 1y"),
        Signal(as_of, "agent:fx_equilibrium", "USDBRL.FUT", -1, 1.0, 0.6, 21, "hand: sell USD"),
        Signal(as_of, "agent:cross_asset", "UST.10Y.FUT", 1, 1.0, 0.6, 21, "hand: pay UST"),
        Signal(as_of, "agent:fx_equilibrium", "USDBRL.NDF", 1, 0.5, 0.6, 21, "hand: buy NDF"),
    ]
    return CollectedSignals(tuple(sigs), {}, {})


def _quotes(lake: Lake) -> dict[str, float]:
    view = lake.at(D)
    series = {"DI1.1Y": "BR.DI.1Y", "USDBRL.FUT": "BRL.USD.SPOT", "UST.10Y.FUT": "US.UST.10Y"}
    return {k: float(view.series(s).dropna().iloc[-1]) for k, s in series.items()}


def _by_hand(weights: pd.Series, q: dict[str, float]) -> dict[str, tuple[int, float]]:
    """Contracts and their value in the instrument's currency, from the weights by hand."""
    fx = q["USDBRL.FUT"]  # BRL per USD
    pu = 100_000 / (1 + q["DI1.1Y"] / 100)  # one-year DI1
    dol = 50_000 * fx  # a DOL in BRL
    out = {}
    for iid, notional, value in [
        ("DI1.1Y", weights["DI1.1Y"] * NAV, pu),
        ("USDBRL.FUT", weights["USDBRL.FUT"] * NAV, dol),
        ("UST.10Y.FUT", weights["UST.10Y.FUT"] * NAV / fx, 100_000.0),  # USD face
    ]:
        n = int(abs(notional) // value) * int(np.sign(notional))  # toward zero
        out[iid] = (n, n * value)
    return out


def test_the_book_and_its_proposals_come_in_whole_contracts(lake, collected):
    view = lake.at(D)
    book = build_book(view, nav=NAV, collected=collected, n_sims=2000)
    q = _quotes(lake)
    hand = _by_hand(book.portfolio.weights, q)
    sizes = book.sizes
    for iid, (n, notional) in hand.items():
        assert sizes.at[iid, "contracts"] == n, iid
        assert sizes.at[iid, "notional"] == pytest.approx(notional, rel=1e-12), iid
    assert sizes.at["UST.10Y.FUT", "currency"] == "USD"
    assert pd.isna(sizes.at["USDBRL.NDF", "contracts"])  # OTC: USD notional, no contracts
    ndf_usd = book.portfolio.weights["USDBRL.NDF"] * NAV / q["USDBRL.FUT"]
    assert sizes.at["USDBRL.NDF", "notional"] == pytest.approx(ndf_usd)
    text = book.summary()
    assert f"{hand['DI1.1Y'][0]:+,d} contracts of BRL" in text and "USD" in text

    specs = {s.instrument_id: s for s in proposal_specs(book, pd.Series(dtype=float), nav=NAV,
                                                         usdbrl=q["USDBRL.FUT"])}  # fmt: skip
    fx = {"DI1.1Y": 1.0, "USDBRL.FUT": 1.0, "UST.10Y.FUT": q["USDBRL.FUT"]}
    for iid, (n, notional) in hand.items():
        spec = specs[iid]
        assert spec.contracts == abs(n) and spec.side == np.sign(n)
        assert spec.size == pytest.approx(abs(notional), rel=1e-12)
        # the rounded size is what the pre-trade risk prices, not the optimizer's weight
        assert spec.delta_weight == pytest.approx(n / abs(n) * abs(notional) * fx[iid] / NAV)
        assert spec.delta_weight != book.portfolio.weights[iid]
    ndf = specs["USDBRL.NDF"]
    assert ndf.contracts is None and ndf.size % LOT_ROUND == 0


def test_a_stored_proposal_carries_currency_and_contracts_and_is_priced_rounded(
    lake, collected, tmp_path
):
    pms = PMS.open(f"sqlite:///{tmp_path / 'pms.db'}", lake=lake, actor="alice")
    made = pms.propose(D, n_sims=2000, collected=collected, min_trade=0.001)
    hand = _by_hand(
        build_book(lake.at(D), nav=NAV, collected=collected, n_sims=2000).portfolio.weights,
        _quotes(lake),
    )
    di1 = made[made["instrument"] == "DI1.1Y"].iloc[0]
    n, notional = hand["DI1.1Y"]
    assert (di1["currency"], di1["contracts"]) == ("BRL", abs(n))
    assert di1["size"] == pytest.approx(abs(notional), rel=1e-12)
    impact = pms.proposal(int(di1.name))["impact"]
    priced = float(impact["delta_weight"])  # stored as canonical JSON text
    assert priced == pytest.approx(np.sign(n) * abs(notional) / NAV, rel=1e-12)
    ust = made[made["instrument"] == "UST.10Y.FUT"].iloc[0]
    assert (ust["currency"], ust["contracts"]) == ("USD", abs(hand["UST.10Y.FUT"][0]))
    pms.engine.dispose()

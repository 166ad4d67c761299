"""Attribution: every decomposition sums to the P&L (a property over random books and days),
Carino linking by hand, the FRTB P&L attribution test over 250 sample-lake days of a
20-position book, and attribution of a marked book on both engines."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from research_core.calendars import business_day_range
from research_core.catalog import instrument, instruments
from research_core.pms import PMS
from research_core.pms.attribution import (
    BY,
    attribute,
    carino,
    factor_pnl,
    pla_test,
    risk_theoretical,
)
from research_core.pnl import USDBRL, known_on, pnl_currency, quote_move

IDS = sorted(instruments())
LEVEL = {"yield": 10.0, "price": 100.0, "fx": 5.5, "spread": 150.0}


@st.composite
def pnl_rows(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 30))
    rows = []
    for _ in range(n):
        iid = draw(st.sampled_from(IDS))
        q0 = LEVEL[instrument(iid).quote] * draw(st.floats(0.5, 1.5))
        rows.append(
            {
                "as_of": draw(st.sampled_from(["2026-10-01", "2026-10-02", "2026-10-05"])),
                "instrument_id": iid,
                "strategy": draw(st.sampled_from(["A", "B", "discretionary"])),
                "agents": json.dumps(
                    draw(st.lists(st.sampled_from(["fx", "inflation"]), max_size=2))
                ),
                "quantity": draw(st.floats(-1e9, 1e9)),
                "quote_prev": q0,
                "quote": q0 * draw(st.floats(0.9, 1.1)),
                "fx_prev": 5.5,
                "fx": 5.5 * draw(st.floats(0.95, 1.05)),
                "price_local": draw(st.floats(-1e7, 1e7)),
                "carry_local": draw(st.floats(-1e5, 1e5)),
                "roll_local": draw(st.floats(-1e5, 1e5)),
                "realized_local": draw(st.floats(-1e6, 1e6)),
                "translation_brl": draw(st.floats(-1e6, 1e6)),
                "pnl_brl": draw(st.floats(-1e8, 1e8)),
            }
        )
    return pd.DataFrame(rows)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(pnl_rows())
def test_every_decomposition_sums_to_the_pnl(rows: pd.DataFrame):
    factors = factor_pnl(rows)
    scale = max(1.0, float(rows["pnl_brl"].abs().max()))
    assert np.allclose(factors.sum(axis=1), rows["pnl_brl"], rtol=0, atol=1e-8 * scale)
    daily = rows.groupby("as_of")["pnl_brl"].sum()
    for by in BY:
        total = attribute(rows, by).groupby("as_of")["pnl_brl"].sum()
        assert np.allclose(total.loc[daily.index], daily, rtol=0, atol=1e-8 * scale), by


def test_carino_links_two_days_by_hand():
    """Carino (1999): k_t = ln(1+r_t)/r_t, K = ln(1+R)/R, linked_i = Σ c_it k_t / K."""
    c = pd.DataFrame({"a": [0.01, -0.02], "b": [0.005, 0.03]})
    r1, r2 = 0.015, 0.01
    big_r = (1 + r1) * (1 + r2) - 1
    k1, k2, k = math.log(1 + r1) / r1, math.log(1 + r2) / r2, math.log(1 + big_r) / big_r
    linked = carino(c)
    assert linked["a"] == pytest.approx((0.01 * k1 - 0.02 * k2) / k, rel=1e-12)
    assert linked["b"] == pytest.approx((0.005 * k1 + 0.03 * k2) / k, rel=1e-12)
    assert linked.sum() == pytest.approx(big_r, rel=1e-12)


def _sample_book() -> list[tuple[str, float]]:
    """20 positions: every catalog instrument (alternating sides) and a second DI1 lot."""
    sizes = {"rates": 2e8, "inflation": 1e8, "fx": 1e8, "credit": 5e6, "equity": 3e7}
    book = []
    for k, iid in enumerate([*IDS, "DI1.2Y"]):
        inst = instrument(iid)
        size = sizes.get(inst.asset_class, 2e7) / (5.5 if inst.currency == "USD" else 1.0)
        book.append((iid, size if k % 2 else -size))
    return book


def test_frtb_pla_over_250_sample_days_of_a_20_position_book(lake):
    """HPL: the book held through 250 B3 sessions to 2026-10-30, each day fully revalued
    (``pnl.quote_move``) with USD P&L translated at each close and the accumulated USD P&L
    at the day's USD/BRL change; RTPL: the risk factors (BCBS MAR32.33-45 thresholds)."""
    view = lake.at("2026-10-30")
    days = business_day_range("2025-10-01", "2026-10-30", "B3")[-251:]
    fx = known_on(view.series(USDBRL).dropna(), days)
    frames = []
    for lot, (iid, qty) in enumerate(_sample_book()):
        inst = instrument(iid)
        q = known_on(view.series(inst.price_series).dropna(), days)
        scale = q[:-1] if pnl_currency(inst) != inst.currency else 1.0
        local = qty * scale * quote_move(inst, q[:-1], q[1:])
        usd = pnl_currency(inst) == "USD"
        balance = np.r_[0.0, np.cumsum(local)[:-1]]
        translation = balance * np.diff(fx) if usd else np.zeros(250)
        frames.append(
            pd.DataFrame(
                {
                    "as_of": days[1:],
                    "lot_id": lot,
                    "instrument_id": iid,
                    "quantity": qty,
                    "quote_prev": q[:-1],
                    "quote": q[1:],
                    "fx_prev": fx[:-1],
                    "fx": fx[1:],
                    "price_local": local,
                    "carry_local": 0.0,
                    "roll_local": 0.0,
                    "realized_local": 0.0,
                    "translation_brl": translation,
                    "pnl_brl": local * fx[1:] + translation if usd else local,
                }
            )
        )
    rows = pd.concat(frames, ignore_index=True)
    assert len(rows) == 20 * 250 and np.isfinite(rows["pnl_brl"]).all()
    factors = factor_pnl(rows)
    hpl = rows.groupby("as_of")["pnl_brl"].sum()
    rtpl = risk_theoretical(rows, factors).groupby(rows["as_of"]).sum()
    result = pla_test(hpl, rtpl)
    print(result.summary())
    assert result.days == 250
    assert result.spearman >= 0.80 and result.ks <= 0.09 and result.residual_share < 0.05
    assert result.passed


def test_attribution_of_a_marked_book_sums_to_nav_pnl(pms: PMS):
    pms.enter_trade(
        "DI1.5Y",
        "sell",
        1e8,
        trade_date="2026-10-01",
        idempotency_key="a",
        strategy="RATES_BR_01",
        agents=["monetary_policy", "inflation"],
    )
    pms.enter_trade(
        "ES.FUT",
        "buy",
        2e6,
        trade_date="2026-10-01",
        idempotency_key="b",
        strategy="XA_TREND_01",
        agents=["cross_asset"],
    )
    pms.enter_trade("USDBRL.NDF", "buy", 1e6, trade_date="2026-10-01", idempotency_key="c")
    for d in ("2026-10-01", "2026-10-02", "2026-10-05"):
        pms.mark(d)
    pms.enter_trade("DI1.5Y", "buy", 4e7, trade_date="2026-10-06", idempotency_key="d")
    pms.mark("2026-10-06")
    nav = pms.nav_history()["pnl_brl"]
    for by in BY:
        table = pms.attribution(by)
        assert np.allclose(table.sum(axis=1).to_numpy(), nav.to_numpy(), rtol=0, atol=1e-6), by
    factors = pms.attribution("factor").sum()
    assert factors["trading"] != 0.0 and factors["curve"] != 0.0
    assert abs(factors["residual"]) < 0.05 * factors.abs().sum()
    agents = pms.attribution("agent").sum()
    assert {"monetary_policy", "inflation", "cross_asset", "(none)"} <= set(agents.index)
    linked = pms.linked_attribution("strategy")
    assert linked.sum() == pytest.approx(nav.sum() / 1e9, rel=1e-6)  # small daily returns


def test_the_cli_offers_every_attribution_dimension():
    from research_core.pms import cli

    assert set(cli.BY) == set(BY) and cli.BY[0] == "factor"  # the default first

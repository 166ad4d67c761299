"""Schema, trades, lots and marks on both engines: P&L recomputed by hand from lake quotes,
idempotent marks, FIFO reductions, FX translation, and bad input refused with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from research_core.calendars import business_day_range
from research_core.errors import (
    DatabaseURLError,
    DuplicateSubmissionError,
    TradeInputError,
)
from research_core.pms import PMS, db
from research_core.pms.models import Trade
from research_core.pnl import DT, carry

D0, D1, D2 = "2026-10-01", "2026-10-02", "2026-10-05"


def _quote(lake, series: str, day: str) -> float:
    return float(lake.at(day).series(series).dropna().iloc[-1])


def _state(pms: PMS) -> tuple:
    with pms.engine.connect() as conn:
        trades = conn.execute(select(func.count()).select_from(Trade)).scalar_one()
    return pms.audit_head(), trades, len(pms.positions(include_closed=True))


def test_init_creates_the_schema_and_is_idempotent(pms: PMS):
    assert db.current_revision(pms.engine) == db.head_revision()
    head = pms.audit_head()
    pms.init()
    assert pms.audit_head() == head  # nothing changed, nothing logged
    assert pms.settings() == {"capital": 1e9, "four_eyes": False}


def test_a_di1_lot_is_marked_by_hand(pms: PMS, lake):
    """DI1 P&L of a long-quote unit: notional × t/(1+y) × Δy/100 (B3 DI1 PU duration,
    exponential 252 compounding), plus carry × sessions/252."""
    pms.enter_trade("DI1.2Y", "buy", 5e7, trade_date=D0, idempotency_key="k1")
    q0, q1 = _quote(lake, "BR.DI.2Y", D0), _quote(lake, "BR.DI.2Y", D1)
    r0 = pms.mark(D0)
    assert r0.pnl_brl == pytest.approx(0.0, abs=1e-6)  # traded at the day's quote
    r1 = pms.mark(D1)
    c = carry(lake.at(D0), "DI1.2Y")
    expected = 5e7 * 2.0 / (1 + q0 / 100) * (q1 - q0) / 100 + 5e7 * c * DT * 1
    assert r1.pnl_brl == pytest.approx(expected, rel=1e-10)
    assert r1.nav_brl == pytest.approx(1e9 + expected, rel=1e-12)
    again = pms.mark(D1)
    assert again.already_marked and again.nav_brl == r1.nav_brl
    assert len(pms.nav_history()) == 2
    with pytest.raises(TradeInputError, match="already marked through"):
        pms.mark(D0)


def test_usd_lot_pnl_is_translated_into_brl(pms: PMS, lake):
    """NDF sold 1m USD: local P&L = -1e6 × (S1/S0 - 1) + carry; BRL = local × USD/BRL +
    accumulated USD P&L × ΔUSD/BRL (zero on the first day)."""
    pms.enter_trade("USDBRL.NDF", "sell", 1e6, trade_date=D0, idempotency_key="n1")
    pms.mark(D0)
    p0, p1, p2 = (_quote(lake, "BRL.USD.PTAX", d) for d in (D0, D1, D2))
    f1, f2 = (_quote(lake, "BRL.USD.SPOT", d) for d in (D1, D2))
    r1 = pms.mark(D1)
    c0, c1 = carry(lake.at(D0), "USDBRL.NDF"), carry(lake.at(D1), "USDBRL.NDF")
    local1 = -1e6 * (p1 / p0 - 1) - 1e6 * c0 * DT
    assert r1.pnl_brl == pytest.approx(local1 * f1, rel=1e-10)
    r2 = pms.mark(D2)
    sessions = len(business_day_range("2026-10-03", D2, "B3"))
    local2 = -1e6 * (p2 / p1 - 1) - 1e6 * c1 * DT * sessions
    assert r2.pnl_brl == pytest.approx(local2 * f2 + local1 * (f2 - f1), rel=1e-10)
    assert r2.pnl_usd == pytest.approx(r2.pnl_brl / f2, rel=1e-12)


def test_fifo_reduction_realizes_and_closes(pms: PMS, lake):
    pms.enter_trade("IBOV.FUT", "buy", 1e7, trade_date=D0, idempotency_key="a")
    pms.enter_trade("IBOV.FUT", "buy", 1e7, trade_date=D0, idempotency_key="b", price=None)
    pms.mark(D0)
    q0 = _quote(lake, "BR.IBOV", D0)
    q1 = _quote(lake, "BR.IBOV", D1)
    fill = pms.enter_trade("IBOV.FUT", "sell", 1.5e7, trade_date=D1, idempotency_key="c")
    assert [lot for lot, _ in fill.reduced] == [1, 2] and fill.opened == ()
    lots = pms.positions(include_closed=True)
    assert lots.loc[1, "closed_date"] == dt.date(2026, 10, 2)
    assert lots.loc[2, "quantity"] == pytest.approx(5e6)
    # sold at the day's quote: realized = closed notional × (q1/q0 - 1)
    assert lots.loc[1, "realized_local"] == pytest.approx(1e7 * (q1 / q0 - 1), rel=1e-10)
    r1 = pms.mark(D1)  # equity futures have no carry: the whole 2e7 earns the move
    assert r1.pnl_brl == pytest.approx(2e7 * (q1 / q0 - 1), rel=1e-10)
    assert pms.audit_verify().ok


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (dict(instrument_id="NOPE.1Y"), "unknown instrument"),
        (dict(size=0), "positive and finite"),
        (dict(size=-5), "positive and finite"),
        (dict(size=float("nan")), "positive and finite"),
        (dict(size=float("inf")), "positive and finite"),
        (dict(size="abc"), "must be a number"),
        (dict(side="hold"), "side must be"),
        (dict(price=25.0), "far from the market"),
        (dict(trade_date="2099-01-04"), "in the future"),
        (dict(trade_date="not a date"), "not a date"),
        (dict(idempotency_key=""), "idempotency key is required"),
    ],
)
def test_bad_trades_are_refused_and_nothing_is_written(pms: PMS, call, match):
    pms.enter_trade("DI1.5Y", "buy", 1e7, trade_date=D0, idempotency_key="first")
    before = _state(pms)
    args = (
        dict(instrument_id="DI1.5Y", side="buy", size=1e7, trade_date=D1, idempotency_key="k")
        | call
    )
    with pytest.raises(TradeInputError, match=match):
        pms.enter_trade(**args)
    assert _state(pms) == before


def test_duplicates_and_dates_before_the_last_mark_or_the_lot_are_refused(pms: PMS):
    pms.enter_trade("DI1.5Y", "buy", 1e7, trade_date=D1, idempotency_key="k1")
    before = _state(pms)
    with pytest.raises(DuplicateSubmissionError, match="already used by trade 1"):
        pms.enter_trade("DI1.5Y", "buy", 1e7, trade_date=D1, idempotency_key="k1")
    with pytest.raises(TradeInputError, match="before lot 1 opened"):
        pms.enter_trade("DI1.5Y", "sell", 1e7, trade_date=D0, idempotency_key="k2")
    assert _state(pms) == before
    pms.mark(D1)
    with pytest.raises(TradeInputError, match="not after the last mark"):
        pms.enter_trade("DI1.5Y", "sell", 1e7, trade_date=D1, idempotency_key="k3")


@pytest.mark.parametrize("url", ["not a url", "mysql://u@h/db", "sqlite+nodriver:///x.db"])
def test_malformed_database_urls_are_refused(url: str):
    with pytest.raises(DatabaseURLError):
        PMS.open(url)


def test_an_older_schema_is_upgraded_without_losing_rows(db_url: str, lake):
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO settings (key, value) VALUES ('capital', '5e8')"))
    pms = PMS.open(db_url, lake=lake)
    assert db.current_revision(pms.engine) == db.head_revision()
    assert pms.settings()["capital"] == 5e8
    engine.dispose()
    pms.engine.dispose()

"""Schema, trades, lots and marks on both engines: P&L recomputed by hand from lake quotes,
idempotent marks, FIFO reductions, FX translation, and bad input refused with nothing written."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select, text

from research_core.errors import (
    DatabaseURLError,
    DuplicateSubmissionError,
    TradeInputError,
)
from research_core.pms import PMS, db
from research_core.pms.models import Trade
from research_core.pnl import DT, carry
from tests.pms.conftest import four_eyes_off

D0, D1, D2 = "2026-10-01", "2026-10-02", "2026-10-05"


@pytest.fixture
def pms(pms: PMS) -> PMS:
    """These tests book trades directly: four-eyes off (requested and approved by two)."""
    return four_eyes_off(pms)


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
    assert pms.settings() == {"capital": 1e9, "four_eyes": False}  # off by an approved change


def test_a_di1_lot_is_marked_by_hand(pms: PMS, lake):
    """DI1 is a zero: PU = 100,000 / (1 + y)^t (B3 contract spec), so a long-quote unit
    earns 1 - PU(y1)/PU(y0) = 1 - ((1 + y0)/(1 + y1))^t, plus carry × sessions/252."""
    pms.enter_trade("DI1.2Y", "buy", 5e7, trade_date=D0, idempotency_key="k1")
    q0, q1 = _quote(lake, "BR.DI.2Y", D0), _quote(lake, "BR.DI.2Y", D1)
    r0 = pms.mark(D0)
    assert r0.pnl_brl == pytest.approx(0.0, abs=1e-6)  # traded at the day's quote
    r1 = pms.mark(D1)
    c = carry(lake.at(D0), "DI1.2Y")
    move = 1 - ((1 + q0 / 100) / (1 + q1 / 100)) ** 2.0
    expected = 5e7 * move + 5e7 * c * DT * 1
    assert r1.pnl_brl == pytest.approx(expected, rel=1e-10)
    assert r1.nav_brl == pytest.approx(1e9 + expected, rel=1e-12)
    again = pms.mark(D1)
    assert again.already_marked and again.nav_brl == r1.nav_brl
    assert len(pms.nav_history()) == 2
    with pytest.raises(TradeInputError, match="already marked through"):
        pms.mark(D0)


def test_usd_pnl_is_translated_into_brl_and_ndf_earns_brl(pms: PMS, lake):
    """ES future (USD): local = 2e6 × (p1/p0 - 1); BRL = local × USD/BRL + accumulated USD
    P&L × ΔUSD/BRL. NDF sold 1m USD earns -1e6 × (S1 - S0) BRL (its quote is BRL per USD)."""
    pms.enter_trade("ES.FUT", "buy", 2e6, trade_date=D0, idempotency_key="e1")
    pms.enter_trade("USDBRL.NDF", "sell", 1e6, trade_date=D0, idempotency_key="n1")
    pms.mark(D0)
    e0, e1, e2 = (_quote(lake, "US.SPX", d) for d in (D0, D1, D2))
    s0, s1 = (_quote(lake, "BRL.USD.PTAX", d) for d in (D0, D1))
    f1, f2 = (_quote(lake, "BRL.USD.SPOT", d) for d in (D1, D2))
    c0 = carry(lake.at(D0), "USDBRL.NDF")
    r1 = pms.mark(D1)
    local1 = 2e6 * (e1 / e0 - 1)
    ndf1 = -1e6 * (s1 - s0) - 1e6 * s0 * c0 * DT
    assert r1.pnl_brl == pytest.approx(local1 * f1 + ndf1, rel=1e-10)
    rows = pms.pnl_history().set_index(["as_of", "instrument_id"])
    assert rows.loc[(dt.date(2026, 10, 2), "USDBRL.NDF"), "pnl_brl"] == pytest.approx(ndf1)
    pms.mark(D2)
    rows = pms.pnl_history().set_index(["as_of", "instrument_id"])
    es2 = rows.loc[(dt.date(2026, 10, 5), "ES.FUT")]
    local2 = 2e6 * (e2 / e1 - 1)
    assert es2["pnl_brl"] == pytest.approx(local2 * f2 + local1 * (f2 - f1), rel=1e-10)
    assert es2["pnl_usd"] == pytest.approx(es2["pnl_brl"] / f2, rel=1e-12)


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


def test_models_and_migrations_agree(db_url: str):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from research_core.pms.models import Base

    engine = db.make_engine(db_url)
    db.upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    engine.dispose()


def test_an_older_schema_is_upgraded_without_losing_rows(db_url: str, lake):
    """A book written at revision 0001 (before roll-down had a column) keeps every row."""
    engine = db.make_engine(db_url)
    db.upgrade(engine, "0001")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO settings (key, value) VALUES ('capital', '5e8')"))
        conn.execute(
            text(
                "INSERT INTO instruments VALUES ('DI1.1Y', 'DI1', 'rates', 'BRL', 'BR.DI.1Y', "
                "'yield')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO trades (id, instrument_id, quantity, price, trade_date, "
                "executed_at, actor, idempotency_key, strategy, agents, reason) VALUES "
                "(1, 'DI1.1Y', 1e7, 12.5, '2026-09-30', '2026-09-30 20:00:00', 'old', 'k0', "
                "'s', '[]', '')"
            )
        )
        conn.execute(
            text(
                "INSERT INTO positions (id, instrument_id, trade_id, strategy, agents, "
                "open_date, open_quantity, open_price, quantity, last_quote, last_fx, "
                "last_carry, last_mark_date, unrealized_local, carry_local, realized_local, "
                "pending_realized_local) VALUES (1, 'DI1.1Y', 1, 's', '[]', '2026-09-30', "
                "1e7, 12.5, 1e7, 12.5, 5.7, 0.0, '2026-09-30', 0, 0, 0, 0)"
            )
        )
    pms = PMS.open(db_url, lake=lake)
    assert db.current_revision(pms.engine) == db.head_revision()
    assert pms.settings()["capital"] == 5e8
    lots = pms.positions()
    assert lots.loc[1, "quantity"] == 1e7 and lots.loc[1, "open_price"] == 12.5
    assert pms.mark(D0).lots == 1  # the migrated lot marks (roll-down 0 until re-marked)
    assert pms.audit_verify().ok
    engine.dispose()
    pms.engine.dispose()


def test_a_misspelt_trade_option_is_refused_and_books_nothing(pms: PMS):
    """``enter_trade``'s options are a TypedDict (not checked at run time): ``rason=`` used
    to vanish silently; now it is a one-line error naming it, and nothing is booked."""
    head = pms.audit_head()
    with pytest.raises(TradeInputError, match=r"unknown trade option\(s\) \['rason'\]"):
        pms.enter_trade("DI1.2Y", "buy", 5e7, trade_date=D0, idempotency_key="typo", rason="hedge")  # type: ignore[call-arg]
    assert pms.audit_head() == head and pms.positions().empty

"""The PMS tables as SQLAlchemy 2.0 typed models.

The schema itself changes only through the Alembic revisions in ``pms/migrations``; these
classes describe it for the ORM. Amounts are floats in the lot's local currency unless the
column says BRL or USD; quantities are signed notionals "long the quote" (the house
convention of ``research_core.pnl``: +1 profits when the yield, price, FX rate or spread
rises).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    """Declarative base of the PMS tables."""


class Setting(Base):
    """Fund settings stored with the book (capital, inception, four-eyes)."""

    __tablename__ = "settings"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class InstrumentRow(Base):
    """An instrument the book has traded (copied from the catalog on first use)."""

    __tablename__ = "instruments"
    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(128))
    asset_class: Mapped[str] = mapped_column(String(32))
    currency: Mapped[str] = mapped_column(String(3))
    price_series: Mapped[str] = mapped_column(String(64))
    quote: Mapped[str] = mapped_column(String(16))


class Trade(Base):
    """One execution: a proposal's or a discretionary trade."""

    __tablename__ = "trades"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id"))
    quantity: Mapped[float] = mapped_column(Float)
    price: Mapped[float] = mapped_column(Float)
    trade_date: Mapped[dt.date] = mapped_column(Date)
    executed_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    idempotency_key: Mapped[str] = mapped_column(String(128), unique=True)
    proposal_id: Mapped[int | None] = mapped_column(ForeignKey("trade_proposals.id"))
    strategy: Mapped[str] = mapped_column(String(64))
    agents: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    reason: Mapped[str] = mapped_column(Text, default="")


class Lot(Base):
    """A position lot: opened by a trade, reduced FIFO by opposite trades, closed at zero."""

    __tablename__ = "positions"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id"), index=True)
    trade_id: Mapped[int] = mapped_column(ForeignKey("trades.id"))
    strategy: Mapped[str] = mapped_column(String(64))
    agents: Mapped[str] = mapped_column(Text, default="[]")
    open_date: Mapped[dt.date] = mapped_column(Date)
    open_quantity: Mapped[float] = mapped_column(Float)
    open_price: Mapped[float] = mapped_column(Float)
    quantity: Mapped[float] = mapped_column(Float)
    closed_date: Mapped[dt.date | None] = mapped_column(Date)
    last_quote: Mapped[float] = mapped_column(Float)
    last_fx: Mapped[float] = mapped_column(Float)  # USD/BRL at the last mark (or open)
    last_carry: Mapped[float] = mapped_column(Float)  # annual carry rate at the last mark
    last_roll: Mapped[float] = mapped_column(Float, default=0.0)  # its roll-down part (0003)
    last_mark_date: Mapped[dt.date] = mapped_column(Date)
    unrealized_local: Mapped[float] = mapped_column(Float, default=0.0)
    carry_local: Mapped[float] = mapped_column(Float, default=0.0)
    realized_local: Mapped[float] = mapped_column(Float, default=0.0)
    pending_realized_local: Mapped[float] = mapped_column(Float, default=0.0)


class Proposal(Base):
    """A trade the system proposes (or a PM enters) and its workflow state."""

    __tablename__ = "trade_proposals"
    __table_args__ = (Index("ux_trade_proposals_pending", "pending_key", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[dt.date] = mapped_column(Date)
    instrument_id: Mapped[str] = mapped_column(ForeignKey("instruments.id"))
    side: Mapped[int] = mapped_column(Integer)  # +1 buy the quote, -1 sell
    quantity: Mapped[float] = mapped_column(Float)  # absolute local notional proposed
    approved_quantity: Mapped[float | None] = mapped_column(Float)
    state: Mapped[str] = mapped_column(String(16), index=True)
    pending_key: Mapped[str | None] = mapped_column(String(48))  # unique while pending (0002)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    strategy: Mapped[str] = mapped_column(String(64))
    agents: Mapped[str] = mapped_column(Text, default="[]")
    rationale: Mapped[str] = mapped_column(Text, default="")
    impact: Mapped[str] = mapped_column(Text, default="{}")  # JSON pre-trade risk
    snapshot: Mapped[str] = mapped_column(Text, default="{}")  # JSON lake snapshot
    trade_id: Mapped[int | None] = mapped_column(Integer)


class ProposalEvent(Base):
    """One workflow transition: who, when, why, from which state to which."""

    __tablename__ = "proposal_events"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("trade_proposals.id"), index=True)
    event: Mapped[str] = mapped_column(String(16))
    from_state: Mapped[str] = mapped_column(String(16))
    to_state: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(64))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    reason: Mapped[str] = mapped_column(Text, default="")


class Decision(Base):
    """The decision journal: who decided what, when, why, on which data and code."""

    __tablename__ = "decision_journal"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(16), index=True)
    reason: Mapped[str] = mapped_column(Text, default="")
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    instrument_id: Mapped[str | None] = mapped_column(String(32), index=True)
    strategy: Mapped[str | None] = mapped_column(String(64), index=True)
    proposal_id: Mapped[int | None] = mapped_column(Integer)
    trade_id: Mapped[int | None] = mapped_column(Integer)
    snapshot: Mapped[str] = mapped_column(Text, default="{}")  # JSON: as_of, known_by, id
    code_version: Mapped[str] = mapped_column(String(64))
    detail: Mapped[str] = mapped_column(Text, default="{}")


class Briefing(Base):
    """A day's Morning Pack, stored with a fingerprint of its inputs."""

    __tablename__ = "daily_briefings"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[dt.date] = mapped_column(Date, unique=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    content: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    audit_head: Mapped[str] = mapped_column(String(64))


class PnLRow(Base):
    """One lot's P&L on one mark date, split into its parts (local, BRL, USD)."""

    __tablename__ = "pnl_history"
    __table_args__ = (UniqueConstraint("as_of", "lot_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    lot_id: Mapped[int] = mapped_column(ForeignKey("positions.id"))
    instrument_id: Mapped[str] = mapped_column(String(32))
    strategy: Mapped[str] = mapped_column(String(64))
    quantity: Mapped[float] = mapped_column(Float)  # held over the day (after trades)
    quote_prev: Mapped[float] = mapped_column(Float)
    quote: Mapped[float] = mapped_column(Float)
    fx_prev: Mapped[float] = mapped_column(Float)
    fx: Mapped[float] = mapped_column(Float)
    price_local: Mapped[float] = mapped_column(Float)
    carry_local: Mapped[float] = mapped_column(Float)
    roll_local: Mapped[float] = mapped_column(Float, default=0.0)  # part of carry (0003)
    realized_local: Mapped[float] = mapped_column(Float)
    translation_brl: Mapped[float] = mapped_column(Float)
    pnl_brl: Mapped[float] = mapped_column(Float)
    pnl_usd: Mapped[float] = mapped_column(Float)


class NavRow(Base):
    """The fund's NAV after each mark, in BRL and USD."""

    __tablename__ = "nav_history"
    as_of: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    nav_brl: Mapped[float] = mapped_column(Float)
    nav_usd: Mapped[float] = mapped_column(Float)
    pnl_brl: Mapped[float] = mapped_column(Float)
    pnl_usd: Mapped[float] = mapped_column(Float)
    usdbrl: Mapped[float] = mapped_column(Float)


class AuditRow(Base):
    """The append-only, hash-chained audit log (triggers refuse UPDATE and DELETE)."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    at: Mapped[str] = mapped_column(String(40))  # ISO-8601 UTC text: hashed as stored
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class UserRow(Base):
    """A person who may use the served pages beyond loopback (0004): the salted hash of
    their token, never the token itself (``pms/users.py``)."""

    __tablename__ = "users"
    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    salt: Mapped[str] = mapped_column(String(64))  # hex
    token_hash: Mapped[str] = mapped_column(String(128))  # hex, of the whole token
    kdf: Mapped[str] = mapped_column(String(64))  # e.g. "scrypt:n=16384,r=8,p=1"
    created_at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    created_by: Mapped[str] = mapped_column(String(64))

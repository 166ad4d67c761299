"""Lots and marks: trades open, add to, reduce (FIFO) and close lots; a mark values them.

Quantities are signed notionals in the instrument's currency, long the quote (the house
convention of ``research_core.pnl``); prices are quotes (yield %, price, FX rate, spread bp).
P&L is earned in ``pnl.pnl_currency`` (an FX quote earns BRL: a USD-booked NDF lot earns
quantity × quote BRL per unit return). Lots are marked to market daily like futures:

* price P&L  = quantity × ``pnl.quote_move(q_prev, q)`` (exact repricing) on the quantity
  held at the close;
* carry      = quantity × annual carry (``pnl.carry`` at the previous mark) × sessions / 252,
  of which ``roll_local`` is the roll-down part (``pnl.roll``: the slide down the curve);
* realized   = for a reduction, the closed quantity × ``quote_move(q_prev, trade price)``
  (reported at the next mark), and the closed share of the lot's accumulated P&L moves
  from unrealized to realized;
* translation (P&L earned in USD) = the lot's accumulated USD P&L × the day's change of USD/BRL.

BRL P&L is the local P&L × USD/BRL (for USD lots) plus translation. NAV = capital + the sum
of BRL P&L. The USD book is the BRL book at each mark's USD/BRL ``S``, so its P&L is the
change of its NAV, in two parts (a lot's ``pnl_usd`` is its part of the first):

    USD P&L_t = NAV_t / S_t − NAV_{t−1} / S_{t−1}
              = BRL P&L_t / S_t  (trading, converted)  +  NAV_{t−1} × (1/S_t − 1/S_{t−1})
                                                        (FX translation of the BRL capital)

Before the first mark the NAV is the capital, at USD/BRL of the day the first lot opened.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from research_core.calendars import business_day_range
from research_core.catalog import Instrument, instrument
from research_core.errors import TradeInputError
from research_core.lake.pit import PITView
from research_core.pms.models import InstrumentRow, Lot, NavRow, PnLRow, Trade
from research_core.pms.quotes import catalog_instrument, usdbrl
from research_core.pnl import (
    DT,
    carry,
    last_quote,
    pnl_currency,
    quote_move,
    roll,
)

# How far a trade price may be from the day's market quote: relative for prices and FX,
# absolute in quote units for yields (1.00 = 100 bp) and spreads (bp).
PRICE_BANDS: dict[str, tuple[str, float]] = {
    "price": ("relative", 0.10),
    "fx": ("relative", 0.10),
    "yield": ("absolute", 1.0),
    "spread": ("absolute", 100.0),
}
SIDES = {"buy": 1, "sell": -1}
_EPS = 1e-9


def side_sign(side: str | int) -> int:
    """+1 for buy (long the quote), -1 for sell; anything else is refused."""
    if isinstance(side, str) and side.lower() in SIDES:
        return SIDES[side.lower()]
    if side in (1, -1):
        return int(side)
    raise TradeInputError(f"side must be 'buy' or 'sell', got {side!r}")


def check_size(size: object, what: str = "size") -> float:
    """A positive finite size (absolute notional), or TradeInputError."""
    try:
        value = float(size)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise TradeInputError(f"{what} must be a number, got {size!r}") from err
    if not math.isfinite(value) or value <= 0:
        raise TradeInputError(f"{what} must be positive and finite, got {size!r}")
    return value


def market_quote(view: PITView, inst: Instrument) -> float:
    """The instrument's latest quote known at the view, or TradeInputError."""
    q = last_quote(view, inst.price_series)
    if not math.isfinite(q):
        raise TradeInputError(f"{inst.id}: no market quote for {inst.price_series} at {view.as_of}")
    return q


def check_price(inst: Instrument, price: float, market: float) -> float:
    """The trade price if it is finite and within ``PRICE_BANDS`` of the market quote."""
    if not math.isfinite(price):
        raise TradeInputError(f"{inst.id}: price must be finite, got {price!r}")
    kind, band = PRICE_BANDS[inst.quote]
    if inst.quote in ("price", "fx") and price <= 0:
        raise TradeInputError(f"{inst.id}: price must be positive, got {price!r}")
    off = abs(price / market - 1.0) if kind == "relative" else abs(price - market)
    if off > band:
        raise TradeInputError(
            f"{inst.id}: price {price!r} is far from the market quote {market:.6g} "
            f"({kind} distance {off:.4g} > {band})"
        )
    return price


def earn_scale(inst: Instrument, quote: float) -> float:
    """Local notional → P&L-currency notional: an FX quote earns in BRL (``pnl_currency``),
    so a USD-booked FX lot (the NDF) earns quantity × quote BRL per unit return."""
    return quote if pnl_currency(inst) != inst.currency else 1.0


def ensure_instrument(session: Session, inst: Instrument) -> None:
    """Copy a catalog instrument into the instruments table on first use."""
    if session.get(InstrumentRow, inst.id) is None:
        session.add(
            InstrumentRow(
                id=inst.id,
                name=inst.name,
                asset_class=inst.asset_class,
                currency=inst.currency,
                price_series=inst.price_series,
                quote=inst.quote,
            )
        )
        session.flush()


def last_mark_date(session: Session) -> dt.date | None:
    """The newest NAV date (marks are final up to it)."""
    return session.scalars(select(NavRow.as_of).order_by(NavRow.as_of.desc()).limit(1)).first()


@dataclass(frozen=True)
class Fill:
    """What a trade did to the book: lots opened and lots reduced (id, quantity closed)."""

    trade_id: int
    opened: tuple[int, ...]
    reduced: tuple[tuple[int, float], ...]


@dataclass(frozen=True)
class Ticket:
    """A trade to book: the instrument, signed local notional, price and date, who booked
    it under which key, its strategy, agents and reason, and the proposal it executes."""

    instrument_id: str
    quantity: float
    price: float
    trade_date: dt.date
    actor: str
    idempotency_key: str
    strategy: str
    agents: tuple[str, ...]
    reason: str
    proposal_id: int | None = None


def book_trade(session: Session, view: PITView, ticket: Ticket) -> Fill:
    """Record a trade and apply it to the lots (FIFO against opposite lots)."""
    quantity, price, trade_date = ticket.quantity, ticket.price, ticket.trade_date
    strategy = ticket.strategy
    inst = catalog_instrument(ticket.instrument_id)
    ensure_instrument(session, inst)
    agents_json = json.dumps(sorted(ticket.agents))
    trade = Trade(
        instrument_id=inst.id,
        quantity=quantity,
        price=price,
        trade_date=trade_date,
        executed_at=dt.datetime.now(dt.UTC),
        actor=ticket.actor,
        idempotency_key=ticket.idempotency_key,
        proposal_id=ticket.proposal_id,
        strategy=strategy,
        agents=agents_json,
        reason=ticket.reason,
    )
    session.add(trade)
    session.flush()
    remaining = quantity
    reduced: list[tuple[int, float]] = []
    opposite = session.scalars(
        select(Lot)
        .where(Lot.instrument_id == inst.id, Lot.closed_date.is_(None))
        .order_by(Lot.open_date, Lot.id)
    ).all()
    for lot in opposite:
        if abs(remaining) < _EPS or np.sign(lot.quantity) == np.sign(remaining):
            continue
        if trade_date < lot.open_date:
            raise TradeInputError(
                f"{inst.id}: trade date {trade_date} is before lot {lot.id} opened "
                f"({lot.open_date})"
            )
        closed = -np.sign(remaining) * min(abs(remaining), abs(lot.quantity))
        _reduce(lot, inst, float(closed), price, trade_date)
        reduced.append((lot.id, float(closed)))
        remaining += closed
    opened: list[int] = []
    if abs(remaining) >= _EPS:
        fx = usdbrl(view)
        lot = Lot(
            instrument_id=inst.id,
            trade_id=trade.id,
            strategy=strategy,
            agents=agents_json,
            open_date=trade_date,
            open_quantity=remaining,
            open_price=price,
            quantity=remaining,
            last_quote=price,
            last_fx=fx,
            last_carry=carry(view, inst.id),
            last_roll=roll(view, inst.id),
            last_mark_date=trade_date,
            unrealized_local=0.0,
            carry_local=0.0,
            realized_local=0.0,
            pending_realized_local=0.0,
        )
        session.add(lot)
        session.flush()
        opened.append(lot.id)
    return Fill(trade.id, tuple(opened), tuple(reduced))


def _reduce(lot: Lot, inst: Instrument, closed: float, price: float, day: dt.date) -> None:
    """Close ``closed`` (same sign as the lot) at ``price``: realize its share."""
    share = closed / lot.quantity
    move = closed * earn_scale(inst, lot.last_quote)
    move *= float(quote_move(inst, np.array(lot.last_quote), np.array(price)))
    realized = share * (lot.unrealized_local + lot.carry_local) + move
    lot.unrealized_local -= share * lot.unrealized_local
    lot.carry_local -= share * lot.carry_local
    lot.realized_local += realized
    lot.pending_realized_local += move
    lot.quantity -= closed
    if abs(lot.quantity) < _EPS * max(1.0, abs(lot.open_quantity)):
        lot.quantity = 0.0
        lot.closed_date = day


@dataclass(frozen=True)
class MarkResult:
    """One mark: the date, NAV and P&L, and whether it was already there (idempotent)."""

    as_of: dt.date
    nav_brl: float
    nav_usd: float
    pnl_brl: float
    pnl_usd: float  # the USD NAV's change: trading_usd + translation_usd
    lots: int
    already_marked: bool = False

    @property
    def trading_usd(self) -> float:
        """The BRL P&L converted at the mark's USD/BRL (NAV BRL / NAV USD)."""
        return self.pnl_brl * self.nav_usd / self.nav_brl

    @property
    def translation_usd(self) -> float:
        """The FX translation of the BRL capital held over the day, in USD."""
        return self.pnl_usd - self.trading_usd

    def summary(self) -> str:
        again = " (already marked; unchanged)" if self.already_marked else ""
        return (
            f"marked {self.as_of}: {self.lots} lots, P&L {self.pnl_brl:,.0f} BRL; "
            f"{self.pnl_usd:,.0f} USD = trading {self.trading_usd:,.0f} USD + FX translation "
            f"of capital {self.translation_usd:,.0f} USD; NAV {self.nav_brl:,.0f} BRL{again}"
        )


def usd_split(nav_history: pd.DataFrame) -> pd.DataFrame:
    """The NAV history with the USD P&L's two parts: ``trading_usd`` (BRL P&L / USD/BRL)
    and ``translation_usd`` (the rest: the BRL capital's FX translation)."""
    out = nav_history.copy()
    out["trading_usd"] = out["pnl_brl"] / out["usdbrl"]
    out["translation_usd"] = out["pnl_usd"] - out["trading_usd"]
    return out


def _opening(
    session: Session, lots: Sequence[Lot], capital: float, fx: float
) -> tuple[float, float]:
    """NAV (BRL) and USD/BRL before this mark: the last mark's, or before the first the
    capital at the USD/BRL of the day the first lot opened (today's without lots)."""
    prev = session.scalars(select(NavRow).order_by(NavRow.as_of.desc()).limit(1)).first()
    if prev is not None:
        return prev.nav_brl, prev.usdbrl
    first = min(lots, key=lambda lot: (lot.open_date, lot.id), default=None)
    return capital, (fx if first is None else first.last_fx)


def mark_lots(session: Session, view: PITView, day: dt.date, capital: float) -> MarkResult:
    """Mark every open lot (and lots closed since the last mark) at ``day``; write P&L
    rows and the NAV row. The caller checks that ``day`` is after the last mark."""
    fx = usdbrl(view)
    lots = session.scalars(
        select(Lot)
        .where(
            Lot.open_date <= day,
            or_(Lot.closed_date.is_(None), Lot.pending_realized_local != 0.0),
        )
        .order_by(Lot.id)
    ).all()
    nav_prev, fx_prev = _opening(session, lots, capital, fx)
    total_brl = 0.0
    quotes: dict[str, float] = {}
    rates: dict[str, tuple[float, float]] = {}  # next-day carry and roll, per instrument
    for lot in lots:
        inst = instrument(lot.instrument_id)
        if inst.id not in quotes:
            quotes[inst.id] = market_quote(view, inst)
        q = quotes[inst.id]
        sessions = len(business_day_range(lot.last_mark_date + dt.timedelta(days=1), day, "B3"))
        notional = lot.quantity * earn_scale(inst, lot.last_quote)
        price_local = notional * float(quote_move(inst, np.array(lot.last_quote), np.array(q)))
        carry_local = notional * lot.last_carry * DT * sessions
        roll_local = notional * lot.last_roll * DT * sessions
        realized = lot.pending_realized_local
        local = price_local + carry_local + realized
        translation = 0.0
        if pnl_currency(inst) == "USD":
            balance = lot.unrealized_local + lot.carry_local + lot.realized_local - realized
            translation = balance * (fx - lot.last_fx)
            pnl_brl = local * fx + translation
        else:
            pnl_brl = local
        session.add(
            PnLRow(
                as_of=day,
                lot_id=lot.id,
                instrument_id=lot.instrument_id,
                strategy=lot.strategy,
                quantity=lot.quantity,
                quote_prev=lot.last_quote,
                quote=q,
                fx_prev=lot.last_fx,
                fx=fx,
                price_local=price_local,
                carry_local=carry_local,
                roll_local=roll_local,
                realized_local=realized,
                translation_brl=translation,
                pnl_brl=pnl_brl,
                pnl_usd=pnl_brl / fx,
            )
        )
        lot.unrealized_local += price_local
        lot.carry_local += carry_local
        lot.pending_realized_local = 0.0
        lot.last_quote, lot.last_fx, lot.last_mark_date = q, fx, day
        if lot.closed_date is None:
            if inst.id not in rates:
                rates[inst.id] = (carry(view, inst.id), roll(view, inst.id))
            lot.last_carry, lot.last_roll = rates[inst.id]
        total_brl += pnl_brl
    nav = nav_prev + total_brl
    pnl_usd = total_brl / fx + nav_prev * (1.0 / fx - 1.0 / fx_prev)  # = Δ(NAV / USD/BRL)
    session.add(
        NavRow(
            as_of=day,
            nav_brl=nav,
            nav_usd=nav / fx,
            pnl_brl=total_brl,
            pnl_usd=pnl_usd,
            usdbrl=fx,
        )
    )
    session.flush()
    return MarkResult(day, nav, nav / fx, total_brl, pnl_usd, len(lots))


def lots_frame(session: Session, *, include_closed: bool = False) -> pd.DataFrame:
    """The lots as a frame (one row per lot; open lots only unless ``include_closed``)."""
    stmt = select(Lot).order_by(Lot.id)
    if not include_closed:
        stmt = stmt.where(Lot.closed_date.is_(None))
    cols = [
        "id",
        "instrument_id",
        "strategy",
        "agents",
        "open_date",
        "open_quantity",
        "open_price",
        "quantity",
        "closed_date",
        "last_quote",
        "last_mark_date",
        "unrealized_local",
        "carry_local",
        "realized_local",
    ]
    rows = [{c: getattr(lot, c) for c in cols} for lot in session.scalars(stmt)]
    frame = pd.DataFrame(rows, columns=cols).set_index("id")
    frame["agents"] = frame["agents"].map(json.loads)
    frame["currency"] = [instrument(i).currency for i in frame["instrument_id"]]
    return frame

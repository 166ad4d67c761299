"""The held book, a service of the PMS facade: trades booked without a proposal, the
book held at a date (point in time), marks, NAV and the P&L rows.

Each function takes the facade (``pms``) first, like ``controls``, ``gate`` and
``package``; ``PMS`` delegates to them in a line or two.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, TypedDict

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from research_core.catalog import Instrument
from research_core.errors import (
    DuplicateSubmissionError,
    StaleQuoteError,
    StaleQuoteWarning,
    TradeInputError,
)
from research_core.lake.pit import PITView
from research_core.pms import audit, controls, db, gate
from research_core.pms.journal import Entry, record_audited, snapshot_of
from research_core.pms.models import Lot, NavRow, PnLRow, Trade
from research_core.pms.positions import (
    Fill,
    MarkResult,
    Ticket,
    book_trade,
    catalog_instrument,
    check_price,
    check_size,
    last_mark_date,
    mark_lots,
    market_quote,
    side_sign,
    usd_split,
    usdbrl,
)
from research_core.risk.breakers import DrawdownLadder

if TYPE_CHECKING:
    from research_core.pms.system import PMS

HELD_EPS = 1e-9  # |net quantity| below this is flat (lots close at the same tolerance)


class TradeOptions(TypedDict, total=False):
    """The optional fields of a trade booked by hand (``PMS.enter_trade``)."""

    price: float | None
    actor: str | None
    strategy: str
    agents: Sequence[str]
    reason: str


def to_date(value: object, what: str = "date") -> dt.date:
    """A calendar date from a str/date/Timestamp, or TradeInputError naming ``what``."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise TradeInputError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from err
    if pd.isna(stamp):
        raise TradeInputError(f"{what} is missing")
    return stamp.date()


# ---- trades --------------------------------------------------------------------------------
def check_trade_date(pms: PMS, s: Session, day: dt.date) -> None:
    """A trade date is not in the future and falls after the last mark (marks are final)."""
    if day > pms._today():
        raise TradeInputError(f"trade date {day} is in the future (today is {pms._today()})")
    marked = last_mark_date(s)
    if marked is not None and day <= marked:
        raise TradeInputError(
            f"trade date {day} is not after the last mark ({marked}); marks are final"
        )


def check_key(s: Session, key: str) -> None:
    """Refuse an idempotency key a trade already used."""
    found = s.scalars(select(Trade.id).where(Trade.idempotency_key == key)).first()
    if found is not None:
        raise DuplicateSubmissionError(
            f"idempotency key {key!r} was already used by trade {found}; nothing booked"
        )


def required_key(key: str, refusal: str) -> str:
    """The idempotency key, normalized; ``refusal`` when it is missing or blank."""
    if not key or not str(key).strip():
        raise TradeInputError(refusal)
    return controls.normalize_key(key)


def fill_price(view: PITView, inst: Instrument, price: float | None) -> float:
    """The price a trade books at: ``price`` checked against the day's quote, else it."""
    market = market_quote(view, inst)
    return market if price is None else check_price(inst, float(price), market)


def enter_trade(
    pms: PMS,
    instrument_id: str,
    side: str | int,
    size: float,
    *,
    trade_date: object,
    idempotency_key: str,
    options: TradeOptions,
) -> Fill:
    """Book a trade without a proposal (four-eyes off): see :meth:`PMS.enter_trade`."""
    unknown = sorted(set(options) - set(TradeOptions.__annotations__))
    if unknown:  # a TypedDict is not checked at run time: a misspelt field must not vanish
        known = ", ".join(TradeOptions.__annotations__)
        raise TradeInputError(f"unknown trade option(s) {unknown}; valid: {known}")
    who = pms._who(options.get("actor"))
    strategy, agents = options.get("strategy", "discretionary"), options.get("agents", ())
    reason = options.get("reason", "")
    inst = catalog_instrument(instrument_id)
    qty = side_sign(side) * check_size(size)
    day = to_date(trade_date, "trade date")
    key = required_key(idempotency_key, "an idempotency key is required to book a trade")
    view = pms.view(day)
    px = fill_price(view, inst, options.get("price"))
    checked = gate.direct_trade(pms, view, inst, qty, day=day, key=key)
    ticket = Ticket(inst.id, qty, px, day, who, key, strategy, tuple(agents), reason)
    with db.unit_of_work(pms.engine) as s:
        check_trade_date(pms, s, day)
        check_key(s, key)
        fill = book_trade(s, view, ticket)
        detail = {"quantity": qty, "price": px} | checked.detail()
        entry = Entry(who, "trade", reason, day, inst.id, strategy, None, fill.trade_id, detail)
        payload = {
            "instrument": inst.id,
            "quantity": qty,
            "price": px,
            "trade_date": day,
            "idempotency_key": key,
            "strategy": strategy,
            "agents": sorted(agents),
            "opened": list(fill.opened),
            "reduced": [list(r) for r in fill.reduced],
        }
        payload |= checked.detail()
        record_audited(s, entry, payload, entity=("trade", fill.trade_id), view=view)
    gate.warn_soft(checked.soft, stacklevel=4)
    return fill


# ---- the book held -------------------------------------------------------------------------
def held(pms: PMS, as_of: object | None) -> pd.DataFrame:
    """The book held at the end of ``as_of`` (default today): see :meth:`PMS.held`."""
    day = to_date(as_of if as_of is not None else pms._today(), "as_of")
    with db.read_session(pms.engine) as s:
        rows = s.execute(
            select(Trade.instrument_id, func.sum(Trade.quantity))
            .where(Trade.trade_date <= day)
            .group_by(Trade.instrument_id)
        ).all()
    qty = pd.Series({str(i): float(q) for i, q in rows}, dtype="float64")
    qty = qty[qty.abs() >= HELD_EPS].sort_index()
    cols = ["quantity", "currency", "notional_brl", "weight"]
    if qty.empty:
        return pd.DataFrame(columns=cols, index=pd.Index([], name="instrument")).astype(
            {"quantity": "float64", "notional_brl": "float64", "weight": "float64"}
        )
    currency = pd.Series({i: catalog_instrument(i).currency for i in qty.index})
    fx = usdbrl(pms.view(day)) if (currency == "USD").any() else 1.0
    brl = qty * currency.map({"USD": fx, "BRL": 1.0}).astype(float)
    out = pd.DataFrame({"quantity": qty, "currency": currency, "notional_brl": brl})
    out["weight"] = brl / pms.nav(day)
    out.index.name = "instrument"
    return out


# ---- marks and NAV -------------------------------------------------------------------------
def stale_text(stale: Mapping[str, str]) -> str:
    """``series (last quote date)`` for the first few stale series, and how many in all."""
    shown = ", ".join(f"{k} (last quote {v})" for k, v in list(stale.items())[:3])
    return shown + (f" and {len(stale) - 3} more" if len(stale) > 3 else "")


def _marked(s: Session, day: dt.date) -> MarkResult:
    """The result of a mark already written (marking a day again changes nothing)."""
    row = s.get(NavRow, day)
    assert row is not None
    n = s.scalar(select(func.count()).select_from(PnLRow).where(PnLRow.as_of == day))
    return MarkResult(day, row.nav_brl, row.nav_usd, row.pnl_brl, row.pnl_usd, int(n or 0), True)


def mark(pms: PMS, as_of: object, *, actor: str | None, stale_ok: bool) -> MarkResult:
    """Mark every position from the lake as known at ``as_of``: see :meth:`PMS.mark`."""
    who = pms._who(actor)
    day = to_date(as_of, "as_of")
    if day > pms._today():
        raise TradeInputError(f"cannot mark {day}: it is in the future")
    gate.check_mark_day(day)
    view = pms.view(day)
    capital = float(pms.settings()["capital"])
    with db.unit_of_work(pms.engine) as s:
        last = last_mark_date(s)
        if last is not None and day < last:
            raise TradeInputError(f"cannot mark {day}: already marked through {last}")
        if last == day:
            return _marked(s, day)
        held_ids = s.scalars(select(Lot.instrument_id).where(Lot.closed_date.is_(None))).all()
        stale = gate.stale_quotes(view, day, sorted(set(held_ids)))
        if stale and not stale_ok:
            raise StaleQuoteError(
                f"cannot mark {day}: no new market data for {stale_text(stale)}; "
                "mark with --stale-ok (stale_ok=True) to accept these quotes"
            )
        result = mark_lots(s, view, day, capital)
        audit.append(
            s,
            actor=who,
            action="mark",
            entity="nav",
            entity_id=day,
            payload={
                "as_of": day,
                "nav_brl": result.nav_brl,
                "pnl_brl": result.pnl_brl,
                "lots": result.lots,
                "snapshot": snapshot_of(view),
            }
            | ({"stale_quotes": stale} if stale else {}),
        )
    if stale:
        warnings.warn(
            StaleQuoteWarning(f"marked {day} on stale quotes: {stale_text(stale)}"),
            stacklevel=3,
        )
    return result


def nav_history(engine: Engine) -> pd.DataFrame:
    """NAV and daily P&L per mark date, BRL and USD (USD P&L = trading_usd +
    translation_usd)."""
    with db.read_session(engine) as s:
        rows = s.scalars(select(NavRow).order_by(NavRow.as_of)).all()
        cols = ["nav_brl", "nav_usd", "pnl_brl", "pnl_usd", "usdbrl"]
        data = [[getattr(r, c) for c in cols] for r in rows]
        index = pd.DatetimeIndex([pd.Timestamp(r.as_of) for r in rows], name="as_of")
    return usd_split(pd.DataFrame(data, index=index, columns=cols))


def nav(pms: PMS, as_of: object | None) -> float:
    """The NAV in BRL of the last mark (on or before ``as_of`` when given); the capital
    before the first mark."""
    hist = nav_history(pms.engine)
    if as_of is not None:
        hist = hist[hist.index <= pd.Timestamp(to_date(as_of, "as_of"))]
    return float(hist["nav_brl"].iloc[-1]) if len(hist) else float(pms.settings()["capital"])


def equity(pms: PMS) -> pd.Series:
    """NAV history with the capital as its starting point, the day before the first mark
    (for the drawdown ladder); empty before the first mark."""
    hist = nav_history(pms.engine)["nav_brl"]
    if hist.empty:
        return hist.rename("equity")
    capital = float(pms.settings()["capital"])
    start = pd.Series([capital], index=[hist.index[0] - pd.Timedelta(days=1)])
    return pd.concat([start, hist]).rename("equity")


def drawdown(path: pd.Series, ladder: DrawdownLadder | None) -> tuple[float, int, str]:
    """Drawdown, ladder level and its name on ``path`` (0, 0, normal if it is empty)."""
    if path.empty:
        return 0.0, 0, "normal"
    return (ladder or DrawdownLadder()).status(path)


def pnl_history(engine: Engine) -> pd.DataFrame:
    """Every lot's P&L row (date, lot, instrument, strategy, parts, BRL and USD)."""
    with engine.connect() as conn:
        return pd.read_sql(select(PnLRow.__table__).order_by("as_of", "lot_id"), conn)


def pnl_rows(engine: Engine, start: object | None, end: object | None) -> pd.DataFrame:
    """The P&L rows (with their lot's agents) marked from ``start`` to ``end``."""
    stmt = select(PnLRow.__table__, Lot.agents).join(Lot, Lot.id == PnLRow.lot_id)
    if start is not None:
        stmt = stmt.where(PnLRow.as_of >= to_date(start, "start"))
    if end is not None:
        stmt = stmt.where(PnLRow.as_of <= to_date(end, "end"))
    with engine.connect() as conn:
        return pd.read_sql(stmt.order_by(PnLRow.as_of, PnLRow.lot_id), conn)

"""The PMS facade: one object the CLI, pipeline steps, dashboards and notebooks call.

Each public write is one unit of work (``pms.db.unit_of_work``): validation first, then
the rows and their audit record in one transaction under the PMS write lock. A refused
request raises a ``PMSError`` subclass and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from research_core._version import code_version
from research_core.config import get_settings
from research_core.errors import (
    DuplicateSubmissionError,
    LimitBreachError,
    LimitWarning,
    PMSError,
    StaleQuoteError,
    StaleQuoteWarning,
    TradeInputError,
    TransitionError,
)
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.pms import audit, controls, db, gate, integrity, keys
from research_core.pms import journal as decisions
from research_core.pms import package as packages
from research_core.pms.attribution import (
    PLATest,
    attribute,
    carino,
    hypothetical,
    pla_test,
    risk_theoretical,
)
from research_core.pms.impact import book_risk, trade_impact
from research_core.pms.journal import Replay
from research_core.pms.models import (
    Decision,
    Lot,
    NavRow,
    PnLRow,
    Proposal,
    ProposalEvent,
    Setting,
    Trade,
)
from research_core.pms.positions import (
    Fill,
    MarkResult,
    book_trade,
    catalog_instrument,
    check_price,
    check_size,
    ensure_instrument,
    last_mark_date,
    lots_frame,
    mark_lots,
    market_quote,
    side_sign,
    usd_split,
    usdbrl,
)
from research_core.pms.proposals import (
    MIN_TRADE,
    ProposalSpec,
    inputs_base,
    inputs_limits,
    inputs_series,
    proposal_specs,
)
from research_core.pms.workflow import DECIDING, pending_key, record_creation, transition
from research_core.risk.breakers import DrawdownLadder
from research_core.risk.limits import LimitsFile, RiskLimits, limits_path

if TYPE_CHECKING:
    from research_core.portfolio.book import Decision as BookDecision
    from research_core.signals.sources import CollectedSignals
    from research_core.strategies.base import BaseStrategy

DEFAULT_CAPITAL = 1e9
HELD_EPS = 1e-9  # |net quantity| below this is flat (lots close at the same tolerance)


def to_date(value: object, what: str = "date") -> dt.date:
    """A calendar date from a str/date/Timestamp, or TradeInputError naming ``what``."""
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise TradeInputError(f"{what} {value!r} is not a date (YYYY-MM-DD)") from err
    if pd.isna(stamp):
        raise TradeInputError(f"{what} is missing")
    return stamp.date()


class PMS:
    """Positions, proposals, journal, P&L and audit over one database and one lake.

    Open with :meth:`PMS.open`; ``actor`` is who the writes are attributed to when a call
    does not name someone.
    """

    def __init__(
        self,
        engine: Engine,
        lake: Lake | None = None,
        *,
        actor: str = "system",
        limits_file: str | Path | None = None,
    ):
        self.engine = engine
        self._source_lake = lake
        self.actor = controls.normalize_user(actor)
        self.limits_path = Path(limits_file or limits_path(str(engine.url)))

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        lake: Lake | str | Path | None = None,
        actor: str = "system",
        create: bool = True,
        limits_file: str | Path | None = None,
    ) -> PMS:
        """Open the PMS at ``url`` (default ``WORKBENCH_DB_URL``); ``create`` creates or
        upgrades the schema first (``workbench pms init``). ``limits_file``: the fund's
        limits (default ``risk.limits.limits_path``: beside a SQLite database)."""
        url = url or get_settings().db_url
        missing = db.missing_sqlite_file(url)
        if missing is not None and not create:  # connecting would create an empty file
            raise PMSError(f"no PMS database at {missing}: run `workbench pms init`")
        engine = db.make_engine(url)
        if isinstance(lake, str | Path):
            lake = Lake.open(lake)
        pms = cls(engine, lake, actor=actor, limits_file=limits_file)
        if create:
            pms.init()
        elif db.current_revision(engine) != db.head_revision():
            raise PMSError(
                f"database {db.safe_url(str(engine.url))} is at schema "
                f"{db.current_revision(engine)}, code needs {db.head_revision()}: "
                "run `workbench pms init`"
            )
        return pms

    def init(
        self, *, capital: float | None = None, four_eyes: bool | None = None, reason: str = ""
    ) -> str | None:
        """Create or upgrade the schema (never drops data) and store the capital given;
        returns the schema revision. Four-eyes is on for a new database; a ``four_eyes``
        other than the current one is recorded as a control change (with ``reason``) that
        a second user approves (:meth:`approve_control`)."""
        before = db.current_revision(self.engine)
        revision = db.upgrade(self.engine)
        if four_eyes is not None and bool(four_eyes) != self.settings()["four_eyes"]:
            controls.require_reason(reason, "a control change")  # refuse before any write
        else:
            four_eyes = None
        restored = integrity.restore_triggers(self.engine)  # dropped by hand: put back
        changes: dict[str, Any] = {}
        if capital is not None:
            changes["capital"] = check_size(capital, "capital")
        with db.unit_of_work(self.engine) as s:
            stored = {row.key: row.value for row in s.scalars(select(Setting))}
            if "capital" not in stored and "capital" not in changes:
                changes["capital"] = DEFAULT_CAPITAL
            if "capital" in changes and "capital" in stored and last_mark_date(s) is not None:
                raise PMSError("capital cannot change after the first mark")
            changes = {k: v for k, v in changes.items() if stored.get(k) != json.dumps(v)}
            for key, value in changes.items():
                s.merge(Setting(key=key, value=json.dumps(value)))
            if changes or before != revision or restored:
                payload = {"schema": revision, "from_schema": before, "settings": changes}
                audit.append(
                    s,
                    actor=self.actor,
                    action="init",
                    entity="settings",
                    entity_id="fund",
                    payload=payload | ({"triggers_restored": restored} if restored else {}),
                )
        if four_eyes is not None:
            self.request_control("four_eyes", bool(four_eyes), reason=reason)
        return revision

    @property
    def lake(self) -> Lake:
        """The lake marks and proposals read (default: ``WORKBENCH_LAKE_PATH``)."""
        if self._source_lake is None:
            self._source_lake = Lake.open()
        return self._source_lake

    @cached_property
    def tz(self) -> str:
        return get_settings().timezone

    def view(self, as_of: object) -> PITView:
        """The lake as known at the end of ``as_of`` (a date) in the fund's time zone."""
        return self.lake.at(str(to_date(as_of, "as_of")))

    def settings(self) -> dict[str, Any]:
        """Fund settings (capital, four_eyes: on unless an approved change turned it off)."""
        with db.read_session(self.engine) as s:
            out = {row.key: json.loads(row.value) for row in s.scalars(select(Setting))}
        out.setdefault("capital", DEFAULT_CAPITAL)
        out.setdefault("four_eyes", True)
        out.pop("limits", None)  # the approved limits file: see limits()
        return out

    # ---- controls: identities, control changes, limits -----------------------------------
    def _who(self, actor: str | None) -> str:
        """The acting user, normalized (``controls.normalize_user``)."""
        return controls.normalize_user(actor or self.actor)

    def limits_file(self) -> LimitsFile:
        """The approved limits file (version, who, why); refused if it was edited by hand."""
        with db.read_session(self.engine) as s:
            return controls.approved_limits(s, self.limits_path)

    def limits(self) -> RiskLimits:
        """The fund's limits as approved (what every approval is checked against)."""
        return self.limits_file().limits

    def request_control(
        self, setting: str, value: Any, *, actor: str | None = None, reason: str = ""
    ) -> int:
        """Request a change of a control setting ("four_eyes": bool, "limits":
        RiskLimits); returns its id. Applied only when another user approves it."""
        return controls.request_control(self, setting, value, actor=self._who(actor), reason=reason)

    def request_limits(
        self,
        values: Mapping[str, object],
        *,
        soft: Sequence[str] = (),
        hard: Sequence[str] = (),
        actor: str | None = None,
        reason: str = "",
    ) -> int:
        """Request new caps (``{"fx_delta": 1.5}`` or ``"2.5%"``) or kinds; returns its id."""
        new = controls.changed_limits(self.limits(), values, soft=soft, hard=hard)
        return self.request_control("limits", new, actor=actor, reason=reason)

    def approve_control(
        self, request_id: int, *, actor: str | None = None, reason: str = ""
    ) -> controls.ControlRequest:
        """Apply a pending control change; the approver must not be its requester."""
        return controls.decide_control(
            self, request_id, approve=True, actor=self._who(actor), reason=reason
        )

    def reject_control(
        self, request_id: int, *, actor: str | None = None, reason: str = ""
    ) -> controls.ControlRequest:
        """Reject (or withdraw) a pending control change."""
        return controls.decide_control(
            self, request_id, approve=False, actor=self._who(actor), reason=reason
        )

    def control_requests(self, *, state: str | None = None) -> list[controls.ControlRequest]:
        """Control change requests, oldest first (``state``: pending/approved/rejected)."""
        with db.read_session(self.engine) as s:
            found = controls.control_requests(s)
        return [r for r in found if state is None or r.state == state]

    def restore_limits(self, *, actor: str | None = None, reason: str = "") -> Path | None:
        """Rewrite the approved limits file when it is missing or was edited by hand."""
        return controls.restore_limits(self, actor=self._who(actor), reason=reason)

    # ---- trades and positions ------------------------------------------------------------
    def _today(self) -> dt.date:
        return pd.Timestamp.now(self.tz).date()

    def _check_trade_date(self, s: Session, day: dt.date) -> None:
        if day > self._today():
            raise TradeInputError(f"trade date {day} is in the future (today is {self._today()})")
        marked = last_mark_date(s)
        if marked is not None and day <= marked:
            raise TradeInputError(
                f"trade date {day} is not after the last mark ({marked}); marks are final"
            )

    def _journal(
        self,
        s: Session,
        *,
        actor: str,
        action: str,
        reason: str,
        as_of: dt.date,
        view: PITView | None,
        instrument_id: str | None = None,
        strategy: str | None = None,
        proposal_id: int | None = None,
        trade_id: int | None = None,
        detail: dict[str, Any] | None = None,
    ) -> Decision:
        row = Decision(
            at=dt.datetime.now(dt.UTC),
            actor=actor,
            action=action,
            reason=reason,
            as_of=as_of,
            instrument_id=instrument_id,
            strategy=strategy,
            proposal_id=proposal_id,
            trade_id=trade_id,
            snapshot=audit.canonical(snapshot_of(view)),
            code_version=code_version(),
            detail=audit.canonical(detail or {}),
        )
        s.add(row)
        s.flush()
        return row

    def enter_trade(
        self,
        instrument_id: str,
        side: str | int,
        size: float,
        *,
        trade_date: object,
        idempotency_key: str,
        price: float | None = None,
        actor: str | None = None,
        strategy: str = "discretionary",
        agents: Sequence[str] = (),
        reason: str = "",
    ) -> Fill:
        """Book a trade directly at ``price`` (default: the day's quote): only with
        four-eyes off, else a trade is a proposal (:meth:`submit`, another user approves,
        :meth:`execute`); the same ticket and limit checks (``gate.direct_trade``).
        Validated first; nothing is written on an error."""
        who = self._who(actor)
        inst = catalog_instrument(instrument_id)
        qty = side_sign(side) * check_size(size)
        day = to_date(trade_date, "trade date")
        if not idempotency_key or not str(idempotency_key).strip():
            raise TradeInputError("an idempotency key is required to book a trade")
        idempotency_key = controls.normalize_key(idempotency_key)
        view = self.view(day)
        market = market_quote(view, inst)
        px = market if price is None else check_price(inst, float(price), market)
        checked = gate.direct_trade(self, view, inst, qty, day=day, key=idempotency_key)
        with db.unit_of_work(self.engine) as s:
            self._check_trade_date(s, day)
            self._check_key(s, idempotency_key)
            fill = book_trade(
                s,
                view,
                instrument_id=inst.id,
                quantity=qty,
                price=px,
                trade_date=day,
                actor=who,
                idempotency_key=idempotency_key,
                strategy=strategy,
                agents=agents,
                reason=reason,
            )
            decision = self._journal(
                s,
                actor=who,
                action="trade",
                reason=reason,
                as_of=day,
                view=view,
                instrument_id=inst.id,
                strategy=strategy,
                trade_id=fill.trade_id,
                detail={"quantity": qty, "price": px} | checked.detail(),
            )
            audit.append(
                s,
                actor=who,
                action="trade",
                entity="trade",
                entity_id=fill.trade_id,
                payload={
                    "instrument": inst.id,
                    "quantity": qty,
                    "price": px,
                    "trade_date": day,
                    "idempotency_key": idempotency_key,
                    "strategy": strategy,
                    "agents": sorted(agents),
                    "opened": list(fill.opened),
                    "reduced": [list(r) for r in fill.reduced],
                    "decision": decision.id,
                }
                | checked.detail(),
            )
        _warn(checked.soft)
        return fill

    @staticmethod
    def _check_key(s: Session, key: str) -> None:
        found = s.scalars(select(Trade.id).where(Trade.idempotency_key == key)).first()
        if found is not None:
            raise DuplicateSubmissionError(
                f"idempotency key {key!r} was already used by trade {found}; nothing booked"
            )

    def positions(self, *, include_closed: bool = False) -> pd.DataFrame:
        """The lots (one row each): instrument, strategy, agents, quantity, marks, P&L."""
        with db.read_session(self.engine) as s:
            return lots_frame(s, include_closed=include_closed)

    def held(self, as_of: object | None = None) -> pd.DataFrame:
        """The book held at the end of ``as_of`` (default today), point in time: the net
        quantity per instrument of the trades dated on or before it (FIFO lots net to the
        same), in BRL at USD/BRL known then, over the NAV of the last mark on or before it
        (the capital before the first). Index instrument; quantity (signed local notional),
        currency, notional_brl, weight (fraction of NAV: the risk engine's weights)."""
        day = to_date(as_of if as_of is not None else self._today(), "as_of")
        with db.read_session(self.engine) as s:
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
        fx = usdbrl(self.view(day)) if (currency == "USD").any() else 1.0
        brl = qty * currency.map({"USD": fx, "BRL": 1.0}).astype(float)
        out = pd.DataFrame(
            {"quantity": qty, "currency": currency, "notional_brl": brl},
        )
        out["weight"] = brl / self.nav(day)
        out.index.name = "instrument"
        return out

    def exposures(self, as_of: object | None = None) -> pd.Series:
        """Net exposure per instrument held at ``as_of`` as a fraction of NAV (the risk
        engine's weights; :meth:`held`)."""
        return self.held(as_of)["weight"].rename("weight")

    # ---- marks, NAV ----------------------------------------------------------------------
    def mark(
        self, as_of: object, *, actor: str | None = None, stale_ok: bool = False
    ) -> MarkResult:
        """Mark every position from the lake as known at ``as_of`` (a B3 session); write
        P&L and NAV. Quotes more than ``gate.STALE_SESSIONS`` sessions old are refused
        unless ``stale_ok`` (then recorded and warned). Idempotent: marking the same date
        again changes nothing."""
        who = self._who(actor)
        day = to_date(as_of, "as_of")
        if day > self._today():
            raise TradeInputError(f"cannot mark {day}: it is in the future")
        gate.check_mark_day(day)
        view = self.view(day)
        capital = float(self.settings()["capital"])
        with db.unit_of_work(self.engine) as s:
            last = last_mark_date(s)
            if last is not None and day < last:
                raise TradeInputError(f"cannot mark {day}: already marked through {last}")
            if last == day:
                row = s.get(NavRow, day)
                assert row is not None
                n = s.scalar(select(func.count()).select_from(PnLRow).where(PnLRow.as_of == day))
                return MarkResult(
                    day, row.nav_brl, row.nav_usd, row.pnl_brl, row.pnl_usd, int(n or 0), True
                )
            held = s.scalars(select(Lot.instrument_id).where(Lot.closed_date.is_(None))).all()
            stale = gate.stale_quotes(view, day, sorted(set(held)))
            if stale and not stale_ok:
                raise StaleQuoteError(
                    f"cannot mark {day}: no new market data for {_stale_text(stale)}; "
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
                StaleQuoteWarning(f"marked {day} on stale quotes: {_stale_text(stale)}"),
                stacklevel=2,
            )
        return result

    def nav_history(self) -> pd.DataFrame:
        """NAV and daily P&L per mark date, BRL and USD (USD P&L = trading_usd +
        translation_usd)."""
        with db.read_session(self.engine) as s:
            rows = s.scalars(select(NavRow).order_by(NavRow.as_of)).all()
            cols = ["nav_brl", "nav_usd", "pnl_brl", "pnl_usd", "usdbrl"]
            data = [[getattr(r, c) for c in cols] for r in rows]
            index = pd.DatetimeIndex([pd.Timestamp(r.as_of) for r in rows], name="as_of")
        return usd_split(pd.DataFrame(data, index=index, columns=cols))

    def nav(self, as_of: object | None = None) -> float:
        """The NAV in BRL of the last mark (on or before ``as_of`` when given); the capital
        before the first mark."""
        hist = self.nav_history()
        if as_of is not None:
            hist = hist[hist.index <= pd.Timestamp(to_date(as_of, "as_of"))]
        return float(hist["nav_brl"].iloc[-1]) if len(hist) else float(self.settings()["capital"])

    def nav_path(self, as_of: object | None = None) -> pd.Series:
        """The capital, then the NAV after each mark (through ``as_of`` when given): the
        equity the drawdown limit and ladder read, the capital being the first high."""
        eq = self.equity()  # starts from the capital
        if as_of is not None:
            eq = eq[eq.index <= pd.Timestamp(to_date(as_of, "as_of"))]
        return eq

    def equity(self) -> pd.Series:
        """NAV history with the capital as its starting point, the day before the first
        mark (for the drawdown ladder); empty before the first mark."""
        hist = self.nav_history()["nav_brl"]
        if hist.empty:
            return hist.rename("equity")
        capital = float(self.settings()["capital"])
        start = pd.Series([capital], index=[hist.index[0] - pd.Timedelta(days=1)])
        return pd.concat([start, hist]).rename("equity")

    def drawdown(self, ladder: DrawdownLadder | None = None) -> tuple[float, int, str]:
        """Drawdown, ladder level and its name from the NAV history (0, 0, normal if none)."""
        path = self.nav_path()
        if path.empty:
            return 0.0, 0, "normal"
        return (ladder or DrawdownLadder()).status(path)

    def pnl_history(self) -> pd.DataFrame:
        """Every lot's P&L row (date, lot, instrument, strategy, parts, BRL and USD)."""
        with self.engine.connect() as conn:
            return pd.read_sql(select(PnLRow.__table__).order_by("as_of", "lot_id"), conn)

    # ---- proposals and their workflow ----------------------------------------------------
    def _risk_inputs(self, as_of: dt.date) -> dict[str, Any]:
        """What a proposal's risk depends on besides the lake: weights held, approved
        proposals not executed (what it is priced on top of), NAV, NAV history, limits."""
        equity = self.equity()
        equity = equity[equity.index <= pd.Timestamp(as_of)]
        approved = packages.approved_weights(self, as_of)
        return {
            "weights": {k: float(v) for k, v in self.exposures(as_of).items()},
            "approved": {str(k): float(v) for k, v in approved.items()},
            "nav": self.nav(as_of),
            "equity": {f"{k:%Y-%m-%d}": float(v) for k, v in equity.items()},
            "limits": json.loads(self.limits().model_dump_json()),
        }

    def propose(
        self,
        as_of: object,
        *,
        method: str = "erc",
        actor: str | None = None,
        min_trade: float = MIN_TRADE,
        n_sims: int = 20_000,
        strategies: Mapping[str, BaseStrategy] | None = None,
        collected: CollectedSignals | None = None,
        decision: BookDecision | None = None,
    ) -> pd.DataFrame:
        """Decide the target at ``as_of`` (``portfolio.book.decide``, the one decision path)
        against the book held then (:meth:`held`) and store one proposal per trade from
        held to target, each with its pre-trade risk. An instrument and side that already
        has a pending proposal is skipped. ``collected``: the signals already collected at
        ``as_of``, so the agents and strategies do not run twice; ``decision``: the target
        already decided against the same held book (the daily pipeline's book step), which
        is checked, not trusted."""
        from research_core.agents.store import stored_reports
        from research_core.portfolio.book import decide, gather, position_sizes  # on use
        from research_core.portfolio.constraints import Constraints

        who = self._who(actor)
        day = to_date(as_of, "as_of")
        view = self.view(day)
        inputs = self._risk_inputs(day)
        current, equity = inputs_series(inputs)
        nav, limits = float(inputs["nav"]), inputs_limits(inputs)
        if decision is None:
            gathered = None if collected is None else gather(view, collected=collected)
            with stored_reports(self.lake):  # the agents' reports, kept for a replay
                decision = decide(
                    view,
                    method=method,
                    current=current,
                    strategies=strategies,
                    gathered=gathered,
                    equity=equity,
                    constraints=Constraints(limits=limits),
                )
        else:
            check_decision(decision, current, view)
            method = decision.portfolio.method
        sizes = position_sizes(decision.portfolio.weights, view, nav)
        specs = proposal_specs(
            decision, current, nav=nav, usdbrl=usdbrl(view), min_trade=min_trade, sizes=sizes
        )
        specs, dropped = packages.ticket_floor(specs, limits, nav=nav, fx=usdbrl(view))
        base = inputs_base(inputs)  # held + approved: what each proposal is priced on
        before = book_risk(base, view, nav=nav, equity=equity, limits=limits)
        snapshot = snapshot_of(view) | {"method": method, "n_sims": n_sims, "min_trade": min_trade}
        made: list[int] = []
        trades: list[tuple[int, str, float]] = []
        with db.read_session(self.engine) as s:
            pending = set(
                s.scalars(select(Proposal.pending_key).where(Proposal.pending_key.is_not(None)))
            )
        for spec in specs:
            if pending_key(spec.instrument_id, spec.side) in pending:
                continue
            impact = trade_impact(
                view,
                base,
                spec.instrument_id,
                spec.delta_weight,
                nav=nav,
                equity=equity,
                before=before,
                limits=limits,
            )
            pid = self._store_proposal(day, spec, who, impact, snapshot | {"inputs": inputs}, view)
            made.append(pid)
            trades.append((pid, spec.instrument_id, spec.delta_weight))
        frame = pd.DataFrame(trades, columns=["id", "instrument", "delta_weight"]).set_index("id")
        priced = None
        if len(frame):
            priced = packages.price_package(
                view, base, frame, nav=nav, limits=limits, equity=equity, dropped=dropped
            )
        return self._record_package(day, made, dropped, priced, actor=who, view=view)

    def _record_package(
        self,
        day: dt.date,
        made: list[int],
        dropped: list[dict[str, Any]],
        priced: packages.Package | None,
        *,
        actor: str,
        view: PITView,
    ) -> pd.DataFrame:
        """Record one decision's proposals as a package (``pms.package``: priced as one,
        with the trades dropped below the minimum ticket); the proposals, with the
        package id and the dropped trades in ``attrs``."""
        frame = self.proposals(ids=made)
        frame.attrs["dropped"] = dropped
        if not made and not dropped:
            return frame
        pid = packages.record(self, day, made, dropped, actor=actor, view=view, priced=priced)
        frame.attrs["package"] = pid
        return frame

    def package(self, package_id: int | None = None) -> packages.Package:
        """A package (default: the newest) priced now: ΔVaR/ΔES of held + approved →
        + its live proposals, each one's leave-one-out contribution, the limits after, its
        basis trades and the trades dropped below the minimum ticket (``pms.package``)."""
        return packages.show(self, packages.latest(self) if package_id is None else package_id)

    def approve_package(
        self,
        package_id: int,
        *,
        actor: str | None = None,
        reason: str = "",
        override: str | None = None,
    ) -> str:
        """Approve every pending proposal of a package in one audited action, gated on the
        book it leaves; a hard limit needs ``override`` from two different approvers (the
        first call signs and returns PROPOSED, the second approves). Returns the state."""
        state, checked = packages.approve(
            self, package_id, actor=self._who(actor), reason=reason, override=override
        )
        if state == "APPROVED":
            _warn(checked.soft)
        return state

    def impact(
        self,
        instrument_id: str,
        side: str | int,
        size: float,
        *,
        as_of: object,
    ) -> dict[str, Any]:
        """Pre-trade risk of a trade on the current book (what a proposal stores)."""
        inst = catalog_instrument(instrument_id)
        sign, qty = side_sign(side), check_size(size)
        day = to_date(as_of, "as_of")
        view = self.view(day)
        inputs = self._risk_inputs(day)
        _, equity = inputs_series(inputs)
        nav, limits = float(inputs["nav"]), inputs_limits(inputs)
        gate.check_ticket(view, inst, qty, nav=nav, limits=limits)
        fx = usdbrl(view) if inst.currency == "USD" else 1.0
        dw = sign * qty * fx / nav
        base = inputs_base(inputs)  # held + approved not executed
        return trade_impact(view, base, inst.id, dw, nav=nav, equity=equity, limits=limits)

    def submit(
        self,
        instrument_id: str,
        side: str | int,
        size: float,
        *,
        as_of: object,
        actor: str | None = None,
        reason: str = "",
        strategy: str = "discretionary",
        agents: Sequence[str] = (),
    ) -> int:
        """A discretionary trade entered by hand: stored as a proposal with the same
        pre-trade risk, then approved/executed through the same workflow (and the same
        limits). A size beyond the ticket bounds is refused."""
        who = self._who(actor)
        inst = catalog_instrument(instrument_id)
        sign, qty = side_sign(side), check_size(size)
        day = to_date(as_of, "as_of")
        if day > self._today():
            raise TradeInputError(f"as_of {day} is in the future (today is {self._today()})")
        view = self.view(day)
        market_quote(view, inst)
        inputs = self._risk_inputs(day)
        _, equity = inputs_series(inputs)
        nav, limits = float(inputs["nav"]), inputs_limits(inputs)
        gate.check_ticket(view, inst, qty, nav=nav, limits=limits)
        fx = usdbrl(view) if inst.currency == "USD" else 1.0
        dw = sign * qty * fx / nav
        base = inputs_base(inputs)  # held + approved not executed
        impact = trade_impact(view, base, inst.id, dw, nav=nav, equity=equity, limits=limits)
        spec = ProposalSpec(inst.id, sign, qty, dw, strategy, tuple(sorted(agents)), reason)
        snapshot = snapshot_of(view) | {"method": "discretionary"}
        return self._store_proposal(day, spec, who, impact, snapshot | {"inputs": inputs}, view)

    def _store_proposal(
        self,
        day: dt.date,
        spec: ProposalSpec,
        actor: str,
        impact: dict[str, Any],
        snapshot: dict[str, Any],
        view: PITView,
    ) -> int:
        key = pending_key(spec.instrument_id, spec.side)
        with db.unit_of_work(self.engine) as s:
            clash = s.scalars(select(Proposal.id).where(Proposal.pending_key == key)).first()
            if clash is not None:
                raise DuplicateSubmissionError(
                    f"proposal {clash} for {spec.instrument_id} "
                    f"{'buy' if spec.side > 0 else 'sell'} is still pending; decide it first"
                )
            ensure_instrument(s, catalog_instrument(spec.instrument_id))
            row = Proposal(
                as_of=day,
                instrument_id=spec.instrument_id,
                side=spec.side,
                quantity=spec.size,
                state="PROPOSED",
                pending_key=key,
                version=1,
                created_by=actor,
                created_at=dt.datetime.now(dt.UTC),
                strategy=spec.strategy,
                agents=json.dumps(list(spec.agents)),
                rationale=spec.rationale,
                impact=audit.canonical(impact),
                snapshot=audit.canonical(snapshot | {"contracts": spec.contracts}),
            )
            s.add(row)
            s.flush()
            record_creation(s, row, actor, spec.rationale)
            decision = self._journal(
                s,
                actor=actor,
                action="propose",
                reason=spec.rationale,
                as_of=day,
                view=view,
                instrument_id=spec.instrument_id,
                strategy=spec.strategy,
                proposal_id=row.id,
                detail={"side": spec.side, "size": spec.size, "delta_var": impact["delta_var"]},
            )
            audit.append(
                s,
                actor=actor,
                action="propose",
                entity="proposal",
                entity_id=row.id,
                payload={
                    "instrument": spec.instrument_id,
                    "side": spec.side,
                    "size": spec.size,
                    "strategy": spec.strategy,
                    "agents": list(spec.agents),
                    "impact": impact,
                    "snapshot": snapshot_of(view),
                    "decision": decision.id,
                },
            )
            return row.id

    def _decide(
        self,
        proposal_id: int,
        event: str,
        *,
        actor: str | None,
        reason: str,
        size: float | None = None,
        override: str | None = None,
    ) -> Proposal:
        """One decision; an approval (approve, modify) is first priced on the book it would
        leave (``gate.proposal_gate``) and a hard breach needs ``override`` from two
        different people (``gate.override``): the first signature leaves it PROPOSED."""
        who = self._who(actor)
        four_eyes = bool(self.settings()["four_eyes"])
        checked = gate.proposal_gate(self, int(proposal_id), size) if event in DECIDING else None
        if checked is None and override is not None:
            raise LimitBreachError(f"an override belongs to an approval, not to {event}")
        with db.unit_of_work(self.engine) as s:
            limits: dict[str, Any] = {}
            if checked is not None:
                prop = s.get(Proposal, int(proposal_id), populate_existing=True)
                assert prop is not None  # the gate found it
                qty = prop.quantity if size is None else size
                signed = gate.override(
                    self,
                    s,
                    prop,
                    event,
                    actor=who,
                    text=override,
                    gate=checked,
                    size=qty,
                    four_eyes=four_eyes,
                )
                if signed is None:
                    return prop  # the first of two signatures: still PROPOSED
                limits = signed
            row = transition(
                s, int(proposal_id), event, actor=who, reason=reason, four_eyes=four_eyes
            )
            if size is not None:
                row.approved_quantity = size
            elif event == "approve":
                row.approved_quantity = row.quantity
            decision = self._journal(
                s,
                actor=who,
                action=event,
                reason=reason or str(override or ""),
                as_of=row.as_of,
                view=None,
                instrument_id=row.instrument_id,
                strategy=row.strategy,
                proposal_id=row.id,
                detail={"state": row.state, "size": row.approved_quantity} | limits,
            )
            decision.snapshot = row.snapshot
            audit.append(
                s,
                actor=who,
                action=event,
                entity="proposal",
                entity_id=row.id,
                payload={
                    "state": row.state,
                    "size": row.approved_quantity,
                    "reason": reason,
                    "decision": decision.id,
                }
                | limits,
            )
        _warn(checked.soft if checked is not None else ())
        return row

    def approve(
        self,
        proposal_id: int,
        *,
        actor: str | None = None,
        reason: str = "",
        override: str | None = None,
    ) -> str:
        """PROPOSED → APPROVED (four-eyes: not by the proposer); returns the new state.
        If the book after it breaches a hard limit, ``override`` (a written reason) is
        needed from two different approvers: the first call records a signature and
        returns PROPOSED, the second approves."""
        return self._decide(
            proposal_id, "approve", actor=actor, reason=reason, override=override
        ).state

    def reject(self, proposal_id: int, *, actor: str | None = None, reason: str = "") -> str:
        """PROPOSED → REJECTED."""
        return self._decide(proposal_id, "reject", actor=actor, reason=reason).state

    def modify(
        self,
        proposal_id: int,
        size: float,
        *,
        actor: str | None = None,
        reason: str = "",
        override: str | None = None,
    ) -> str:
        """PROPOSED → MODIFIED: approved at another (positive) size, within the ticket
        bounds; the same limits and override as :meth:`approve`."""
        qty = check_size(size)
        return self._decide(
            proposal_id, "modify", actor=actor, reason=reason, size=qty, override=override
        ).state

    def expire(self, proposal_id: int, *, actor: str | None = None, reason: str = "") -> str:
        """Any pending state → EXPIRED."""
        return self._decide(proposal_id, "expire", actor=actor, reason=reason).state

    def execute(
        self,
        proposal_id: int,
        *,
        idempotency_key: str,
        actor: str | None = None,
        price: float | None = None,
        trade_date: object | None = None,
        reason: str = "",
    ) -> Fill:
        """APPROVED/MODIFIED → EXECUTED: book the trade (strategy and agents stamped on the
        lot) at ``price`` (default: the day's quote) on ``trade_date`` (default: the
        proposal's date). Needs an idempotency key; a used key (after stripping) is
        refused."""
        who = self._who(actor)
        if not idempotency_key or not str(idempotency_key).strip():
            raise TradeInputError("execution needs an idempotency key; nothing executed")
        idempotency_key = controls.normalize_key(idempotency_key)
        with db.read_session(self.engine) as s:
            found = s.get(Proposal, int(proposal_id))
            if found is None:
                raise TransitionError(f"no proposal {proposal_id}")
            prop = found
        inst = catalog_instrument(prop.instrument_id)
        day = prop.as_of if trade_date is None else to_date(trade_date, "trade date")
        view = self.view(day)
        market = market_quote(view, inst)
        px = market if price is None else check_price(inst, float(price), market)
        size = prop.approved_quantity or prop.quantity
        with db.unit_of_work(self.engine) as s:
            self._check_key(s, idempotency_key)
            row = transition(s, prop.id, "execute", actor=who, reason=reason)
            self._check_trade_date(s, day)
            fill = book_trade(
                s,
                view,
                instrument_id=inst.id,
                quantity=prop.side * size,
                price=px,
                trade_date=day,
                actor=who,
                idempotency_key=idempotency_key,
                strategy=prop.strategy,
                agents=json.loads(prop.agents),
                reason=reason,
                proposal_id=prop.id,
            )
            row.trade_id = fill.trade_id
            decision = self._journal(
                s,
                actor=who,
                action="execute",
                reason=reason,
                as_of=day,
                view=view,
                instrument_id=inst.id,
                strategy=prop.strategy,
                proposal_id=prop.id,
                trade_id=fill.trade_id,
                detail={"quantity": prop.side * size, "price": px},
            )
            audit.append(
                s,
                actor=who,
                action="execute",
                entity="proposal",
                entity_id=prop.id,
                payload={
                    "trade": fill.trade_id,
                    "quantity": prop.side * size,
                    "price": px,
                    "trade_date": day,
                    "idempotency_key": idempotency_key,
                    "opened": list(fill.opened),
                    "decision": decision.id,
                },
            )
        return fill

    def proposals(
        self, *, state: str | None = None, ids: Sequence[int] | None = None
    ) -> pd.DataFrame:
        """Proposals with their state and headline pre-trade risk (ΔVaR, ΔES, breaches)."""
        stmt = select(Proposal).order_by(Proposal.id)
        if state is not None:
            stmt = stmt.where(Proposal.state == state.upper())
        if ids is not None:
            stmt = stmt.where(Proposal.id.in_(list(ids)))
        with db.read_session(self.engine) as s:
            rows = s.scalars(stmt).all()
        records = []
        for r in rows:
            impact = json.loads(r.impact)
            contracts = json.loads(r.snapshot).get("contracts")  # canonical JSON: a string
            records.append(
                {
                    "id": r.id,
                    "as_of": r.as_of,
                    "instrument": r.instrument_id,
                    "side": "buy" if r.side > 0 else "sell",
                    "size": r.quantity,
                    "currency": catalog_instrument(r.instrument_id).currency,
                    "contracts": None if contracts is None else int(contracts),
                    "approved_size": r.approved_quantity,
                    "state": r.state,
                    "strategy": r.strategy,
                    "agents": json.loads(r.agents),
                    "delta_weight": float(impact.get("delta_weight", "nan")),
                    "delta_var": float(impact.get("delta_var", "nan")),
                    "delta_es": float(impact.get("delta_es", "nan")),
                    "component_var_before": float(impact.get("component_var_before", "nan")),
                    "component_var_after": float(impact.get("component_var_after", "nan")),
                    "breaches": impact.get("breaches", []),
                    "created_by": r.created_by,
                    "rationale": r.rationale,
                }
            )
        cols = [
            "id",
            "as_of",
            "instrument",
            "side",
            "size",
            "currency",
            "contracts",
            "approved_size",
            "state",
            "strategy",
            "agents",
            "delta_weight",
            "delta_var",
            "delta_es",
            "component_var_before",
            "component_var_after",
            "breaches",
            "created_by",
            "rationale",
        ]
        frame = pd.DataFrame(records, columns=cols).set_index("id")
        frame["contracts"] = frame["contracts"].astype("Int64")  # <NA>: traded in notional
        return frame

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        """One proposal in full: fields, pre-trade impact (limits included) and events."""
        with db.read_session(self.engine) as s:
            row = s.get(Proposal, int(proposal_id))
            if row is None:
                raise TransitionError(f"no proposal {proposal_id}")
            events = s.scalars(
                select(ProposalEvent)
                .where(ProposalEvent.proposal_id == row.id)
                .order_by(ProposalEvent.id)
            ).all()
            return {
                "id": row.id,
                "as_of": row.as_of,
                "instrument": row.instrument_id,
                "side": row.side,
                "size": row.quantity,
                "approved_size": row.approved_quantity,
                "state": row.state,
                "strategy": row.strategy,
                "agents": json.loads(row.agents),
                "rationale": row.rationale,
                "impact": json.loads(row.impact),
                "snapshot": json.loads(row.snapshot),
                "trade_id": row.trade_id,
                "events": [
                    {
                        "event": e.event,
                        "from": e.from_state,
                        "to": e.to_state,
                        "actor": e.actor,
                        "at": e.at,
                        "reason": e.reason,
                    }
                    for e in events
                ],
            }

    # ---- attribution ---------------------------------------------------------------------
    def _pnl_rows(self, start: object | None, end: object | None) -> pd.DataFrame:
        stmt = select(PnLRow.__table__, Lot.agents).join(Lot, Lot.id == PnLRow.lot_id)
        if start is not None:
            stmt = stmt.where(PnLRow.as_of >= to_date(start, "start"))
        if end is not None:
            stmt = stmt.where(PnLRow.as_of <= to_date(end, "end"))
        with self.engine.connect() as conn:
            return pd.read_sql(stmt.order_by(PnLRow.as_of, PnLRow.lot_id), conn)

    def attribution(
        self, by: str = "factor", *, start: object | None = None, end: object | None = None
    ) -> pd.DataFrame:
        """BRL P&L per mark date (rows) and group (columns) by strategy, agent,
        asset_class, instrument or risk factor; each row sums to the day's P&L."""
        long = attribute(self._pnl_rows(start, end), by)
        if long.empty:
            return pd.DataFrame()
        wide = long.pivot_table(index="as_of", columns=by, values="pnl_brl", aggfunc="sum")
        return wide.fillna(0.0)

    def linked_attribution(
        self, by: str = "factor", *, start: object | None = None, end: object | None = None
    ) -> pd.Series:
        """Period (e.g. MTD, YTD) contributions to the compounded return, Carino-linked
        from daily contributions (P&L over the previous NAV)."""
        daily = self.attribution(by, start=start, end=end)
        if daily.empty:
            return pd.Series(dtype="float64")
        nav = self.nav_history()["nav_brl"]
        capital = float(self.settings()["capital"])
        prev = nav.shift(1).fillna(capital)
        prev.index = [d.date() for d in prev.index]
        return carino(daily.div(prev.reindex(daily.index).to_numpy(), axis=0))

    def pla(self, *, start: object | None = None, end: object | None = None) -> PLATest:
        """FRTB P&L attribution test of the book's marked history over the dates in range:
        HPL = booked full revaluation without fills, RTPL = the risk engine's sensitivities
        × the day's quote moves (``attribution.hypothetical``, ``risk_theoretical``)."""
        rows = self._pnl_rows(start, end)
        hpl = hypothetical(rows).groupby(rows["as_of"]).sum()
        rtpl = risk_theoretical(rows).groupby(rows["as_of"]).sum()
        keep = hpl.index[1:] if len(hpl) > 1 else hpl.index  # the first mark only fills
        return pla_test(hpl.loc[keep], rtpl.loc[keep])

    # ---- journal and replay --------------------------------------------------------------
    def journal(
        self,
        *,
        instrument: str | None = None,
        strategy: str | None = None,
        start: object | None = None,
        end: object | None = None,
        action: str | None = None,
        outcome: str | None = None,
    ) -> pd.DataFrame:
        """Decisions, newest last, filtered by instrument, strategy, as-of range, action and
        outcome ("gain", "loss", "flat", "open" for no P&L yet, "none" for no trade); each
        with its P&L since (BRL, from the lots its trade opened)."""
        return decisions.journal_frame(
            self.engine,
            instrument=instrument,
            strategy=strategy,
            start=None if start is None else to_date(start, "start"),
            end=None if end is None else to_date(end, "end"),
            action=action,
            outcome=outcome,
        )

    def replay(self, decision_id: int, *, lake: Lake | None = None) -> Replay:
        """Rebuild a decision's proposal and its pre-trade risk from the lake snapshot it
        recorded (``lake.at_snapshot``) and compare with what was stored."""
        return decisions.replay(self.engine, lake or self.lake, int(decision_id))

    # ---- briefings -----------------------------------------------------------------------
    def store_briefing(
        self,
        as_of: object,
        content: str,
        inputs: Mapping[str, Any],
        *,
        actor: str | None = None,
        revise: bool = False,
    ) -> str:
        """Store the day's Morning Pack with a fingerprint (sha256 of the canonical JSON of
        its inputs) and the audit head it was built at; returns the fingerprint. The same
        day stored twice with the same inputs is a no-op; with other inputs it is refused,
        unless ``revise`` (a forced re-run), which stores the next version beside it."""
        day = to_date(as_of, "as_of")
        who = self._who(actor)
        return decisions.store_briefing(self.engine, day, content, inputs, actor=who, revise=revise)

    def briefing(self, as_of: object, version: int | None = None) -> dict[str, Any] | None:
        """The stored briefing of a day (newest version unless ``version``) or None."""
        return decisions.briefing(self.engine, to_date(as_of, "as_of"), version)

    # ---- audit ---------------------------------------------------------------------------
    def audit_verify(self, anchor: audit.Anchor | str | Path | None = None) -> audit.Verification:
        """Verify the audit chain, its signatures, the anchor (the file or Anchor given, else
        the newest in the anchors folder), the triggers, and the book against the events."""
        return integrity.check(self.engine, anchor)

    def audit_head(self) -> audit.Anchor | None:
        """The chain head (seq, hash, at), to anchor outside the database."""
        return audit.head(self.engine)

    def anchor(self) -> audit.Anchor:
        """The chain head to keep outside the database (the genesis of an empty chain),
        signed when an audit key is configured."""
        return (self.audit_head() or audit.Anchor(0, audit.GENESIS, "")).signed(keys.load())

    def write_anchor(self, path: str | Path) -> Path:
        """Write the chain head to ``path`` (JSON) for later ``audit verify --anchor``."""
        return self.anchor().write(path)

    def anchor_head(self) -> Path:
        """Verify and anchor the head in the anchors folder (``workbench audit anchor``)."""
        return integrity.anchor_head(self.engine)

    def rotate_audit_key(self, *, actor: str | None = None) -> str:
        """Verify, then add a new current key to the key file (``workbench audit
        rotate-key``); returns its id."""
        return integrity.rotate_key(self.engine, actor or self.actor)


def check_decision(decision: BookDecision, held: pd.Series, view: PITView) -> None:
    """A decision handed to :meth:`PMS.propose` must have been made at the view's moment
    against ``held`` (its ``current``), else its trades are not held → target."""
    if decision.portfolio.as_of != view.as_of:
        raise PMSError(
            f"the decision is as of {decision.portfolio.as_of}, the proposals as of {view.as_of}"
        )
    cur = decision.portfolio.current.astype(float)
    ids = cur.index.union(held.index)
    gap = (cur.reindex(ids, fill_value=0.0) - held.reindex(ids, fill_value=0.0)).abs()
    if len(gap) and float(gap.max()) > 1e-12:
        worst = str(gap.idxmax())
        raise PMSError(
            f"the decision was built against another book than the one held ({worst}: "
            f"{cur.get(worst, 0.0):+.6f} vs {held.get(worst, 0.0):+.6f} of NAV)"
        )


def _stale_text(stale: Mapping[str, str]) -> str:
    """``series (last quote date)`` for the first few stale series, and how many in all."""
    shown = ", ".join(f"{k} (last quote {v})" for k, v in list(stale.items())[:3])
    return shown + (f" and {len(stale) - 3} more" if len(stale) > 3 else "")


def _warn(soft: Sequence[gate.Breach]) -> None:
    """A LimitWarning per soft limit breached (the CLI prints each on one line)."""
    for breach in soft:
        warnings.warn(LimitWarning(f"soft limit: {breach}"), stacklevel=3)


def snapshot_of(view: PITView | None) -> dict[str, Any]:
    """What a decision saw of the lake: its as-of instant (and snapshot id when known)."""
    if view is None:
        return {}
    out: dict[str, Any] = {"as_of": view.as_of.isoformat()}
    for attr in ("known_by", "snapshot_id"):
        value = getattr(view, attr, None)
        if value is not None:
            out[attr] = value.isoformat() if isinstance(value, pd.Timestamp) else str(value)
    return out

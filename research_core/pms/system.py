"""The PMS facade: one object the CLI, pipeline steps, dashboards and notebooks call.

Each public write is one unit of work (``pms.db.unit_of_work``): validation first, then
the rows and their audit record in one transaction under the PMS write lock. A refused
request raises a ``PMSError`` subclass and writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from collections.abc import Sequence
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

import research_core
from research_core.config import get_settings
from research_core.errors import DuplicateSubmissionError, PMSError, TradeInputError
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.pms import audit, db
from research_core.pms.models import Decision, NavRow, PnLRow, Setting, Trade
from research_core.pms.positions import (
    Fill,
    MarkResult,
    book_trade,
    catalog_instrument,
    check_price,
    check_size,
    last_mark_date,
    lots_frame,
    mark_lots,
    market_quote,
    side_sign,
    usdbrl,
)
from research_core.risk.breakers import DrawdownLadder

DEFAULT_CAPITAL = 1e9


@lru_cache(maxsize=1)
def code_version() -> str:
    """Package version plus the git commit of the source tree when there is one."""
    here = Path(research_core.__file__).resolve().parent
    try:
        sha = subprocess.run(
            ["git", "rev-parse", "--short=12", "HEAD"],
            cwd=here,
            capture_output=True,
            text=True,
            timeout=10,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha = ""
    return f"{research_core.__version__}+{sha}" if sha else research_core.__version__


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

    def __init__(self, engine: Engine, lake: Lake | None = None, *, actor: str = "system"):
        self.engine = engine
        self._lake = lake
        self.actor = actor

    # ---- opening -------------------------------------------------------------------------
    @classmethod
    def open(
        cls,
        url: str | None = None,
        *,
        lake: Lake | str | Path | None = None,
        actor: str = "system",
        create: bool = True,
    ) -> PMS:
        """Open the PMS at ``url`` (default ``WORKBENCH_DB_URL``); ``create`` creates or
        upgrades the schema first (``workbench pms init``)."""
        engine = db.make_engine(url or get_settings().db_url)
        if isinstance(lake, str | Path):
            lake = Lake.open(lake)
        pms = cls(engine, lake, actor=actor)
        if create:
            pms.init()
        elif db.current_revision(engine) != db.head_revision():
            raise PMSError(
                f"database {db.safe_url(str(engine.url))} is at schema "
                f"{db.current_revision(engine)}, code needs {db.head_revision()}: "
                "run `workbench pms init`"
            )
        return pms

    def init(self, *, capital: float | None = None, four_eyes: bool | None = None) -> str | None:
        """Create or upgrade the schema (never drops data) and store fund settings given;
        returns the schema revision."""
        before = db.current_revision(self.engine)
        revision = db.upgrade(self.engine)
        changes: dict[str, Any] = {}
        if capital is not None:
            changes["capital"] = check_size(capital, "capital")
        if four_eyes is not None:
            changes["four_eyes"] = bool(four_eyes)
        with db.unit_of_work(self.engine) as s:
            stored = {row.key: row.value for row in s.scalars(select(Setting))}
            if "capital" not in stored and "capital" not in changes:
                changes["capital"] = DEFAULT_CAPITAL
            if "capital" in changes and "capital" in stored and last_mark_date(s) is not None:
                raise PMSError("capital cannot change after the first mark")
            changes = {k: v for k, v in changes.items() if stored.get(k) != json.dumps(v)}
            for key, value in changes.items():
                s.merge(Setting(key=key, value=json.dumps(value)))
            if changes or before != revision:
                audit.append(
                    s,
                    actor=self.actor,
                    action="init",
                    entity="settings",
                    entity_id="fund",
                    payload={"schema": revision, "from_schema": before, "settings": changes},
                )
        return revision

    @property
    def lake(self) -> Lake:
        """The lake marks and proposals read (default: ``WORKBENCH_LAKE_PATH``)."""
        if self._lake is None:
            self._lake = Lake.open()
        return self._lake

    @cached_property
    def tz(self) -> str:
        return get_settings().timezone

    def view(self, as_of: object) -> PITView:
        """The lake as known at the end of ``as_of`` (a date) in the fund's time zone."""
        return self.lake.at(str(to_date(as_of, "as_of")))

    def settings(self) -> dict[str, Any]:
        """Fund settings (capital, four_eyes)."""
        with db.read_session(self.engine) as s:
            out = {row.key: json.loads(row.value) for row in s.scalars(select(Setting))}
        out.setdefault("capital", DEFAULT_CAPITAL)
        out.setdefault("four_eyes", False)
        return out

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
        """Book a discretionary trade: ``size`` (positive local notional) bought or sold at
        ``price`` (default: the day's market quote). Validated first; nothing is written on
        an error."""
        who = actor or self.actor
        inst = catalog_instrument(instrument_id)
        qty = side_sign(side) * check_size(size)
        day = to_date(trade_date, "trade date")
        if not idempotency_key or not str(idempotency_key).strip():
            raise TradeInputError("an idempotency key is required to book a trade")
        view = self.view(day)
        market = market_quote(view, inst)
        px = market if price is None else check_price(inst, float(price), market)
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
                detail={"quantity": qty, "price": px},
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
                },
            )
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

    def exposures(self, as_of: object | None = None) -> pd.Series:
        """Net exposure per instrument as a fraction of NAV (the risk engine's weights)."""
        lots = self.positions()
        if lots.empty:
            return pd.Series(dtype="float64")
        nav = self.nav()
        view = self.view(as_of or self._today())
        fx = usdbrl(view)
        scale = lots["currency"].map({"USD": fx, "BRL": 1.0}).astype(float)
        w = (lots["quantity"] * scale / nav).groupby(lots["instrument_id"]).sum()
        return w[w != 0.0].rename("weight")

    # ---- marks, NAV ----------------------------------------------------------------------
    def mark(self, as_of: object, *, actor: str | None = None) -> MarkResult:
        """Mark every position from the lake as known at ``as_of``; write P&L and NAV.
        Idempotent: marking the same date again changes nothing."""
        day = to_date(as_of, "as_of")
        if day > self._today():
            raise TradeInputError(f"cannot mark {day}: it is in the future")
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
            result = mark_lots(s, view, day, capital)
            audit.append(
                s,
                actor=actor or self.actor,
                action="mark",
                entity="nav",
                entity_id=day,
                payload={
                    "as_of": day,
                    "nav_brl": result.nav_brl,
                    "pnl_brl": result.pnl_brl,
                    "lots": result.lots,
                    "snapshot": snapshot_of(view),
                },
            )
        return result

    def nav_history(self) -> pd.DataFrame:
        """NAV and daily P&L per mark date, BRL and USD."""
        with db.read_session(self.engine) as s:
            rows = s.scalars(select(NavRow).order_by(NavRow.as_of)).all()
            cols = ["nav_brl", "nav_usd", "pnl_brl", "pnl_usd", "usdbrl"]
            data = [[getattr(r, c) for c in cols] for r in rows]
            index = pd.DatetimeIndex([pd.Timestamp(r.as_of) for r in rows], name="as_of")
        return pd.DataFrame(data, index=index, columns=cols)

    def nav(self) -> float:
        """The latest NAV in BRL (the capital before the first mark)."""
        hist = self.nav_history()
        return float(hist["nav_brl"].iloc[-1]) if len(hist) else float(self.settings()["capital"])

    def equity(self) -> pd.Series:
        """NAV history with the capital as its starting point (for the drawdown ladder)."""
        hist = self.nav_history()["nav_brl"]
        return hist.rename("equity")

    def drawdown(self, ladder: DrawdownLadder | None = None) -> tuple[float, int, str]:
        """Drawdown, ladder level and its name from the NAV history (0, 0, normal if none)."""
        eq = self.equity()
        if eq.empty:
            return 0.0, 0, "normal"
        capital = float(self.settings()["capital"])
        start = pd.Series([capital], index=[eq.index[0] - pd.Timedelta(days=1)])
        return (ladder or DrawdownLadder()).status(pd.concat([start, eq]))

    def pnl_history(self) -> pd.DataFrame:
        """Every lot's P&L row (date, lot, instrument, strategy, parts, BRL and USD)."""
        with self.engine.connect() as conn:
            return pd.read_sql(select(PnLRow.__table__).order_by("as_of", "lot_id"), conn)

    # ---- audit ---------------------------------------------------------------------------
    def audit_verify(self, anchor: audit.Anchor | str | Path | None = None) -> audit.Verification:
        """Verify the audit chain (and against an anchor file or Anchor, when given)."""
        if isinstance(anchor, str | Path):
            anchor = audit.Anchor.read(anchor)
        return audit.verify(self.engine, anchor)

    def audit_head(self) -> audit.Anchor | None:
        """The chain head (seq, hash, at), to anchor outside the database."""
        return audit.head(self.engine)

    def write_anchor(self, path: str | Path) -> Path:
        """Write the chain head to ``path`` (JSON) for later ``audit verify --anchor``."""
        head = self.audit_head() or audit.Anchor(0, audit.GENESIS, "")
        return head.write(path)


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

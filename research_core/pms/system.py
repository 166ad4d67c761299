"""The PMS facade: one object the CLI, pipeline steps, dashboards and notebooks call.

Each public write is one unit of work (``pms.db.unit_of_work``): validation first, then
the rows and their audit record in one transaction under the PMS write lock. A refused
request raises a ``PMSError`` subclass and writes nothing. The work is done by services
that take the facade: ``book`` (trades, the book held, marks, NAV), ``proposing``
(proposals and their pre-trade risk), ``approvals`` (decisions and execution),
``package``, ``controls``, ``journal`` (journal, replay, briefings) and ``integrity``
(audit); each method here delegates in a line or two.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, Unpack

import pandas as pd
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from research_core._version import code_version
from research_core.config import get_settings
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.pms import approvals, audit, book, controls, db, gate, integrity, keys, proposing
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
from research_core.pms.book import HELD_EPS, TradeOptions, to_date
from research_core.pms.controls import DEFAULT_CAPITAL
from research_core.pms.journal import Replay, snapshot_of
from research_core.pms.positions import Fill, MarkResult, check_size, lots_frame
from research_core.pms.proposals import MIN_TRADE
from research_core.pms.proposing import check_decision
from research_core.risk.breakers import DrawdownLadder
from research_core.risk.limits import LimitsFile, RiskLimits, limits_path

if TYPE_CHECKING:
    from research_core.portfolio.book import Decision as BookDecision
    from research_core.signals.sources import CollectedSignals
    from research_core.strategies.base import BaseStrategy

__all__ = [
    "DEFAULT_CAPITAL",
    "HELD_EPS",
    "PMS",
    "Replay",
    "check_decision",
    "code_version",
    "snapshot_of",
    "to_date",
]


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
        engine = db.open_engine(url, create=create)
        if isinstance(lake, str | Path):
            lake = Lake.open(lake)
        pms = cls(engine, lake, actor=actor, limits_file=limits_file)
        if create:
            pms.init()
        return pms

    def init(
        self, *, capital: float | None = None, four_eyes: bool | None = None, reason: str = ""
    ) -> str | None:
        """Create or upgrade the schema (never drops data) and store the capital given;
        returns the schema revision. Four-eyes is on for a new database; a ``four_eyes``
        other than the current one is recorded as a control change (with ``reason``) that
        a second user approves (:meth:`approve_control`)."""
        return controls.init_fund(self, capital=capital, four_eyes=four_eyes, reason=reason)

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
        return controls.fund_settings(self.engine)

    # ---- controls: identities, control changes, limits -----------------------------------
    def _who(self, actor: str | None) -> str:
        """The acting user, normalized (``controls.normalize_user``)."""
        return controls.normalize_user(actor or self.actor)

    def _today(self) -> dt.date:
        return pd.Timestamp.now(self.tz).date()

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

    # ---- trades and positions (pms.book) -------------------------------------------------
    def _check_trade_date(self, s: Session, day: dt.date) -> None:
        book.check_trade_date(self, s, day)

    @staticmethod
    def _check_key(s: Session, key: str) -> None:
        book.check_key(s, key)

    def enter_trade(
        self,
        instrument_id: str,
        side: str | int,
        size: float,
        *,
        trade_date: object,
        idempotency_key: str,
        **options: Unpack[TradeOptions],
    ) -> Fill:
        """Book a trade directly at ``price`` (default: the day's quote): only with
        four-eyes off, else a trade is a proposal (:meth:`submit`, another user approves,
        :meth:`execute`); the same ticket and limit checks (``gate.direct_trade``).
        ``options``: price, actor, strategy ("discretionary"), agents, reason.
        Validated first; nothing is written on an error."""
        return book.enter_trade(
            self,
            instrument_id,
            side,
            size,
            trade_date=trade_date,
            idempotency_key=idempotency_key,
            options=options,
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
        return book.held(self, as_of)

    def exposures(self, as_of: object | None = None) -> pd.Series:
        """Net exposure per instrument held at ``as_of`` as a fraction of NAV (the risk
        engine's weights; :meth:`held`)."""
        return self.held(as_of)["weight"].rename("weight")

    # ---- marks, NAV (pms.book) -----------------------------------------------------------
    def mark(
        self, as_of: object, *, actor: str | None = None, stale_ok: bool = False
    ) -> MarkResult:
        """Mark every position from the lake as known at ``as_of`` (a B3 session); write
        P&L and NAV. Quotes more than ``gate.STALE_SESSIONS`` sessions old are refused
        unless ``stale_ok`` (then recorded and warned). Idempotent: marking the same date
        again changes nothing."""
        return book.mark(self, as_of, actor=actor, stale_ok=stale_ok)

    def nav_history(self) -> pd.DataFrame:
        """NAV and daily P&L per mark date, BRL and USD (USD P&L = trading_usd +
        translation_usd)."""
        return book.nav_history(self.engine)

    def nav(self, as_of: object | None = None) -> float:
        """The NAV in BRL of the last mark (on or before ``as_of`` when given); the capital
        before the first mark."""
        return book.nav(self, as_of)

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
        return book.equity(self)

    def drawdown(self, ladder: DrawdownLadder | None = None) -> tuple[float, int, str]:
        """Drawdown, ladder level and its name from the NAV history (0, 0, normal if none)."""
        return book.drawdown(self.nav_path(), ladder)

    def pnl_history(self) -> pd.DataFrame:
        """Every lot's P&L row (date, lot, instrument, strategy, parts, BRL and USD)."""
        return book.pnl_history(self.engine)

    # ---- proposals (pms.proposing) -------------------------------------------------------
    def _risk_inputs(self, as_of: dt.date) -> dict[str, Any]:
        """What a proposal's risk depends on besides the lake (``proposing.risk_inputs``)."""
        return proposing.risk_inputs(self, as_of)

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
        who = self._who(actor)
        options = proposing.ProposeOptions(
            method, min_trade, n_sims, strategies, collected, decision
        )
        return proposing.propose(self, to_date(as_of, "as_of"), who, options)

    def impact(
        self,
        instrument_id: str,
        side: str | int,
        size: float,
        *,
        as_of: object,
    ) -> dict[str, Any]:
        """Pre-trade risk of a trade on the current book (what a proposal stores)."""
        return proposing.impact(self, instrument_id, side, size, as_of)

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
        origin = proposing.Origin(strategy, tuple(sorted(agents)), reason)
        return proposing.submit(
            self, instrument_id, side, size, as_of=as_of, actor=actor, origin=origin
        )

    def proposals(
        self, *, state: str | None = None, ids: Sequence[int] | None = None
    ) -> pd.DataFrame:
        """Proposals with their state and headline pre-trade risk (ΔVaR, ΔES, breaches)."""
        return proposing.proposals_frame(self, state=state, ids=ids)

    def proposal(self, proposal_id: int) -> dict[str, Any]:
        """One proposal in full: fields, pre-trade impact (limits included) and events."""
        return proposing.proposal_detail(self, proposal_id)

    # ---- packages (pms.package) ----------------------------------------------------------
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
            gate.warn_soft(checked.soft, stacklevel=3)
        return state

    # ---- decisions and execution (pms.approvals) -----------------------------------------
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
        decided = approvals.decide(
            self, proposal_id, "approve", actor=actor, reason=reason, override=override
        )
        return decided.state

    def reject(self, proposal_id: int, *, actor: str | None = None, reason: str = "") -> str:
        """PROPOSED → REJECTED."""
        return approvals.decide(self, proposal_id, "reject", actor=actor, reason=reason).state

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
        return approvals.decide(
            self, proposal_id, "modify", actor=actor, reason=reason, size=qty, override=override
        ).state

    def expire(self, proposal_id: int, *, actor: str | None = None, reason: str = "") -> str:
        """Any pending state → EXPIRED."""
        return approvals.decide(self, proposal_id, "expire", actor=actor, reason=reason).state

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
        return approvals.execute(
            self,
            proposal_id,
            idempotency_key=idempotency_key,
            actor=actor,
            price=price,
            trade_date=trade_date,
            reason=reason,
        )

    # ---- attribution ---------------------------------------------------------------------
    def attribution(
        self, by: str = "factor", *, start: object | None = None, end: object | None = None
    ) -> pd.DataFrame:
        """BRL P&L per mark date (rows) and group (columns) by strategy, agent,
        asset_class, instrument or risk factor; each row sums to the day's P&L."""
        long = attribute(book.pnl_rows(self.engine, start, end), by)
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
        rows = book.pnl_rows(self.engine, start, end)
        hpl = hypothetical(rows).groupby(rows["as_of"]).sum()
        rtpl = risk_theoretical(rows).groupby(rows["as_of"]).sum()
        keep = hpl.index[1:] if len(hpl) > 1 else hpl.index  # the first mark only fills
        return pla_test(hpl.loc[keep], rtpl.loc[keep])

    # ---- journal and replay (pms.journal) ------------------------------------------------
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

    # ---- audit (pms.audit, pms.integrity) ------------------------------------------------
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

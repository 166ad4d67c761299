"""Pre-trade gates: sizes no one can mean, marks on days without a market or on stale
quotes, and the hard limits an approval must respect.

* A ticket above ``max_ticket`` × NAV (the limits file; 10 × NAV by default) is a typo, and
  one below one contract of a future (``pnl.contract_notional`` at the day's quote), one
  bond, or one unit of currency (OTC) cannot be traded.
* Marks are taken on B3 sessions; a mark whose quotes are more than
  :data:`STALE_SESSIONS` of their own exchange's sessions old needs ``stale_ok``.
* An approval is priced on the book it would leave: the held book, plus every approved
  proposal not yet executed, plus this one. A HARD limit it breaches or deepens (a limit
  already over its cap that the trade does not raise does not count) can be passed only
  with an override: a written reason from two different approvers (neither the proposer
  under four-eyes). The first signature is recorded (journal ``override``, audit) and the
  proposal waits; the second approves it, with both names and reasons in its journal
  entry and audit record. SOFT limits breached are warnings, recorded the same way.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from research_core.calendars import business_day_range, business_days
from research_core.catalog import Instrument, instrument
from research_core.errors import (
    FourEyesError,
    LimitBreachError,
    LimitWarning,
    RiskError,
    TradeInputError,
    TransitionError,
)
from research_core.lake.pit import PITView
from research_core.pms import db
from research_core.pms.controls import approved_limits, require_reason
from research_core.pms.impact import book_risk
from research_core.pms.journal import Entry, record_audited
from research_core.pms.models import Decision, Proposal, ProposalEvent
from research_core.pms.positions import usdbrl
from research_core.pms.proposals import inputs_series
from research_core.pms.workflow import check_decider
from research_core.pnl import USDBRL
from research_core.risk.limits import RiskLimits, contract_values, format_limit, limit_table

if TYPE_CHECKING:
    from research_core.pms.system import PMS

STALE_SESSIONS = 1
"""How many of its own sessions old a quote may be at a mark (a late print)."""
_TOL = 1e-12


def _brl_mn(value: float) -> str:
    return f"{value / 1e6:,.1f} BRL mn" if value < 1e18 else "over a trillion BRL mn"


def smallest_ticket(view: PITView, inst: Instrument) -> tuple[float, str]:
    """The smallest size one can trade, in the instrument's currency, and what it is: one
    contract of a listed future (``pnl.contract_notional`` at the view's quote), one
    bond of an NTN-B; one unit of currency for OTC trades (NDF, CDS)."""
    if "future" in inst.name.lower() or inst.dv01_convention == "real_yield":
        fx = usdbrl(view) if inst.currency == "USD" else 1.0
        what = "bond" if inst.dv01_convention == "real_yield" else "contract"
        return float(contract_values(view, [inst.id]).iloc[0]) / fx, f"one {what}"
    return 1.0, f"one {inst.currency}"


def check_ticket(
    view: PITView, inst: Instrument, size: float, *, nav: float, limits: RiskLimits
) -> None:
    """Refuse a size (positive local notional) above ``max_ticket`` × NAV (a typo) or
    below :func:`smallest_ticket`; the message says the amounts."""
    fx = usdbrl(view) if inst.currency == "USD" else 1.0
    brl = size * fx
    cap = limits.max_ticket * nav
    if brl > cap:
        raise TradeInputError(
            f"{inst.id}: a size of {_brl_mn(brl)} is over the ticket cap of "
            f"{limits.max_ticket:g} × NAV ({_brl_mn(cap)}, limits max_ticket): a typo?"
        )
    least, what = smallest_ticket(view, inst)
    if size < least * (1 - 1e-9):
        raise TradeInputError(
            f"{inst.id}: size {size:,.2f} {inst.currency} is below {what} "
            f"({least:,.2f} {inst.currency} at the day's quote), the smallest ticket"
        )


def check_mark_day(day: dt.date) -> None:
    """Marks are taken on B3 sessions: a weekend or B3 holiday is refused."""
    if len(business_day_range(day, day, "B3")) == 0:
        what = "a weekend" if day.weekday() >= 5 else "a B3 holiday"
        raise TradeInputError(f"cannot mark {day} ({day:%A}): {what}, not a B3 session")


def stale_quotes(view: PITView, day: dt.date, instrument_ids: list[str]) -> dict[str, str]:
    """Series whose latest quote known at the view is more than :data:`STALE_SESSIONS`
    of their exchange's sessions before ``day``: ``{series: last quote date}``."""
    wanted = {USDBRL: "B3"} | {
        instrument(i).price_series: instrument(i).calendar for i in instrument_ids
    }
    out = {}
    for series, calendar in wanted.items():
        px = view.series(series).dropna()
        if px.empty:
            out[series] = "never"
            continue
        last, sessions = px.index[-1], business_days(calendar)
        missed = int(((sessions > last) & (sessions <= pd.Timestamp(day))).sum())
        if missed > STALE_SESSIONS:
            out[series] = f"{last:%Y-%m-%d}"
    return out


# ---- limits at approval ------------------------------------------------------------------
@dataclass(frozen=True)
class Breach:
    """A limit the book after a decision is over, and by how much."""

    limit: str
    key: str
    value: float
    cap: float
    kind: str

    def __str__(self) -> str:
        return (
            f"{self.limit} {format_limit(self.key, self.value)} over its {self.kind} cap "
            f"{format_limit(self.key, self.cap)}"
        )


@dataclass(frozen=True)
class Gate:
    """The limits a decision breaches or deepens, hard and soft, under limits version N."""

    hard: tuple[Breach, ...]
    soft: tuple[Breach, ...]
    version: int

    def detail(self) -> dict[str, Any]:
        """What the journal and audit record of the decision keep about limits."""
        return {
            "limits_version": self.version,
            "hard_breaches": [str(b) for b in self.hard],
            "soft_breaches": [str(b) for b in self.soft],
        }


def _prior(before: pd.DataFrame, after: pd.DataFrame, name: str, key: str) -> float | None:
    """The value ``before`` had on the row ``name`` of ``after`` (else on the only row of
    the same limit: "concentration: X" names the largest position, which may change)."""
    if name in before.index:
        return float(before["value"].loc[name])
    if (before["key"] == key).sum() == 1 and (after["key"] == key).sum() == 1:
        return float(before.loc[before["key"] == key, "value"].iloc[0])
    return None


def breaches(before: pd.DataFrame | None, after: pd.DataFrame | None) -> tuple[Breach, ...]:
    """Rows of the limit table ``after`` over their cap that ``before`` did not have at
    least as high: the breaches a decision makes or deepens."""
    if after is None:
        return ()
    out = []
    for name, row in after[after["status"] == "breach"].iterrows():
        prior = None if before is None else _prior(before, after, str(name), str(row["key"]))
        if prior is not None and not pd.isna(prior) and row["value"] <= prior + _TOL:
            continue  # over before, and not raised by this decision
        values = (float(row["value"]), float(row["max"]), str(row["kind"]))
        out.append(Breach(str(name), str(row["key"]), *values))
    return tuple(out)


def book_gate(
    pms: PMS, day: dt.date, trade: tuple[str, int, float], *, exclude: int | None = None
) -> Gate:
    """The gate of one trade (instrument, side, positive size) on the book at ``day``:
    held + approved-not-executed proposals (but ``exclude``) before, plus the trade after."""
    with db.read_session(pms.engine) as s:
        limits = approved_limits(s, pms.limits_path)
        approved = s.scalars(
            select(Proposal).where(Proposal.state.in_(("APPROVED", "MODIFIED")))
        ).all()
        pending = [
            (p.instrument_id, p.side, p.approved_quantity or p.quantity)
            for p in approved
            if p.id != exclude
        ]
    view = pms.view(day)
    inputs = pms._risk_inputs(day)
    held, equity = inputs_series(inputs)
    nav, fx = float(inputs["nav"]), usdbrl(view)

    def weight(iid: str, side: int, size: float) -> pd.Series:
        scale = fx if instrument(iid).currency == "USD" else 1.0
        return pd.Series({iid: side * size * scale / nav})

    before = held
    for item in pending:
        before = before.add(weight(*item), fill_value=0.0)
    after = before.add(weight(*trade), fill_value=0.0)
    tables = [
        _limit_rows(w, view, nav=nav, equity=equity, limits=limits.limits) for w in (before, after)
    ]
    found = breaches(tables[0], tables[1])
    return Gate(
        tuple(b for b in found if b.kind == "hard"),
        tuple(b for b in found if b.kind == "soft"),
        limits.version,
    )


def _limit_rows(
    weights: pd.Series, view: PITView, *, nav: float, equity: pd.Series | None, limits: RiskLimits
) -> pd.DataFrame | None:
    """The book's limit table (None for an empty book). Without enough common return
    history for VaR/ES, the exposure limits are still measured and VaR/ES read n/a."""
    try:
        check = book_risk(weights, view, nav=nav, equity=equity, limits=limits)
    except RiskError:
        w = weights[weights != 0.0]
        return limit_table(
            view, w, var_99=np.nan, es_99=np.nan, drawdown=None, nav=nav, limits=limits
        )
    return None if check is None else check.limits


def direct_trade(
    pms: PMS, view: PITView, inst: Instrument, qty: float, *, day: dt.date, key: str
) -> Gate:
    """The checks of a trade booked without a proposal (``PMS.enter_trade``): four-eyes
    off, the date and key, the ticket bounds, and no hard limit breached (an override
    needs a proposal and two approvers). Returns the gate (its soft breaches warn)."""
    if pms.settings()["four_eyes"]:
        raise FourEyesError(
            "four-eyes is on: a discretionary trade is a proposal (`workbench pms trade`),"
            " approved by another user, then executed (`workbench pms execute`)"
        )
    with db.read_session(pms.engine) as s:  # the cheap refusals before pricing
        pms._check_trade_date(s, day)
        pms._check_key(s, key)
    check_ticket(view, inst, abs(qty), nav=pms.nav(), limits=pms.limits())
    checked = book_gate(pms, day, (inst.id, 1 if qty > 0 else -1, abs(qty)))
    if checked.hard:
        raise LimitBreachError(
            f"{inst.id}: the trade would breach hard limits: "
            f"{'; '.join(map(str, checked.hard))}; propose it instead (an override needs "
            "a written reason and two approvers)"
        )
    return checked


def proposal_gate(pms: PMS, proposal_id: int, size: float | None) -> Gate:
    """The gate of approving a proposal (at ``size`` for a modify, its own otherwise);
    a size a person typed is checked against the ticket bounds first."""
    with db.read_session(pms.engine) as s:
        prop = s.get(Proposal, int(proposal_id))
        if prop is None:
            raise TransitionError(f"no proposal {proposal_id}")
        approved = approved_limits(s, pms.limits_path)
    if prop.state != "PROPOSED":  # nothing to price: the transition will say why
        return Gate((), (), approved.version)
    limits = approved.limits
    if size is not None:
        view = pms.view(prop.as_of)
        check_ticket(view, instrument(prop.instrument_id), size, nav=pms.nav(), limits=limits)
    qty = prop.quantity if size is None else size
    return book_gate(pms, prop.as_of, (prop.instrument_id, prop.side, qty), exclude=prop.id)


def _signatures(session: Session, proposal_id: int, event: str, size: float) -> list[Decision]:
    rows = session.scalars(
        select(Decision)
        .where(Decision.action == "override", Decision.proposal_id == proposal_id)
        .order_by(Decision.id)
    ).all()
    return [
        r
        for r in rows
        if json.loads(r.detail).get("event") == event
        and math.isclose(float(json.loads(r.detail)["size"]), size, rel_tol=0, abs_tol=1e-9)
    ]


@dataclass(frozen=True)
class Approval:
    """One approval (approve or modify) of a proposal as asked: by whom, at which size,
    with which override text, under four-eyes or not."""

    event: str
    actor: str
    size: float
    text: str | None
    four_eyes: bool


def override(
    session: Session, proposal: Proposal, approval: Approval, gate: Gate
) -> dict[str, Any] | None:
    """What an approval's records keep about the limits, or None when this call signed an
    override that now waits for a second, different approver (nothing else changes)."""
    pid, actor = proposal.id, approval.actor
    check_decider(session, proposal, approval.event, actor, approval.four_eyes)  # who first
    prior = _signatures(session, pid, approval.event, approval.size) if gate.hard else []
    why = override_reason(f"proposal {pid}", gate, approval.text, actor, prior)
    if why is None:
        return gate.detail()
    if not prior:
        _sign(session, proposal, approval, why, gate)
        return None
    return with_override(gate, prior[0], actor, why)


def override_reason(
    subject: str, gate: Gate, text: str | None, actor: str, prior: list[Decision]
) -> str | None:
    """The override rule for ``subject`` ("proposal 7", "package 3"), one for both: None
    when the book breaches no hard limit (and then an override is refused); else the
    written reason, refused when missing or when ``actor`` already signed (``prior``: the
    signatures so far)."""
    if not gate.hard:
        if text is not None:
            raise LimitBreachError(
                f"{subject} breaches no hard limit; approve it without an override"
            )
        return None
    if text is None:
        raise LimitBreachError(
            f"{subject} would breach hard limits: {'; '.join(map(str, gate.hard))}; "
            "approving it needs an override: a written reason and a second, different approver"
        )
    why = require_reason(text, "an override")
    if any(r.actor == actor for r in prior):
        raise FourEyesError(
            f"{actor} already signed the override of {subject}; a second, different "
            "approver must sign it"
        )
    return why


def with_override(gate: Gate, first: Decision, actor: str, why: str) -> dict[str, Any]:
    """The limits record of an approval completed by the second override signature."""
    return gate.detail() | {
        "override": {"approvers": [first.actor, actor], "reasons": [first.reason, why]}
    }


def _sign(session: Session, proposal: Proposal, approval: Approval, why: str, gate: Gate) -> None:
    """Record the first signature of an override (the proposal stays PROPOSED)."""
    session.add(
        ProposalEvent(
            proposal_id=proposal.id,
            event="override",
            from_state=proposal.state,
            to_state=proposal.state,
            actor=approval.actor,
            at=dt.datetime.now(dt.UTC),
            reason=why,
        )
    )
    detail = {"event": approval.event, "size": approval.size} | gate.detail()
    entry = Entry.on_proposal(
        proposal, actor=approval.actor, action="override", reason=why, detail=detail
    )
    record_audited(session, entry, detail | {"reason": why}, entity=("proposal", proposal.id))


def warn_soft(soft: Sequence[Breach], *, stacklevel: int) -> None:
    """A LimitWarning per soft limit breached (the CLI prints each on one line);
    ``stacklevel`` points it at the caller of the facade."""
    for breach in soft:
        warnings.warn(LimitWarning(f"soft limit: {breach}"), stacklevel=stacklevel)

"""Portfolio management: positions, marks and NAV, proposals with pre-trade risk, the
decision journal, attribution and a tamper-evident audit log (SQLAlchemy 2.0 + Alembic).

Public API (everything else in the subpackage is an implementation detail)::

    pms = PMS.open(url=None, lake=None)      # WORKBENCH_DB_URL / WORKBENCH_LAKE_PATH;
                                             # creates or upgrades the schema
    pms.init(capital=1e9)                    # `workbench pms init`
    # controls: four-eyes (on by default) and the limits change by request + a second user
    pms.request_control("four_eyes", False, actor=..., reason=...) -> id
    pms.request_limits({"fx_delta": 1.5}, soft=(), hard=(), actor=..., reason=...) -> id
    pms.approve_control(id, actor=...); pms.reject_control(id, ...); pms.control_requests()
    pms.limits(); pms.limits_file(); pms.restore_limits(actor=..., reason=...)
    # positions and marks
    pms.enter_trade("DI1.2Y", "buy", 5e7, trade_date="2026-10-01",   # four-eyes off only
                    idempotency_key="k1", price=None, strategy=..., agents=..., reason=...)
    pms.mark("2026-10-30", stale_ok=False)   # P&L (price/carry/roll/realized/translation,
                                             # BRL and USD), NAV; a B3 session; idempotent
    pms.positions(); pms.held(as_of)          # the book held at as_of, point in time
    pms.exposures(as_of); pms.nav_history(); pms.pnl_history(); pms.nav(as_of)
    pms.drawdown()                           # drawdown ladder on the NAV history
    # proposals (pre-trade risk: ΔVaR, ΔES, component VaR, limit headroom) and workflow
    pms.propose(as_of)  -> DataFrame         # portfolio.book.decide vs the book held
    pms.submit(instrument, side, size, as_of=...) -> proposal id   # by hand, same risk
    pms.impact(instrument, side, size, as_of=...) -> dict          # risk before a button
    pms.approve(id, actor=..., override=None); pms.reject(id, ...)
    pms.modify(id, size, ..., override=None) # a hard breach: override by two approvers
    pms.execute(id, idempotency_key=..., price=None, trade_date=None) -> Fill
    pms.expire(id); pms.proposals(state=None); pms.proposal(id)
    # journal, replay, attribution, briefings
    pms.journal(instrument=, strategy=, start=, end=, action=, outcome=)
    pms.replay(decision_id) -> Replay        # rebuilt from the lake snapshot; .identical
    pms.attribution(by="factor"|"strategy"|"agent"|"asset_class"|"instrument",
                    start=, end=)            # dates × groups, rows sum to the day's P&L
    pms.linked_attribution(by, start=, end=) # Carino-linked MTD/YTD contributions
    pms.pla(start=, end=) -> PLATest         # FRTB P&L attribution test
    pms.store_briefing(as_of, html, inputs) -> fingerprint; pms.briefing(as_of)
    # audit (chain, signatures, newest anchor, triggers, and the book replayed from it)
    pms.audit_verify(anchor=None) -> Verification; pms.audit_head() -> Anchor
    pms.write_anchor(path); pms.anchor_head()  # a verified head into the anchors folder
    pms.rotate_audit_key()                      # a new current key in the key file

All writes are one transaction with their audit record; refused requests raise a
``research_core.errors.PMSError`` subclass and write nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from research_core._lazy import lazy_exports

if TYPE_CHECKING:  # the real imports, for type checkers; at runtime they load on first use
    from research_core.pms.attribution import PLATest
    from research_core.pms.audit import Anchor, Verification, canonical, chain_hash
    from research_core.pms.db import current_revision, head_revision, make_engine, upgrade
    from research_core.pms.positions import Fill, MarkResult
    from research_core.pms.system import PMS, Replay, code_version

_WHERE = {
    "PLATest": "attribution",
    "Anchor": "audit",
    "Verification": "audit",
    "canonical": "audit",
    "chain_hash": "audit",
    "current_revision": "db",
    "head_revision": "db",
    "make_engine": "db",
    "upgrade": "db",
    "Fill": "positions",
    "MarkResult": "positions",
    "PMS": "system",
    "Replay": "system",
    "code_version": "system",
}

__getattr__ = lazy_exports(__name__, _WHERE)


def init_db(url: str | None = None) -> PMS:
    """Create or upgrade the schema at ``url`` (default ``WORKBENCH_DB_URL``)."""
    from research_core.pms.system import PMS

    return PMS.open(url)


__all__ = [
    "PMS",
    "Anchor",
    "Fill",
    "MarkResult",
    "PLATest",
    "Replay",
    "Verification",
    "canonical",
    "chain_hash",
    "code_version",
    "current_revision",
    "head_revision",
    "init_db",
    "make_engine",
    "upgrade",
]

"""Portfolio management: positions, marks and NAV, proposals with pre-trade risk, the
decision journal, attribution and a tamper-evident audit log (SQLAlchemy 2.0 + Alembic).

Public API (everything else in the subpackage is an implementation detail)::

    pms = PMS.open(url=None, lake=None)      # WORKBENCH_DB_URL / WORKBENCH_LAKE_PATH;
                                             # creates or upgrades the schema
    pms.init(capital=1e9, four_eyes=False)   # `workbench pms init`
    # positions and marks
    pms.enter_trade("DI1.2Y", "buy", 5e7, trade_date="2026-10-01",
                    idempotency_key="k1", price=None, strategy=..., agents=..., reason=...)
    pms.mark("2026-10-30")                   # P&L (price/carry/roll/realized/translation,
                                             # BRL and USD), NAV; idempotent
    pms.positions(); pms.exposures(as_of); pms.nav_history(); pms.pnl_history(); pms.nav()
    pms.drawdown()                           # drawdown ladder on the NAV history
    # proposals (pre-trade risk: ΔVaR, ΔES, component VaR, limit headroom) and workflow
    pms.propose(as_of)  -> DataFrame         # from portfolio.build_book vs positions
    pms.submit(instrument, side, size, as_of=...) -> proposal id   # by hand, same risk
    pms.impact(instrument, side, size, as_of=...) -> dict          # risk before a button
    pms.approve(id, actor=...); pms.reject(id, ...); pms.modify(id, size, ...)
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

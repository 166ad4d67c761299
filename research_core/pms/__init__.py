"""Portfolio management: positions, marks and NAV, proposals with pre-trade risk, the
decision journal, attribution and a tamper-evident audit log (SQLAlchemy 2.0 + Alembic).

Public API (everything else in the subpackage is an implementation detail)::

    pms = PMS.open(url=None, lake=None)      # WORKBENCH_DB_URL / WORKBENCH_LAKE_PATH;
                                             # creates or upgrades the schema
    pms.init(capital=1e9, four_eyes=False)   # `workbench pms init`
    pms.enter_trade("DI1.2Y", "buy", 5e7, trade_date="2026-10-01",
                    idempotency_key="k1", price=None, strategy=..., agents=..., reason=...)
    pms.mark("2026-10-30")                   # P&L (realized/unrealized/carry, BRL/USD), NAV
    pms.positions(); pms.exposures(as_of); pms.nav_history(); pms.pnl_history()
    pms.drawdown()                           # drawdown ladder on the NAV history
    pms.audit_verify(anchor=None); pms.audit_head(); pms.write_anchor(path)

All writes are one transaction with their audit record; refused requests raise a
``research_core.errors.PMSError`` subclass and write nothing.
"""

from research_core.pms.audit import Anchor, Verification, canonical, chain_hash
from research_core.pms.db import current_revision, head_revision, make_engine, upgrade
from research_core.pms.positions import Fill, MarkResult
from research_core.pms.system import PMS, code_version


def init_db(url: str | None = None) -> PMS:
    """Create or upgrade the schema at ``url`` (default ``WORKBENCH_DB_URL``)."""
    return PMS.open(url)


__all__ = [
    "PMS",
    "Anchor",
    "Fill",
    "MarkResult",
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

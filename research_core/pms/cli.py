"""``workbench pms ...`` and ``workbench audit verify``: registered by ``research_core.cli``."""

from __future__ import annotations

import argparse
from typing import Any

import pandas as pd

from research_core.pms.system import PMS


def _open(args: argparse.Namespace, *, create: bool = False) -> PMS:
    return PMS.open(
        args.db,
        lake=getattr(args, "path", None),
        actor=getattr(args, "user", None) or "cli",
        create=create,
    )


def _print(frame: pd.DataFrame) -> None:
    if frame.empty:
        print("(none)")
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            print(frame.to_string())


def _init(args: argparse.Namespace) -> int:
    pms = _open(args)
    four_eyes = {"on": True, "off": False}.get(args.four_eyes) if args.four_eyes else None
    revision = pms.init(capital=args.capital, four_eyes=four_eyes)
    print(f"PMS schema at revision {revision}; settings {pms.settings()}")
    return 0


def _mark(args: argparse.Namespace) -> int:
    print(_open(args).mark(args.as_of).summary())
    return 0


def _trade(args: argparse.Namespace) -> int:
    fill = _open(args).enter_trade(
        args.instrument,
        args.side,
        args.size,
        trade_date=args.date,
        idempotency_key=args.key,
        price=args.price,
        strategy=args.strategy,
        reason=args.reason,
    )
    print(f"trade {fill.trade_id}: opened lots {list(fill.opened)}, reduced {list(fill.reduced)}")
    return 0


def _positions(args: argparse.Namespace) -> int:
    _print(_open(args).positions(include_closed=args.all))
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    pms = _open(args)
    result = pms.audit_verify(args.anchor)
    print(result.summary())
    if result.ok and args.write_anchor:
        print(f"anchor written to {pms.write_anchor(args.write_anchor)}")
    return 0 if result.ok else 1


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--db", help="database URL (default: WORKBENCH_DB_URL)")
    p.add_argument("--path", help="lake path (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--user", help="who acts (recorded in the journal and audit log)")


def register(sub: Any) -> None:
    """Add the ``pms`` and ``audit`` command groups to the workbench parser."""
    pms = sub.add_parser("pms", help="portfolio management: positions, marks, proposals")
    cmds = pms.add_subparsers(dest="pms_command", required=True)

    p = cmds.add_parser("init", help="create or upgrade the PMS schema (never drops data)")
    p.add_argument("--capital", type=float, help="fund capital in BRL (default 1e9)")
    p.add_argument("--four-eyes", choices=["on", "off"], help="approver must not be proposer")
    p.set_defaults(func=_init)

    p = cmds.add_parser("mark", help="mark every position as known at a date (idempotent)")
    p.add_argument("--as-of", required=True, help="date (YYYY-MM-DD)")
    p.set_defaults(func=_mark)

    p = cmds.add_parser("trade", help="book a discretionary trade")
    p.add_argument("instrument", help="instrument id (instruments.yaml)")
    p.add_argument("side", choices=["buy", "sell"])
    p.add_argument("size", help="positive notional in the instrument's currency")
    p.add_argument("--date", required=True, help="trade date (YYYY-MM-DD)")
    p.add_argument("--key", required=True, help="idempotency key (one booking per key)")
    p.add_argument("--price", type=float, help="trade price (default: the day's quote)")
    p.add_argument("--strategy", default="discretionary")
    p.add_argument("--reason", default="", help="why (kept in the journal)")
    p.set_defaults(func=_trade)

    p = cmds.add_parser("positions", help="the lots")
    p.add_argument("--all", action="store_true", help="include closed lots")
    p.set_defaults(func=_positions)

    for q in cmds.choices.values():
        _common(q)

    audit = sub.add_parser("audit", help="the tamper-evident audit log")
    acmds = audit.add_subparsers(dest="audit_command", required=True)
    p = acmds.add_parser("verify", help="verify the chain; exit 1 naming the first bad row")
    p.add_argument("--anchor", help="anchor file (catches a truncated tail)")
    p.add_argument("--write-anchor", help="if the chain verifies, write its head here")
    _common(p)
    p.set_defaults(func=_audit_verify)

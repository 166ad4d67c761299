"""``workbench pms ...`` and ``workbench audit verify|anchor|rotate-key``: registered by
``research_core.cli`` (imports the PMS only when one of its commands runs, so
``workbench --help`` stays fast)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

import pandas as pd

from research_core._files import check_output_file, user_output, write_output_file
from research_core.errors import TradeInputError

if TYPE_CHECKING:
    from research_core.pms.system import PMS

BY = ("factor", "strategy", "agent", "asset_class", "instrument")  # pms.attribution.BY


def _open(args: argparse.Namespace, *, create: bool = False) -> PMS:
    from research_core.pms.system import PMS  # heavy imports only when a command runs

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
    pms = _open(args, create=True)
    four_eyes = {"on": True, "off": False}.get(args.four_eyes) if args.four_eyes else None
    revision = pms.init(capital=args.capital, four_eyes=four_eyes)
    print(f"PMS schema at revision {revision}; settings {pms.settings()}")
    return 0


def _mark(args: argparse.Namespace) -> int:
    print(_open(args).mark(args.as_of).summary())
    return 0


def _impact_lines(impact: dict[str, Any]) -> str:
    lines = [
        f"  ΔVaR {float(impact['delta_var']):+.4%} of NAV "
        f"({float(impact['delta_var_brl']):+,.0f} BRL),"
        f" ΔES {float(impact['delta_es']):+.4%}; component VaR "
        f"{float(impact['component_var_before']):.4%} → {float(impact['component_var_after']):.4%}"
    ]
    for name, line in impact["limits"].items():
        if line["after"] is not None:
            lines.append(
                f"  {name:<34} {float(line['after']):>10.4f} / {float(line['max']):<8.4g}"
                f" headroom {float(line['headroom']):>9.4f}  {line['status']}"
            )
    return "\n".join(lines)


def _trade(args: argparse.Namespace) -> int:
    pms = _open(args)
    if args.book:
        if not args.key:
            raise TradeInputError("--book needs --key (an idempotency key)")
        fill = pms.enter_trade(
            args.instrument,
            args.side,
            args.size,
            trade_date=args.as_of,
            idempotency_key=args.key,
            price=args.price,
            strategy=args.strategy,
            reason=args.reason,
        )
        print(
            f"trade {fill.trade_id}: opened lots {list(fill.opened)}, reduced {list(fill.reduced)}"
        )
        return 0
    pid = pms.submit(
        args.instrument,
        args.side,
        args.size,
        as_of=args.as_of,
        reason=args.reason,
        strategy=args.strategy,
    )
    print(f"proposal {pid} (PROPOSED) with its pre-trade risk:")
    print(_impact_lines(pms.proposal(pid)["impact"]))
    return 0


def _propose(args: argparse.Namespace) -> int:
    pms = _open(args)
    made = pms.propose(args.as_of, method=args.method, min_trade=args.min_trade)
    _print(made.drop(columns=["rationale"]))
    return 0


def _decide(args: argparse.Namespace) -> int:
    pms = _open(args)
    if args.pms_command == "approve":
        state = pms.approve(args.proposal, reason=args.reason)
    elif args.pms_command == "reject":
        state = pms.reject(args.proposal, reason=args.reason)
    else:
        state = pms.modify(args.proposal, args.size, reason=args.reason)
    print(f"proposal {args.proposal}: {state}")
    return 0


def _execute(args: argparse.Namespace) -> int:
    fill = _open(args).execute(
        args.proposal,
        idempotency_key=args.key,
        price=args.price,
        trade_date=args.date,
        reason=args.reason,
    )
    print(f"proposal {args.proposal}: EXECUTED as trade {fill.trade_id}, lots {list(fill.opened)}")
    return 0


def _journal(args: argparse.Namespace) -> int:
    frame = _open(args).journal(
        instrument=args.instrument,
        strategy=args.strategy,
        start=args.start,
        end=args.end,
        action=args.action,
        outcome=args.outcome,
    )
    _print(frame.drop(columns=["reason", "code_version", "snapshot_id"]))
    return 0


def _attribution(args: argparse.Namespace) -> int:
    pms = _open(args)
    table = pms.attribution(args.by, start=args.start, end=args.end)
    if table.empty:
        print("(no marked P&L in range)")
        return 0
    total = table.sum()
    _print(table.round(0))
    print(f"\ntotal by {args.by} (BRL):")
    print(total.round(0).to_string())
    print("\nlinked (Carino) contribution to the period return:")
    print(pms.linked_attribution(args.by, start=args.start, end=args.end).to_string())
    if args.by == "factor" and len(table) > 2:
        print("\n" + pms.pla(start=args.start, end=args.end).summary())
    return 0


def _replay(args: argparse.Namespace) -> int:
    result = _open(args).replay(args.decision)
    print(result.summary())
    return 0 if result.identical else 1


def _positions(args: argparse.Namespace) -> int:
    _print(_open(args).positions(include_closed=args.all))
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    target = None
    if args.write_anchor is not None:  # refuse a bad target before opening anything
        target = user_output(args.write_anchor, "--write-anchor")
        check_output_file(target)
    pms = _open(args)
    result = pms.audit_verify(args.anchor)
    print(result.summary())
    if result.ok and target is not None:
        from research_core.pms import keys

        head = result.head or pms.anchor()
        text = head.signed(keys.load()).to_json()
        print(f"anchor written to {write_output_file(target, lambda tmp: tmp.write_text(text))}")
    return 0 if result.ok else 1


def _audit_anchor(args: argparse.Namespace) -> int:
    print(f"anchor written to {_open(args).anchor_head()}")
    return 0


def _audit_rotate(args: argparse.Namespace) -> int:
    new = _open(args).rotate_audit_key()
    print(f"audit key rotated: new key id {new} is current (older keys kept to verify)")
    return 0


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

    p = cmds.add_parser("propose", help="proposals from the book vs current positions")
    p.add_argument("--as-of", required=True, help="date (YYYY-MM-DD)")
    p.add_argument("--method", default="erc", choices=["erc", "hrp", "bl", "kelly", "mv"])
    p.add_argument("--min-trade", type=float, default=0.005, help="smallest |Δweight| (NAV)")
    p.set_defaults(func=_propose)

    for name, text in (("approve", "approve a proposal"), ("reject", "reject a proposal")):
        p = cmds.add_parser(name, help=text)
        p.add_argument("proposal", type=int)
        p.add_argument("--reason", default="", help="why (kept in the journal)")
        p.set_defaults(func=_decide)
    p = cmds.add_parser("modify", help="approve a proposal at another size")
    p.add_argument("proposal", type=int)
    p.add_argument("--size", required=True, help="new positive size (local notional)")
    p.add_argument("--reason", default="", help="why (kept in the journal)")
    p.set_defaults(func=_decide)

    p = cmds.add_parser("execute", help="execute an approved/modified proposal")
    p.add_argument("proposal", type=int)
    p.add_argument("--key", required=True, help="idempotency key (one execution per key)")
    p.add_argument("--price", type=float, help="fill price (default: the day's quote)")
    p.add_argument("--date", help="trade date (default: the proposal's date)")
    p.add_argument("--reason", default="")
    p.set_defaults(func=_execute)

    p = cmds.add_parser("trade", help="enter a discretionary trade (a proposal with its risk)")
    p.add_argument("instrument", help="instrument id (instruments.yaml)")
    p.add_argument("side", choices=["buy", "sell"])
    p.add_argument("size", help="positive notional in the instrument's currency")
    p.add_argument("--as-of", required=True, help="date (YYYY-MM-DD)")
    p.add_argument("--book", action="store_true", help="book it now, without the workflow")
    p.add_argument("--key", help="idempotency key (with --book)")
    p.add_argument("--price", type=float, help="trade price with --book (default: day's quote)")
    p.add_argument("--strategy", default="discretionary")
    p.add_argument("--reason", default="", help="why (kept in the journal)")
    p.set_defaults(func=_trade)

    p = cmds.add_parser("journal", help="search the decision journal (with outcomes)")
    p.add_argument("--instrument")
    p.add_argument("--strategy")
    p.add_argument("--start", help="first as-of date")
    p.add_argument("--end", help="last as-of date")
    p.add_argument("--action", help="propose, approve, reject, modify, expire, execute, ...")
    p.add_argument("--outcome", choices=["gain", "loss", "flat", "open", "none"])
    p.set_defaults(func=_journal)

    p = cmds.add_parser("attribution", help="P&L by strategy, agent, asset class, factor")
    p.add_argument("--by", default="factor", choices=list(BY))
    p.add_argument("--start", help="first mark date")
    p.add_argument("--end", help="last mark date")
    p.set_defaults(func=_attribution)

    p = cmds.add_parser("replay", help="rebuild a decision from its lake snapshot; compare")
    p.add_argument("decision", type=int)
    p.set_defaults(func=_replay)

    p = cmds.add_parser("positions", help="the lots")
    p.add_argument("--all", action="store_true", help="include closed lots")
    p.set_defaults(func=_positions)

    for q in cmds.choices.values():
        _common(q)

    audit = sub.add_parser("audit", help="the tamper-evident audit log")
    acmds = audit.add_subparsers(dest="audit_command", required=True)
    p = acmds.add_parser(
        "verify",
        help="verify the chain, anchor, triggers and book; exit 1 naming the first problem",
    )
    p.add_argument("--anchor", help="anchor file (default: the newest in the anchors folder)")
    p.add_argument("--write-anchor", help="if the chain verifies, write its head here")
    _common(p)
    p.set_defaults(func=_audit_verify)
    p = acmds.add_parser("anchor", help="verify, then anchor the head in the anchors folder")
    _common(p)
    p.set_defaults(func=_audit_anchor)
    p = acmds.add_parser(
        "rotate-key", help="verify, then add a new current key to WORKBENCH_AUDIT_KEY_FILE"
    )
    _common(p)
    p.set_defaults(func=_audit_rotate)

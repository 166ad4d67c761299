"""``workbench pms ...``: positions, marks, proposals and their four-eyes workflow, the
journal, attribution and replay (imports the PMS only when a command runs, so
``workbench --help`` stays fast)."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from research_core.cli._shared import Command, command, group, print_frame, warned
from research_core.errors import TradeInputError

if TYPE_CHECKING:
    from research_core.pms.system import PMS

BY = ("factor", "strategy", "agent", "asset_class", "instrument")  # pms.attribution.BY
PMS_FLAGS = ("--db", "--path", "--user")


def open_pms(args: argparse.Namespace, *, create: bool = False) -> PMS:
    """The PMS at ``--db`` over the lake at ``--path``, acting as ``--user`` (else cli)."""
    from research_core.pms.system import PMS  # heavy imports only when a command runs

    return PMS.open(
        args.db,
        lake=getattr(args, "path", None),
        actor=getattr(args, "user", None) or "cli",
        create=create,
    )


def _init(args: argparse.Namespace) -> int:
    pms = open_pms(args, create=True)
    four_eyes = {"on": True, "off": False}.get(args.four_eyes) if args.four_eyes else None
    revision = pms.init(capital=args.capital, four_eyes=four_eyes, reason=args.reason)
    print(f"PMS schema at revision {revision}; settings {pms.settings()}")
    for req in pms.control_requests(state="pending"):
        print(f"{req.summary()}; a second user applies it: workbench pms approve-control {req.id}")
    return 0


def _mark(args: argparse.Namespace) -> int:
    print(open_pms(args).mark(args.as_of, stale_ok=args.stale_ok).summary())
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
                f"{' (' + line['kind'] + ')' if line.get('kind') else ''}"
            )
    return "\n".join(lines)


def _trade(args: argparse.Namespace) -> int:
    if args.book or args.key or args.price is not None:
        raise TradeInputError(
            "pms trade books nothing directly: it records a proposal (drop --book/--key/"
            "--price); another user approves it, then `workbench pms execute ID --key K`"
        )
    pms = open_pms(args)
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
    pms = open_pms(args)
    made = pms.propose(args.as_of, method=args.method, min_trade=args.min_trade)
    print_frame(made.drop(columns=["rationale"]))
    for d in made.attrs.get("dropped", []):
        print(f"not proposed: {d['instrument']} {d['side']} ({d['why']})")
    if "package" in made.attrs:
        print(f"package {made.attrs['package']}: `workbench pms package show` prices it as one")
    return 0


def _decide(args: argparse.Namespace) -> int:
    pms = open_pms(args)
    override = getattr(args, "override", None)
    if args.pms_command == "approve":
        state = pms.approve(args.proposal, reason=args.reason, override=override)
    elif args.pms_command == "reject":
        state = pms.reject(args.proposal, reason=args.reason)
    else:
        state = pms.modify(args.proposal, args.size, reason=args.reason, override=override)
    if state == "PROPOSED" and override is not None:
        print(
            f"proposal {args.proposal}: override signed by {pms.actor}; it stays PROPOSED "
            "until a second, different approver signs it (--override REASON)"
        )
    else:
        print(f"proposal {args.proposal}: {state}")
    return 0


def _control(args: argparse.Namespace) -> int:
    pms = open_pms(args)
    if args.pms_command == "approve-control":
        req = pms.approve_control(args.decision, reason=args.reason)
    else:
        req = pms.reject_control(args.decision, reason=args.reason)
    print(req.summary())
    return 0


def _controls(args: argparse.Namespace) -> int:
    pms = open_pms(args)
    found = pms.control_requests(state=None if args.all else "pending")
    print("\n".join(r.summary() for r in found) if found else "(no pending control changes)")
    return 0


def _execute(args: argparse.Namespace) -> int:
    fill = open_pms(args).execute(
        args.proposal,
        idempotency_key=args.key,
        price=args.price,
        trade_date=args.date,
        reason=args.reason,
    )
    print(f"proposal {args.proposal}: EXECUTED as trade {fill.trade_id}, lots {list(fill.opened)}")
    return 0


def _journal(args: argparse.Namespace) -> int:
    frame = open_pms(args).journal(
        instrument=args.instrument,
        strategy=args.strategy,
        start=args.start,
        end=args.end,
        action=args.action,
        outcome=args.outcome,
    )
    print_frame(frame.drop(columns=["reason", "code_version", "snapshot_id"]))
    return 0


def _attribution(args: argparse.Namespace) -> int:
    pms = open_pms(args)
    table = pms.attribution(args.by, start=args.start, end=args.end)
    if table.empty:
        print("(no marked P&L in range)")
        return 0
    total = table.sum()
    print_frame(table.round(0))
    print(f"\ntotal by {args.by} (BRL):")
    print(total.round(0).to_string())
    print("\nlinked (Carino) contribution to the period return:")
    print(pms.linked_attribution(args.by, start=args.start, end=args.end).to_string())
    if args.by == "factor" and len(table) > 2:
        print("\n" + pms.pla(start=args.start, end=args.end).summary())
    return 0


def _replay(args: argparse.Namespace) -> int:
    """Only the journal, the database and the lake: not the PMS's other services."""
    from research_core.lake import Lake
    from research_core.pms.db import open_engine
    from research_core.pms.replay import replay

    def say(step: str) -> None:  # each step as it starts, on stderr: a rebuild takes seconds
        print(f"replay: {step}…", file=sys.stderr, flush=True)

    engine = open_engine(args.db, create=False)
    result = replay(engine, Lake.open(args.path), args.decision, progress=say)
    print(result.summary())
    return 0 if result.identical else 1


def _positions(args: argparse.Namespace) -> int:
    print_frame(open_pms(args).positions(include_closed=args.all))
    return 0


def _package_show(args: argparse.Namespace) -> int:
    pms = open_pms(args)
    pkg = pms.package(args.package)
    print(pkg.summary())
    return 0


def _package_approve(args: argparse.Namespace) -> int:
    pms = open_pms(args)
    state = pms.approve_package(args.package, reason=args.reason, override=args.override)
    if state == "PROPOSED":
        print(
            f"package {args.package}: override signed by {pms.actor}; its proposals stay "
            "PROPOSED until a second, different approver signs it (--override REASON)"
        )
    else:
        print(f"package {args.package}: every pending proposal {state}")
    return 0


def _command(cmds: Any, name: str, func: Command, text: str, *flags: str, **helps: str) -> Any:
    """A ``pms`` subcommand: the PMS flags (``--db --path --user``) and ``flags`` (required),
    its workbench warnings printed as lines."""
    return command(cmds, name, warned(func), text, *PMS_FLAGS, *flags, required=flags, **helps)


def register(sub: Any) -> None:
    """Add the ``pms`` group."""
    cmds = group(sub, "pms", "portfolio management: positions, marks, proposals")

    p = _command(cmds, "init", _init, "create or upgrade the PMS schema (never drops data)")
    p.add_argument("--capital", type=float, help="fund capital in BRL (default 1e9)")
    p.add_argument(
        "--four-eyes",
        choices=["on", "off"],
        help="approver must not be proposer (on by default; a change is a control request)",
    )
    p.add_argument("--reason", default="", help="why the control change (with --four-eyes)")

    text = "mark every position as known at a date (idempotent)"
    p = _command(cmds, "mark", _mark, text, "--as-of", as_of="date (YYYY-MM-DD), a B3 session")
    p.add_argument("--stale-ok", action="store_true", help="accept quotes with no new data")

    p = _command(
        cmds, "propose", _propose, "proposals from the book vs current positions", "--as-of"
    )
    p.add_argument("--method", default="erc", choices=["erc", "hrp", "bl", "kelly", "mv"])
    p.add_argument("--min-trade", type=float, default=0.005, help="smallest |Δweight| (NAV)")

    _register_decisions(cmds)
    _register_controls(cmds)
    _register_trades(cmds)
    _register_reports(cmds)
    _register_package(cmds)


def _register_trades(cmds: Any) -> None:
    """``pms execute | trade``."""
    p = _command(cmds, "execute", _execute, "execute an approved/modified proposal")
    p.add_argument("proposal", type=int)
    p.add_argument("--key", required=True, help="idempotency key (one execution per key)")
    p.add_argument("--price", type=float, help="fill price (default: the day's quote)")
    p.add_argument("--date", help="trade date (default: the proposal's date)")
    p.add_argument("--reason", default="")

    text = "enter a discretionary trade (a proposal with its risk)"
    p = _command(cmds, "trade", _trade, text, "--as-of")
    p.add_argument("instrument", help="instrument id (instruments.yaml)")
    p.add_argument("side", choices=["buy", "sell"])
    p.add_argument("size", help="positive notional in the instrument's currency")
    # gone: refused with a pointer to `pms execute` (a trade is a proposal first)
    p.add_argument("--book", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--key", help=argparse.SUPPRESS)
    p.add_argument("--price", help=argparse.SUPPRESS)
    p.add_argument("--strategy", default="discretionary")
    p.add_argument("--reason", default="", help="why (kept in the journal)")


def _register_reports(cmds: Any) -> None:
    """``pms journal | attribution | replay | positions``."""
    p = _command(cmds, "journal", _journal, "search the decision journal (with outcomes)")
    p.add_argument("--instrument")
    p.add_argument("--strategy")
    p.add_argument("--start", help="first as-of date")
    p.add_argument("--end", help="last as-of date")
    p.add_argument("--action", help="propose, approve, reject, modify, expire, execute, ...")
    p.add_argument("--outcome", choices=["gain", "loss", "flat", "open", "none"])

    text = "P&L by strategy, agent, asset class, factor"
    p = _command(cmds, "attribution", _attribution, text)
    p.add_argument("--by", default="factor", choices=list(BY))
    p.add_argument("--start", help="first mark date")
    p.add_argument("--end", help="last mark date")

    text = "rebuild a decision from its lake snapshot; compare"
    p = _command(cmds, "replay", _replay, text)
    p.add_argument("decision", type=int)

    p = _command(cmds, "positions", _positions, "the lots")
    p.add_argument("--all", action="store_true", help="include closed lots")


def _register_decisions(cmds: Any) -> None:
    """``pms approve | reject | modify`` (an approval past a hard limit: ``--override``)."""
    for name, text in (("approve", "approve a proposal"), ("reject", "reject a proposal")):
        p = _command(cmds, name, _decide, text)
        p.add_argument("proposal", type=int)
        p.add_argument("--reason", default="", help="why (kept in the journal)")
        if name == "approve":
            p.add_argument("--override", metavar="REASON", help=OVERRIDE)
    p = _command(cmds, "modify", _decide, "approve a proposal at another size")
    p.add_argument("proposal", type=int)
    p.add_argument("--size", required=True, help="new positive size (local notional)")
    p.add_argument("--reason", default="", help="why (kept in the journal)")
    p.add_argument("--override", metavar="REASON", help=OVERRIDE)


OVERRIDE = "past a hard limit: the written reason; a second approver must also sign"


def _register_package(cmds: Any) -> None:
    """``pms package show [ID] | approve ID`` (the proposals of one decision, as one)."""
    pcmds = group(cmds, "package", "the proposals of one decision priced/approved as one")
    text = "ΔVaR/ΔES, contributions, limits after (default: newest)"
    p = _command(pcmds, "show", _package_show, text)
    p.add_argument("package", nargs="?", type=int, help="package id (default: the newest)")
    p = _command(pcmds, "approve", _package_approve, "approve every pending proposal of a package")
    p.add_argument("package", type=int)
    p.add_argument("--reason", default="", help="why (kept in the journal)")
    p.add_argument("--override", metavar="REASON", help=OVERRIDE)


def _register_controls(cmds: Any) -> None:
    """``pms approve-control | reject-control | controls``."""
    for name, text in (
        ("approve-control", "apply a control change another user requested"),
        ("reject-control", "reject (or withdraw) a pending control change"),
    ):
        p = _command(cmds, name, _control, text)
        p.add_argument("decision", metavar="ID", type=int, help="the control change's id")
        p.add_argument("--reason", default="", help="why (kept in the journal)")
    p = _command(cmds, "controls", _controls, "pending control changes (four-eyes, limits)")
    p.add_argument("--all", action="store_true", help="also approved and rejected ones")

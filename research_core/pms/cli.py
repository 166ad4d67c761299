"""``workbench pms ...`` and ``workbench audit verify|anchor|rotate-key``: registered by
``research_core.cli`` (imports the PMS only when one of its commands runs, so
``workbench --help`` stays fast)."""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from research_core.errors import LimitsError, TradeInputError, WorkbenchWarning

if TYPE_CHECKING:
    import pandas as pd

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
    import pandas as pd

    if frame.empty:
        print("(none)")
    else:
        with pd.option_context("display.width", 200, "display.max_columns", 30):
            print(frame.to_string())


def _warned(func: Callable[[argparse.Namespace], int]) -> Callable[[argparse.Namespace], int]:
    """Run a command printing each workbench warning (soft limits, stale quotes) as one
    ``workbench: warning: ...`` line on stderr; other warnings show as usual."""

    def run(args: argparse.Namespace) -> int:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            code = func(args)
        for w in caught:
            if issubclass(w.category, WorkbenchWarning):
                print(f"workbench: warning: {w.message}", file=sys.stderr)
            else:
                warnings.showwarning(w.message, w.category, w.filename, w.lineno)
        return code

    return run


def _init(args: argparse.Namespace) -> int:
    pms = _open(args, create=True)
    four_eyes = {"on": True, "off": False}.get(args.four_eyes) if args.four_eyes else None
    revision = pms.init(capital=args.capital, four_eyes=four_eyes, reason=args.reason)
    print(f"PMS schema at revision {revision}; settings {pms.settings()}")
    for req in pms.control_requests(state="pending"):
        print(f"{req.summary()}; a second user applies it: workbench pms approve-control {req.id}")
    return 0


def _mark(args: argparse.Namespace) -> int:
    print(_open(args).mark(args.as_of, stale_ok=args.stale_ok).summary())
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
    pms = _open(args)
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
    for d in made.attrs.get("dropped", []):
        print(f"not proposed: {d['instrument']} {d['side']} ({d['why']})")
    if "package" in made.attrs:
        print(f"package {made.attrs['package']}: `workbench pms package show` prices it as one")
    return 0


def _decide(args: argparse.Namespace) -> int:
    pms = _open(args)
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
    pms = _open(args)
    if args.pms_command == "approve-control":
        req = pms.approve_control(args.decision, reason=args.reason)
    else:
        req = pms.reject_control(args.decision, reason=args.reason)
    print(req.summary())
    return 0


def _controls(args: argparse.Namespace) -> int:
    pms = _open(args)
    found = pms.control_requests(state=None if args.all else "pending")
    print("\n".join(r.summary() for r in found) if found else "(no pending control changes)")
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
    from research_core.pms.journal import replay

    def say(step: str) -> None:  # each step as it starts, on stderr: a rebuild takes seconds
        print(f"replay: {step}…", file=sys.stderr, flush=True)

    pms = _open(args)
    result = replay(pms.engine, pms.lake, args.decision, progress=say)
    print(result.summary())
    return 0 if result.identical else 1


def _positions(args: argparse.Namespace) -> int:
    _print(_open(args).positions(include_closed=args.all))
    return 0


def _audit_verify(args: argparse.Namespace) -> int:
    from research_core._files import check_output_file, user_output, write_output_file

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


def _limits_show(args: argparse.Namespace) -> int:
    from research_core.risk.limits import CAPS, TICKETS, RiskLimits, format_limit

    pms = _open(args)
    file = pms.limits_file()
    meta = file.meta
    head = f"limits version {file.version} ({file.path})"
    if file.version:
        head += (
            f": requested by {meta.get('requested_by')}, approved by {meta.get('approved_by')}"
            f" at {meta.get('changed_at')}: {meta.get('reason')!r}"
        )
    else:
        head += ": the shipped defaults (never changed)"
    print(head)
    for name, field in RiskLimits.model_fields.items():
        if name == "soft":
            continue
        kind = file.limits.kind(name) if name in CAPS else "ticket" if name in TICKETS else ""
        value = format_limit(name, float(getattr(file.limits, name)))
        print(f"  {name:<15} {value:>22}  {kind:<6}  {field.description or ''}")
    for req in pms.control_requests(state="pending"):
        if req.setting == "limits":
            print(f"pending: {req.summary()}")
    return 0


def _limits_set(args: argparse.Namespace) -> int:
    values: dict[str, object] = {}
    for item in args.change:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise LimitsError(f"limits set: {item!r} is not NAME=VALUE (e.g. fx_delta=1.5)")
        values[name.strip()] = value
    if not values and not args.soft and not args.hard:
        raise LimitsError("limits set: give NAME=VALUE, --soft NAME or --hard NAME")
    pms = _open(args)
    rid = pms.request_limits(values, soft=args.soft, hard=args.hard, reason=args.reason)
    (req,) = [r for r in pms.control_requests() if r.id == rid]
    print(f"{req.summary()}; a second user applies it: workbench pms approve-control {rid}")
    return 0


def _limits_restore(args: argparse.Namespace) -> int:
    path = _open(args).restore_limits(reason=args.reason)
    print(
        "the limits file is the approved one; nothing to do" if path is None else f"restored {path}"
    )
    return 0


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
    p.add_argument(
        "--four-eyes",
        choices=["on", "off"],
        help="approver must not be proposer (on by default; a change is a control request)",
    )
    p.add_argument("--reason", default="", help="why the control change (with --four-eyes)")
    p.set_defaults(func=_init)

    p = cmds.add_parser("mark", help="mark every position as known at a date (idempotent)")
    p.add_argument("--as-of", required=True, help="date (YYYY-MM-DD), a B3 session")
    p.add_argument("--stale-ok", action="store_true", help="accept quotes with no new data")
    p.set_defaults(func=_mark)

    p = cmds.add_parser("propose", help="proposals from the book vs current positions")
    p.add_argument("--as-of", required=True, help="date (YYYY-MM-DD)")
    p.add_argument("--method", default="erc", choices=["erc", "hrp", "bl", "kelly", "mv"])
    p.add_argument("--min-trade", type=float, default=0.005, help="smallest |Δweight| (NAV)")
    p.set_defaults(func=_propose)

    _register_decisions(cmds)
    _register_controls(cmds)

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
    # gone: refused with a pointer to `pms execute` (a trade is a proposal first)
    p.add_argument("--book", action="store_true", help=argparse.SUPPRESS)
    p.add_argument("--key", help=argparse.SUPPRESS)
    p.add_argument("--price", help=argparse.SUPPRESS)
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
        q.set_defaults(func=_warned(q.get_default("func")))
    _register_package(cmds)

    _register_limits(sub)

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


def _register_decisions(cmds: Any) -> None:
    """``pms approve | reject | modify`` (an approval past a hard limit: ``--override``)."""
    override = "past a hard limit: the written reason; a second approver must also sign"
    for name, text in (("approve", "approve a proposal"), ("reject", "reject a proposal")):
        p = cmds.add_parser(name, help=text)
        p.add_argument("proposal", type=int)
        p.add_argument("--reason", default="", help="why (kept in the journal)")
        if name == "approve":
            p.add_argument("--override", metavar="REASON", help=override)
        p.set_defaults(func=_decide)
    p = cmds.add_parser("modify", help="approve a proposal at another size")
    p.add_argument("proposal", type=int)
    p.add_argument("--size", required=True, help="new positive size (local notional)")
    p.add_argument("--reason", default="", help="why (kept in the journal)")
    p.add_argument("--override", metavar="REASON", help=override)
    p.set_defaults(func=_decide)


def _package_show(args: argparse.Namespace) -> int:
    pms = _open(args)
    pkg = pms.package(args.package)
    print(pkg.summary())
    return 0


def _package_approve(args: argparse.Namespace) -> int:
    pms = _open(args)
    state = pms.approve_package(args.package, reason=args.reason, override=args.override)
    if state == "PROPOSED":
        print(
            f"package {args.package}: override signed by {pms.actor}; its proposals stay "
            "PROPOSED until a second, different approver signs it (--override REASON)"
        )
    else:
        print(f"package {args.package}: every pending proposal {state}")
    return 0


def _register_package(cmds: Any) -> None:
    """``pms package show [ID] | approve ID`` (the proposals of one decision, as one)."""
    pkg = cmds.add_parser("package", help="the proposals of one decision priced/approved as one")
    pcmds = pkg.add_subparsers(dest="package_command", required=True)
    p = pcmds.add_parser("show", help="ΔVaR/ΔES, contributions, limits after (default: newest)")
    p.add_argument("package", nargs="?", type=int, help="package id (default: the newest)")
    p.set_defaults(func=_package_show)
    p = pcmds.add_parser("approve", help="approve every pending proposal of a package")
    p.add_argument("package", type=int)
    p.add_argument("--reason", default="", help="why (kept in the journal)")
    p.add_argument(
        "--override",
        metavar="REASON",
        help="past a hard limit: the written reason; a second approver must also sign",
    )
    p.set_defaults(func=_package_approve)
    for q in pcmds.choices.values():
        _common(q)
        q.set_defaults(func=_warned(q.get_default("func")))


def _register_controls(cmds: Any) -> None:
    """``pms approve-control | reject-control | controls``."""
    for name, text in (
        ("approve-control", "apply a control change another user requested"),
        ("reject-control", "reject (or withdraw) a pending control change"),
    ):
        p = cmds.add_parser(name, help=text)
        p.add_argument("decision", metavar="ID", type=int, help="the control change's id")
        p.add_argument("--reason", default="", help="why (kept in the journal)")
        p.set_defaults(func=_control)
    p = cmds.add_parser("controls", help="pending control changes (four-eyes, limits)")
    p.add_argument("--all", action="store_true", help="also approved and rejected ones")
    p.set_defaults(func=_controls)


def _register_limits(sub: Any) -> None:
    """``workbench limits show | set | restore``."""
    limits = sub.add_parser("limits", help="the fund's risk limits (limits.yaml, audited)")
    lcmds = limits.add_subparsers(dest="limits_command", required=True)
    p = lcmds.add_parser("show", help="the approved limits: caps, kinds, version, who and why")
    p.set_defaults(func=_limits_show)
    p = lcmds.add_parser("set", help="request new caps or kinds (a second user approves)")
    p.add_argument("change", nargs="*", metavar="NAME=VALUE", help="e.g. fx_delta=1.5 var_99=2.5%%")
    p.add_argument("--soft", action="append", default=[], metavar="NAME", help="make a cap soft")
    p.add_argument("--hard", action="append", default=[], metavar="NAME", help="make a cap hard")
    p.add_argument("--reason", default="", help="why (required; kept in the journal and audit)")
    p.set_defaults(func=_limits_set)
    p = lcmds.add_parser("restore", help="rewrite the approved file (missing or edited by hand)")
    p.add_argument("--reason", default="", help="why (required)")
    p.set_defaults(func=_limits_restore)
    for q in lcmds.choices.values():
        _common(q)

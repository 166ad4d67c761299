"""``workbench limits show | set | restore``: the fund's risk limits (limits.yaml, audited;
a change is a control request a second user applies)."""

from __future__ import annotations

import argparse
from typing import Any

from research_core.cli._shared import command, group
from research_core.cli.pms import PMS_FLAGS, open_pms
from research_core.errors import LimitsError


def _limits_show(args: argparse.Namespace) -> int:
    from research_core.risk.limits import CAPS, TICKETS, RiskLimits, format_limit

    pms = open_pms(args)
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
    pms = open_pms(args)
    rid = pms.request_limits(values, soft=args.soft, hard=args.hard, reason=args.reason)
    (req,) = [r for r in pms.control_requests() if r.id == rid]
    print(f"{req.summary()}; a second user applies it: workbench pms approve-control {rid}")
    return 0


def _limits_restore(args: argparse.Namespace) -> int:
    path = open_pms(args).restore_limits(reason=args.reason)
    print(
        "the limits file is the approved one; nothing to do" if path is None else f"restored {path}"
    )
    return 0


def register(sub: Any) -> None:
    """Add the ``limits`` group."""
    cmds = group(sub, "limits", "the fund's risk limits (limits.yaml, audited)")
    text = "the approved limits: caps, kinds, version, who and why"
    command(cmds, "show", _limits_show, text, *PMS_FLAGS)
    text = "request new caps or kinds (a second user approves)"
    p = command(cmds, "set", _limits_set, text, *PMS_FLAGS)
    p.add_argument("change", nargs="*", metavar="NAME=VALUE", help="e.g. fx_delta=1.5 var_99=2.5%%")
    p.add_argument("--soft", action="append", default=[], metavar="NAME", help="make a cap soft")
    p.add_argument("--hard", action="append", default=[], metavar="NAME", help="make a cap hard")
    p.add_argument("--reason", default="", help="why (required; kept in the journal and audit)")
    text = "rewrite the approved file (missing or edited by hand)"
    p = command(cmds, "restore", _limits_restore, text, *PMS_FLAGS)
    p.add_argument("--reason", default="", help="why (required)")

"""``workbench audit verify | anchor | rotate-key``: the tamper-evident audit log."""

from __future__ import annotations

import argparse
from typing import Any

from research_core.cli._shared import shared
from research_core.cli.pms import PMS_FLAGS, open_pms


def _audit_verify(args: argparse.Namespace) -> int:
    from research_core._files import check_output_file, user_output, write_output_file

    target = None
    if args.write_anchor is not None:  # refuse a bad target before opening anything
        target = user_output(args.write_anchor, "--write-anchor")
        check_output_file(target)
    pms = open_pms(args)
    result = pms.audit_verify(args.anchor)
    print(result.summary())
    if result.ok and target is not None:
        from research_core.pms import keys

        head = result.head or pms.anchor()
        text = head.signed(keys.load()).to_json()
        print(f"anchor written to {write_output_file(target, lambda tmp: tmp.write_text(text))}")
    return 0 if result.ok else 1


def _audit_anchor(args: argparse.Namespace) -> int:
    print(f"anchor written to {open_pms(args).anchor_head()}")
    return 0


def _audit_rotate(args: argparse.Namespace) -> int:
    new = open_pms(args).rotate_audit_key()
    print(f"audit key rotated: new key id {new} is current (older keys kept to verify)")
    return 0


def register(sub: Any) -> None:
    """Add the ``audit`` group."""
    audit = sub.add_parser("audit", help="the tamper-evident audit log")
    acmds = audit.add_subparsers(dest="audit_command", required=True)
    text = "verify the chain, anchor, triggers and book; exit 1 naming the first problem"
    p = acmds.add_parser("verify", parents=shared(*PMS_FLAGS), help=text)
    p.add_argument("--anchor", help="anchor file (default: the newest in the anchors folder)")
    p.add_argument("--write-anchor", help="if the chain verifies, write its head here")
    p.set_defaults(func=_audit_verify)
    text = "verify, then anchor the head in the anchors folder"
    p = acmds.add_parser("anchor", parents=shared(*PMS_FLAGS), help=text)
    p.set_defaults(func=_audit_anchor)
    text = "verify, then add a new current key to WORKBENCH_AUDIT_KEY_FILE"
    p = acmds.add_parser("rotate-key", parents=shared(*PMS_FLAGS), help=text)
    p.set_defaults(func=_audit_rotate)

"""``workbench audit verify | anchor | rotate-key``: the tamper-evident audit log."""

from __future__ import annotations

import argparse
from typing import Any

from research_core.cli._shared import command, group
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
    cmds = group(sub, "audit", "the tamper-evident audit log")
    text = "verify the chain, anchor, triggers and book; exit 1 naming the first problem"
    p = command(cmds, "verify", _audit_verify, text, *PMS_FLAGS)
    p.add_argument("--anchor", help="anchor file (default: the newest in the anchors folder)")
    p.add_argument("--write-anchor", help="if the chain verifies, write its head here")
    text = "verify, then anchor the head in the anchors folder"
    command(cmds, "anchor", _audit_anchor, text, *PMS_FLAGS)
    text = "verify, then add a new current key to WORKBENCH_AUDIT_KEY_FILE"
    command(cmds, "rotate-key", _audit_rotate, text, *PMS_FLAGS)

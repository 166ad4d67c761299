"""``workbench users add|list|remove``: who may use the pages served beyond loopback.

The users live in the PMS database (``pms/users.py``); the OS user running the command is
recorded in the audit log as who added or removed them.
"""

from __future__ import annotations

import argparse
import getpass
from typing import Any

from research_core.cli._shared import command, group, pms_engine


def _add(args: argparse.Namespace) -> int:
    from research_core.pms.users import add_user

    token = add_user(pms_engine(args), args.name, actor=getpass.getuser())
    print(f"token of {token.split('.', 1)[0]} (shown once; only a salted hash is stored):")
    print(token)
    print("sign in at http://HOST:PORT/login, or open a page with ?token=<token>")
    return 0


def _list(args: argparse.Namespace) -> int:
    from research_core.pms.users import list_users

    frame = list_users(pms_engine(args))
    print("(none)" if frame.empty else frame.to_string(index=False))
    return 0


def _remove(args: argparse.Namespace) -> int:
    from research_core.pms.users import normalize, remove_user

    remove_user(pms_engine(args), args.name, actor=getpass.getuser())
    print(f"removed {normalize(args.name)}: their token and sessions no longer work")
    return 0


def register(sub: Any) -> None:
    """Add the ``users`` group."""
    cmds = group(sub, "users", "who may use the pages served beyond loopback")
    p = command(cmds, "add", _add, "add a user; prints their token once", "--db")
    p.add_argument("name", help="user name (letters, digits, '_' or '-'; lower case)")
    command(cmds, "list", _list, "the users (names, when and by whom added)", "--db")
    p = command(cmds, "remove", _remove, "remove a user (their token stops working)", "--db")
    p.add_argument("name")

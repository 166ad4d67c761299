"""``workbench book --as-of D``: the target book at one date, decided against the PMS
positions: weights, VaR/ES, stresses and limits."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_core.cli._shared import AS_OF_EOD, get_settings, open_lake, shared
from research_core.errors import AsOfError

if TYPE_CHECKING:
    import pandas as pd

    from research_core.lake import Lake


def _cmd_book(args: argparse.Namespace) -> int:
    if not _is_plain_date(args.as_of):
        raise AsOfError(f"--as-of {args.as_of!r}: give a date as YYYY-MM-DD")
    from research_core import workspace
    from research_core._files import output_folder

    lake = open_lake(args.path)
    out = output_folder(args.out, workspace.folder(lake.root, "book") / args.as_of)

    from research_core.portfolio import build_book

    held, nav, equity, note = _held_book(args.db, lake, args.as_of)
    view = lake.at(args.as_of)
    nav = args.nav if args.nav is not None else nav
    book = build_book(view, method=args.method, nav=nav, current=held, equity=equity)
    print(note)
    print(book.summary())
    print(f"book written to {book.write(out)}/ (weights.csv, var.csv, stress.csv, limits.csv)")
    return 0


def _held_book(
    url: str | None, lake: Lake, as_of: str
) -> tuple[pd.Series | None, float, pd.Series | None, str]:
    """The book the PMS holds at ``as_of`` (the decision's ``current``, as in the daily
    pipeline), its NAV and NAV history (the drawdown ladder's input) then, and a line.
    No PMS database yet (a SQLite file that does not exist; none is created here): nothing
    held, NAV the default capital."""
    from research_core._secrets import safe_url
    from research_core.formats import money
    from research_core.pms.system import DEFAULT_CAPITAL, PMS

    url = url or get_settings().db_url
    if url.startswith("sqlite:///") and not Path(url[len("sqlite:///") :]).is_file():
        return None, DEFAULT_CAPITAL, None, f"no PMS database at {safe_url(url)}: nothing held"
    pms = PMS.open(url, lake=lake, create=False, actor="cli")
    held, nav, path = pms.exposures(as_of), pms.nav(as_of), pms.nav_path(as_of)
    equity = path if len(path) else None
    where = f"the PMS at {safe_url(url)}"
    if held.empty:
        return None, nav, equity, f"no positions held in {where} at {as_of}; NAV {money(nav)}"
    note = f"held: {len(held)} positions in {where} at {as_of}; NAV {money(nav)}"
    return held, nav, equity, note


def _is_plain_date(text: str) -> bool:
    try:
        return dt.date.fromisoformat(text).isoformat() == text
    except ValueError:
        return False


def register(sub: Any) -> None:
    """Add ``book``."""
    held = "PMS database whose positions are held (default: WORKBENCH_DB_URL)"
    flags = shared("--path", "--as-of", "--db", required=["--as-of"], as_of=AS_OF_EOD, db=held)
    text = "the target book at one date, decided against the PMS positions: weights, VaR/ES"
    p = sub.add_parser("book", parents=flags, help=text)
    p.add_argument("--method", default="erc", choices=["erc", "hrp", "bl", "kelly", "mv"])
    p.add_argument(
        "--nav", type=float, help="NAV in BRL (default: the PMS NAV at the date, else 1e9)"
    )
    p.add_argument("--out", help="folder (default: <workspace>/book/<as-of>)")
    p.set_defaults(func=_cmd_book)

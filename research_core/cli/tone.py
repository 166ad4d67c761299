"""``workbench tone score|ingest``.

``score`` prints a text file's tone and drivers. ``ingest`` scores Copom communiqués
(``--meetings 200:230``, BCB site API) or FOMC statements (decision days between ``--from``
and ``--to``, federalreserve.gov), or stored BCB API records (``--from-dir``, the
``com_NNN.json`` layout), and writes ``BR.COPOM.TONE`` / ``US.FOMC.TONE`` to the lake.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from research_core.cli._shared import command, group
from research_core.errors import ToneError


def _score(args: argparse.Namespace) -> int:
    from research_core.tone import tone

    path = Path(args.file)
    if not path.is_file():
        raise ToneError(f"tone score: no such file {path}")
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError as err:
        raise ToneError(f"tone score: {path} is not UTF-8 text ({err.reason})") from err
    result = tone(text, args.language)
    print(result.summary())
    frame = result.to_frame()
    if not frame.empty:
        print(frame.to_string(index=False))
    return 0


def _parse_record(parser: Any, path: Path) -> Any:
    """One stored BCB API record; a malformed one is a one-line ToneError naming the file."""
    try:
        return parser.parse(json.loads(path.read_text("utf-8")))
    except (ValueError, KeyError, TypeError, AttributeError) as err:
        raise ToneError(f"tone ingest: {path} is not a Copom API record ({err})") from err


def _ingest(args: argparse.Namespace) -> int:
    import pandas as pd

    from research_core.catalog import policy_decisions
    from research_core.connectors.cbtext import BANKS, CopomText, FOMCStatements
    from research_core.lake import Lake
    from research_core.tone.series import write_tone

    texts = []
    if args.from_dir:
        folder = Path(args.from_dir)
        files = sorted(folder.glob("com_*.json"))
        if args.bank != "copom" or not files:
            raise ToneError(f"tone ingest --from-dir: no Copom com_NNN.json records in {folder}")
        parser = CopomText()
        texts = [_parse_record(parser, f) for f in files]
    elif args.bank == "copom":
        if not args.meetings or ":" not in args.meetings:
            raise ToneError("tone ingest --bank copom needs --meetings FIRST:LAST, e.g. 200:230")
        try:
            first, last = (int(x) for x in args.meetings.split(":"))
        except ValueError as err:
            raise ToneError(f"--meetings {args.meetings!r}: give FIRST:LAST numbers") from err
        copom = CopomText()
        texts = [copom.communique(n) for n in range(first, last + 1)]
    else:
        if not (args.start and args.end):
            raise ToneError("tone ingest --bank fomc needs --from and --to dates")
        days = policy_decisions("fomc").tz_convert(BANKS["fomc"]).tz_localize(None).normalize()
        fed = FOMCStatements()
        texts = [
            fed.statement(d)
            for d in days
            if pd.Timestamp(args.start) <= d <= pd.Timestamp(args.end)
        ]
    from research_core.config import get_settings

    lake = Lake.open(args.path or get_settings().lake_path)
    result = write_tone(lake, texts)
    print(f"tone ingest: {len(texts)} {args.bank} texts scored; {result.summary()}")
    return 0


def register(sub: Any) -> None:
    """Add the ``tone`` group."""
    cmds = group(sub, "tone", "central-bank communiqué tone (+ hawkish)")
    p = command(cmds, "score", _score, "tone of a text file, with its driver phrases")
    p.add_argument("file")
    p.add_argument("--language", choices=["pt", "en"], default="pt")
    text = "score communiqués/statements into the lake"
    p = command(cmds, "ingest", _ingest, text, "--path")
    p.add_argument("--bank", choices=["copom", "fomc"], default="copom")
    p.add_argument("--meetings", help="Copom meetings FIRST:LAST (BCB site API)")
    p.add_argument("--from", dest="start", help="FOMC: first decision date")
    p.add_argument("--to", dest="end", help="FOMC: last decision date")
    p.add_argument(
        "--from-dir", help="stored BCB API records (com_NNN.json) instead of the network"
    )

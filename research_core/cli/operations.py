"""``workbench backup | restore | doctor``: a checksummed copy of the lake, the PMS and the
runs, its restore into empty places, and the go-live checks (:mod:`research_core.operations`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_core.cli._shared import command

if TYPE_CHECKING:
    from research_core.operations import Places


def _places(args: Any) -> Places:
    from research_core.config import get_settings
    from research_core.operations import Places

    s = get_settings()
    return Places(
        lake=Path(args.path or s.lake_path),
        db_url=args.db_url or s.db_url,
        runs=Path(args.runs or s.runs_path),
    )


def _cmd_backup(args: Any) -> int:
    from research_core.operations import backup

    meta = backup(_places(args), args.to)
    size = sum(f["bytes"] for f in meta["files"].values())
    print(
        f"backup written to {args.to}: {len(meta['files'])} files, {size / 1024**2:,.1f} MB; "
        f"lake version {meta['lake']['version']}, audit head seq {meta['audit_head']['seq']}"
    )
    return 0


def _cmd_restore(args: Any) -> int:
    from research_core.operations import make_url, restore

    places = _places(args)
    meta = restore(args.source, places)
    print(
        f"restored {len(meta['files'])} files from {args.source} (taken {meta['created_at']}): "
        f"lake {places.lake}, database {make_url(places.db_url)!r}, runs {places.runs}; "
        "now run `workbench doctor`"
    )
    return 0


def _cmd_doctor(args: Any) -> int:
    import pandas as pd

    from research_core.operations import doctor

    as_of = args.as_of or str(pd.Timestamp.now().date())
    checks = doctor(_places(args), as_of=as_of, url=args.url, pipeline=args.pipeline)
    for check in checks:
        print(check.line())
    return 1 if any(c.status == "FAIL" for c in checks) else 0


def register(sub: Any) -> None:
    """Add ``backup``, ``restore`` and ``doctor``."""
    flags = ("--path", "--db-url", "--runs")
    text = "a checksummed copy of lake, PMS, runs"
    p = command(sub, "backup", _cmd_backup, text, *flags)
    p.add_argument("--to", required=True, help="a new folder outside the lake")
    p = command(sub, "restore", _cmd_restore, "restore a backup into empty places", *flags)
    p.add_argument("--from", dest="source", required=True, help="the backup folder")
    as_of = "judge freshness at this date (default: today)"
    text = "go-live checks, one line each"
    p = command(sub, "doctor", _cmd_doctor, text, *flags, "--as-of", as_of=as_of)
    p.add_argument("--url", help="address of `workbench serve` to check the pages answer")
    p.add_argument("--pipeline", help="pipeline YAML (default: pipelines/daily.yaml)")

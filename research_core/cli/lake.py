"""``workbench sample-lake``, ``workbench lake info|check|compact|unregister|import-timescale``
and ``workbench ingest``: build, inspect, maintain and fill the lake."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_core.cli._shared import command, get_settings, group, open_lake
from research_core.errors import ArtifactError, WorkbenchError

if TYPE_CHECKING:
    from research_core.lake import Lake


def _print_pit_summary(lake: Lake, as_of: str | None) -> None:
    import pandas as pd

    from research_core.lake.maintenance import lake_info, pit_snapshot

    info = lake_info(lake)
    print(info.summary())
    if info.table.empty:
        return
    moment = as_of or str(info.table["last_obs"].max().date())
    year_ago = str((pd.Timestamp(moment) - pd.DateOffset(years=1)).date())
    for when in (moment, year_ago):
        snap = pit_snapshot(lake, when)
        print(f"\nAs known at end of {when} ({lake.tz}); value_now = that period's newest vintage:")
        print(snap.to_string(float_format=lambda v: f"{v:,.2f}"))
    if lake.is_sample:
        print("\nNOTE: source=sample rows are generated sample data, not real history.")


def _cmd_sample_lake(args: argparse.Namespace) -> int:
    from research_core.lake.sample import build_sample_lake

    s = get_settings()
    path = args.path or s.lake_path
    result = build_sample_lake(
        str(path),
        start=args.start or s.sample_start,
        end=args.end or s.sample_end,
        seed=s.sample_seed if args.seed is None else args.seed,
        progress=print,
    )
    print(f"sample lake at {path}: {result.summary()}")
    _print_pit_summary(open_lake(path), None)
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    _print_pit_summary(open_lake(args.path), args.as_of)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from research_core._files import write_output_file
    from research_core.lake.maintenance import check_lake
    from research_core.lake.quality import quality_report

    if not 0 < args.jump_sigmas < float("inf"):  # also refuses nan
        raise WorkbenchError(f"--jump-sigmas must be a positive number, got {args.jump_sigmas}")
    target = _csv_target(args.report) if args.report is not None else None  # before the work
    lake = open_lake(args.path)
    report = check_lake(lake)
    print(report.summary())
    if not report.ok:  # damaged storage: reading it for the quality report would fail
        print("data-quality report skipped until the storage problems are fixed")
        return 1
    quality = quality_report(lake, as_of=args.as_of, jump_sigmas=args.jump_sigmas, integrity=report)
    print(quality.summary())
    if target:
        frame = quality.to_frame()
        write_output_file(target, lambda tmp: frame.to_csv(tmp, index=False))
        print(f"quality findings written to {args.report}")
    return 0 if report.ok and (quality.ok or not args.strict) else 1


def _csv_target(path: str) -> Path:
    """A ``.csv`` path outside the lake the CLI may write: new, or one it wrote itself."""
    from research_core._files import check_output_file, user_output

    target = user_output(path, "--report")
    if target.suffix.lower() != ".csv":
        raise ArtifactError(f"--report {target}: give a file name ending in .csv")
    check_output_file(target)
    return target


def _cmd_ingest(args: argparse.Namespace) -> int:
    from contextlib import nullcontext

    from research_core.connectors.replay import ReplayServer
    from research_core.lake.ingest import ingest

    replay = ReplayServer(args.replay) if args.replay else None  # checks the folders first
    lake = open_lake(args.path, create="on_write")  # created by its first write, if any
    with replay or nullcontext():
        report = ingest(
            lake,
            sources=args.source,
            series=args.series,
            since=args.since,
            dry_run=args.dry_run,
            catch_up=args.catch_up,
            connectors=replay.connector if replay else None,
            progress=not args.quiet,
        )
    print(report.summary())
    return 0 if report.ok else 1


def _cmd_compact(args: argparse.Namespace) -> int:
    from research_core.lake.maintenance import compact_lake

    print(compact_lake(open_lake(args.path)).summary())
    return 0


def _cmd_unregister(args: argparse.Namespace) -> int:
    open_lake(args.path).unregister(args.series_id)
    print(f"unregistered {args.series_id}")
    return 0


def _cmd_import_timescale(args: argparse.Namespace) -> int:
    from research_core.lake.timescale import ImportMapping, import_timescale

    secret = get_settings().timescale_url
    url = args.url or (secret.get_secret_value() if secret and not args.export else None)
    mapping = ImportMapping.from_yaml(args.mapping) if args.mapping else None
    lake = open_lake(args.path, create="on_write")  # a refused import creates nothing
    result = import_timescale(lake, url=url, export=args.export, mapping=mapping)
    print(f"import-timescale: {result.summary()}")
    return 0


def register(sub: Any) -> None:
    """Add ``sample-lake``, the ``lake`` group and ``ingest``."""
    text = "build the deterministic sample lake"
    p = command(sub, "sample-lake", _cmd_sample_lake, text, "--path")
    p.add_argument("--start", help="first period (default 2005-01-01)")
    p.add_argument("--end", help="last period (default: config sample_end)")
    p.add_argument("--seed", type=int, help="generator seed")
    _register_lake(sub)
    text = "fetch what is new from the public sources"
    p = command(sub, "ingest", _cmd_ingest, text, "--path", "--quiet", "--replay")
    p.add_argument("--source", nargs="+", help="only these sources (e.g. bcb_sgs fred)")
    p.add_argument("--series", nargs="+", help="only these series ids")
    p.add_argument("--since", help="re-fetch periods from this date (default: incremental)")
    p.add_argument("--dry-run", action="store_true", help="fetch and report; write nothing")
    p.add_argument("--catch-up", action="store_true", help="also re-fetch detected gaps")


def _register_lake(sub: Any) -> None:
    """``lake info | check | compact | unregister | import-timescale``."""
    cmds = group(sub, "lake", "inspect and maintain the lake")
    text = "storage summary and a point-in-time snapshot"
    moment = "snapshot moment (default: last period stored)"
    command(cmds, "info", _cmd_info, text, "--path", "--as-of", as_of=moment)
    text = "integrity and data-quality check (exit 1 on integrity problems)"
    moment = "judge freshness at this moment (default: now)"
    q = command(cmds, "check", _cmd_check, text, "--path", "--as-of", as_of=moment)
    q.add_argument("--jump-sigmas", type=float, default=10.0, help="jump threshold")
    q.add_argument("--report", help="write the quality findings to this CSV")
    q.add_argument("--strict", action="store_true", help="exit 1 on quality findings too")
    command(cmds, "compact", _cmd_compact, "merge small files; answers do not change", "--path")
    text = "remove a registered series that has no rows"
    q = command(cmds, "unregister", _cmd_unregister, text, "--path")
    q.add_argument("series_id", help="the id given to lake.register")
    text = "import from TimescaleDB or COPY exports"
    q = command(cmds, "import-timescale", _cmd_import_timescale, text, "--path")
    q.add_argument("--url", help="SQLAlchemy URL (default: WORKBENCH_TIMESCALE_URL)")
    q.add_argument("--export", help="a COPY export file (.csv or .parquet)")
    q.add_argument("--mapping", help="YAML mapping for other table layouts")

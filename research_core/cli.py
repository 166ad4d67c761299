"""The ``workbench`` command: build the sample lake, inspect and maintain the lake."""

from __future__ import annotations

import argparse
import datetime as dt
import math
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from research_core import alerts_cli, curves_cli, serve, tone_cli, users_cli
from research_core.errors import ArtifactError, AsOfError, WorkbenchError
from research_core.pms import cli as pms_cli

if TYPE_CHECKING:  # the heavy imports wait for a command: `--help` stays fast
    import pandas as pd

    from research_core.lake import Lake


def get_settings() -> Any:
    from research_core.config import get_settings as settings

    return settings()


def _open_lake(path: str | Path | None, *, create: bool | Literal["on_write"] = False) -> Lake:
    from research_core.lake import Lake

    return Lake.open(path, create=create)


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
    if (info.table["source"] == "sample").any():
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
    _print_pit_summary(_open_lake(path), None)
    return 0


def _cmd_info(args: argparse.Namespace) -> int:
    _print_pit_summary(_open_lake(args.path), args.as_of)
    return 0


def _cmd_check(args: argparse.Namespace) -> int:
    from research_core._files import write_output_file
    from research_core.lake.maintenance import check_lake
    from research_core.lake.quality import quality_report

    if not 0 < args.jump_sigmas < float("inf"):  # also refuses nan
        raise WorkbenchError(f"--jump-sigmas must be a positive number, got {args.jump_sigmas}")
    target = _csv_target(args.report) if args.report is not None else None  # before the work
    lake = _open_lake(args.path)
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
    lake = _open_lake(args.path, create="on_write")  # created by its first write, if any
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

    print(compact_lake(_open_lake(args.path)).summary())
    return 0


def _cmd_unregister(args: argparse.Namespace) -> int:
    _open_lake(args.path).unregister(args.series_id)
    print(f"unregistered {args.series_id}")
    return 0


def _cmd_import_timescale(args: argparse.Namespace) -> int:
    from research_core.lake.timescale import ImportMapping, import_timescale

    secret = get_settings().timescale_url
    url = args.url or (secret.get_secret_value() if secret and not args.export else None)
    mapping = ImportMapping.from_yaml(args.mapping) if args.mapping else None
    lake = _open_lake(args.path, create="on_write")  # a refused import creates nothing
    result = import_timescale(lake, url=url, export=args.export, mapping=mapping)
    print(f"import-timescale: {result.summary()}")
    return 0


def _cmd_agents_run(args: argparse.Namespace) -> int:
    import pandas as pd

    from research_core.agents import run_agents
    from research_core.agents.history import (
        artifacts_dir,
        as_of_dates,
        run_history,
        write_reports,
    )

    lake = _open_lake(args.path)
    if args.as_of and (args.start or args.end):
        raise WorkbenchError("give either --as-of or --start/--end, not both")
    if args.as_of:
        from research_core.agents.store import stored_reports

        with stored_reports(lake):
            reports = list(run_agents(lake.at(args.as_of), args.agent).values())
        for r in reports:
            print(r.summary(), end="\n\n")
    elif args.start:
        end = args.end or str(pd.Timestamp.now(lake.tz).date())
        dates = as_of_dates(args.start, end, args.freq)
        reports = run_history(lake, dates, args.agent, progress=not args.quiet)
        span = f"{dates[0].date()} to {dates[-1].date()}"
        print(f"{len(reports)} reports for {len(dates)} dates ({span})")
    else:
        raise WorkbenchError("give --as-of DATE, or --start DATE [--end DATE] [--freq M|W|Q]")
    if not args.no_write:
        print(f"written to {write_reports(reports, artifacts_dir(lake), tz=lake.tz)}")
    return 0


def _parse_value(text: str) -> object:
    """A CLI parameter value: YAML scalar rules (3 → int, 0.5 → float, W → str)."""
    import yaml

    return yaml.safe_load(text)


def _cmd_backtest(args: argparse.Namespace) -> int:
    if args.book:
        from research_core.backtest.book import cli_book_backtest

        return cli_book_backtest(args)
    if args.list:
        from research_core.strategies import describe

        rows = describe()
        print(f"{'strategy':<13} {'family':<12} what it does ({len(rows)} registered)")
        for row in rows:
            print(f"{row['name']:<13} {row['family']:<12} {_first_clause(row['rationale'])}")
        return 0
    if not args.name or not args.start:
        raise WorkbenchError("give a strategy NAME and --start (or --list)")
    import pandas as pd

    from research_core._files import output_folder

    lake = _open_lake(args.path)
    out = output_folder(args.out, lake.root / "artifacts" / "backtests" / args.name)

    from research_core.backtest.causality import VERIFY_DATES
    from research_core.backtest.executor import Executor
    from research_core.backtest.ledger import TrialLedger
    from research_core.backtest.report import cdi_line, metrics_text, write_report
    from research_core.backtest.sweep import Task, run_many, sweep
    from research_core.backtest.vintage import VINTAGES
    from research_core.strategies import load_config

    end = args.end or str(pd.Timestamp.now(lake.tz).date())
    configured = load_config(args.config)
    params = dict(configured[args.name].params.model_dump()) if args.name in configured else {}
    for item in args.set or []:
        key, _, value = item.partition("=")
        params[key] = _parse_value(value)
    executor = Executor(cluster=args.cluster)
    ledger = TrialLedger.for_lake(lake)
    if args.sweep:
        key, _, values = args.sweep.partition("=")
        grid = {key: [_parse_value(v) for v in values.split(",")]}
        fixed = {k: v for k, v in params.items() if k != key}
        grid.update({k: [v] for k, v in fixed.items()})
        _, results = sweep(
            lake, args.name, grid, args.start, end, executor=executor, progress=not args.quiet
        )
    else:
        vintages = args.grid.split(",") if args.grid else ["as_of"]
        bad = [v for v in vintages if v not in VINTAGES]
        if bad:
            raise WorkbenchError(f"unknown vintage(s) {bad}; valid: {list(VINTAGES)}")
        p = tuple(sorted(params.items()))
        n = VERIFY_DATES if args.verify is None else args.verify
        verify = {v: n if v != "latest" else 0 for v in vintages}  # latest: not causal
        tasks = [
            Task(str(lake.root), args.name, p, args.start, end, v, verify=verify[v])  # type: ignore[arg-type]
            for v in vintages
        ]
        results = run_many(tasks, executor, ledger, progress=not args.quiet)
    for r in results:
        print(r.summary())
    dsr = ledger.deflated_sharpe(results[0], args.name)
    n = len(ledger.trials(args.name))
    print(f"deflated Sharpe (P[skill] over {n} recorded trials of {args.name}): {dsr:.2f}")
    print(cdi_line(results[0]))
    print(metrics_text(results))
    print(f"report written to {write_report(results, out)}/ (open figures/equity.html)")
    return 0


def _first_clause(rationale: str, width: int = 72) -> str:
    """A strategy's one-line description: its docstring after the name, cut at a word."""
    text = " ".join(rationale.split()).split(" — ", 1)[-1]
    if len(text) <= width:
        return text
    return text[: width - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _cmd_calendar(args: argparse.Namespace) -> int:
    from research_core.events import cmd_calendar

    return cmd_calendar(args)


def _cmd_book(args: argparse.Namespace) -> int:
    if not _is_plain_date(args.as_of):
        raise AsOfError(f"--as-of {args.as_of!r}: give a date as YYYY-MM-DD")
    from research_core._files import output_folder

    lake = _open_lake(args.path)
    out = output_folder(args.out, lake.root / "artifacts" / "book" / args.as_of)

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
    from research_core.formats import money
    from research_core.pms.db import safe_url
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


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (also used to document the CLI)."""
    parser = argparse.ArgumentParser(prog="workbench", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("sample-lake", help="build the deterministic sample lake")
    p.add_argument("--path", help="lake directory (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--start", help="first period (default 2005-01-01)")
    p.add_argument("--end", help="last period (default: config sample_end)")
    p.add_argument("--seed", type=int, help="generator seed")
    p.set_defaults(func=_cmd_sample_lake)

    lake = sub.add_parser("lake", help="inspect and maintain the lake").add_subparsers(
        dest="lake_command", required=True
    )
    for name, func, text in (
        ("info", _cmd_info, "storage summary and a point-in-time snapshot"),
        ("check", _cmd_check, "integrity and data-quality check (exit 1 on integrity problems)"),
        ("compact", _cmd_compact, "merge small files; answers do not change"),
        ("unregister", _cmd_unregister, "remove a registered series that has no rows"),
        ("import-timescale", _cmd_import_timescale, "import from TimescaleDB or COPY exports"),
    ):
        q = lake.add_parser(name, help=text)
        q.add_argument("--path", help="lake directory (default: WORKBENCH_LAKE_PATH)")
        q.set_defaults(func=func)
        if name == "info":
            q.add_argument("--as-of", help="snapshot moment (default: last period stored)")
        if name == "check":
            q.add_argument("--as-of", help="judge freshness at this moment (default: now)")
            q.add_argument("--jump-sigmas", type=float, default=10.0, help="jump threshold")
            q.add_argument("--report", help="write the quality findings to this CSV")
            q.add_argument("--strict", action="store_true", help="exit 1 on quality findings too")
        if name == "unregister":
            q.add_argument("series_id", help="the id given to lake.register")
        if name == "import-timescale":
            q.add_argument("--url", help="SQLAlchemy URL (default: WORKBENCH_TIMESCALE_URL)")
            q.add_argument("--export", help="a COPY export file (.csv or .parquet)")
            q.add_argument("--mapping", help="YAML mapping for other table layouts")

    p = sub.add_parser("ingest", help="fetch what is new from the public sources")
    p.add_argument("--path", help="lake directory (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--source", nargs="+", help="only these sources (e.g. bcb_sgs fred)")
    p.add_argument("--series", nargs="+", help="only these series ids")
    p.add_argument("--since", help="re-fetch periods from this date (default: incremental)")
    p.add_argument("--dry-run", action="store_true", help="fetch and report; write nothing")
    p.add_argument("--catch-up", action="store_true", help="also re-fetch detected gaps")
    p.add_argument(
        "--replay",
        nargs="+",
        metavar="DIR",
        help="answer from these folders of stored responses (a local replay server)",
    )
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_ingest)

    agents = sub.add_parser("agents", help="the analytical agents").add_subparsers(
        dest="agents_command", required=True
    )
    p = agents.add_parser("run", help="run agents at one date or over a range; store reports")
    p.add_argument("--path", help="lake directory (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--as-of", help="one as-of date (prints the reports)")
    p.add_argument("--start", help="first date of a history run")
    p.add_argument("--end", help="last date of a history run (default: today)")
    p.add_argument("--freq", default="M", choices=["M", "W", "Q"], help="history step")
    p.add_argument("--agent", nargs="+", help="only these agents (and what they depend on)")
    p.add_argument("--no-write", action="store_true", help="do not store the reports")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=_cmd_agents_run)
    p = sub.add_parser("backtest", help="backtest a strategy; write a report folder")
    p.add_argument("name", nargs="?", help="strategy name (see --list)")
    p.add_argument("--list", action="store_true", help="list the registered strategies")
    p.add_argument("--start", help="first day (YYYY-MM-DD)")
    p.add_argument("--end", help="last day (default: today)")
    p.add_argument("--grid", help="vintages, comma-separated: first_release,as_of,latest")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter")
    p.add_argument("--sweep", metavar="KEY=V1,V2,...", help="backtest each value of a parameter")
    p.add_argument("--config", help="strategies YAML (default: the shipped strategies.yaml)")
    p.add_argument("--cluster", help="Dask scheduler address, or 'local' for a LocalCluster")
    p.add_argument("--out", help="report folder (default: <lake>/artifacts/backtests/NAME)")
    p.add_argument("--path", help="lake path (default: WORKBENCH_LAKE_PATH)")
    p.add_argument(
        "--verify",
        type=int,
        metavar="N",
        help="check causality at N dates: the last + N-1 at random (default 3; book 2; 0: off)",
    )
    p.add_argument("--book", action="store_true", help="backtest the whole book (live path)")
    p.add_argument("--method", default="erc", help="book construction: erc|hrp|bl|kelly|mv")
    p.add_argument("--freq", default="M", help="book rebalance: W or M")
    p.add_argument("--workers", type=int, default=2, help="book: processes gathering signals")
    p.add_argument("--quiet", action="store_true", help="no progress bars")
    p.set_defaults(func=_cmd_backtest)
    p = sub.add_parser(
        "book",
        help="the target book at one date, decided against the PMS positions: weights, VaR/ES",
    )
    p.add_argument(
        "--as-of", required=True, help="date (YYYY-MM-DD), end of day in the lake's zone"
    )
    p.add_argument("--method", default="erc", choices=["erc", "hrp", "bl", "kelly", "mv"])
    p.add_argument(
        "--nav", type=float, help="NAV in BRL (default: the PMS NAV at the date, else 1e9)"
    )
    p.add_argument("--out", help="folder (default: <lake>/artifacts/book/<as-of>)")
    p.add_argument("--path", help="lake path (default: WORKBENCH_LAKE_PATH)")
    p.add_argument("--db", help="PMS database whose positions are held (default: WORKBENCH_DB_URL)")
    p.set_defaults(func=_cmd_book)
    pms_cli.register(sub)
    tone_cli.register(sub)
    curves_cli.register(sub)
    from research_core.health import cli as health

    p = sub.add_parser("health", help="GREEN/AMBER/RED health card per strategy and the book")
    health.add_arguments(p)
    p.set_defaults(func=health.run)

    p = sub.add_parser("serve", help="serve the dashboards (Voilà) on 127.0.0.1:8866")
    serve.add_arguments(p)
    p.set_defaults(func=serve.run)
    users_cli.register(sub)
    alerts_cli.register(sub)

    from research_core.pipeline.cli import register as register_pipeline

    register_pipeline(sub)
    p = sub.add_parser("calendar", help="scheduled Brazil/US releases and rate decisions")
    p.add_argument("--from", dest="from_day", required=True, help="first day (YYYY-MM-DD)")
    p.add_argument("--to", dest="to_day", required=True, help="last day (YYYY-MM-DD)")
    p.add_argument("--country", nargs="+", choices=["BR", "US"], help="default: BR and US")
    p.set_defaults(func=_cmd_calendar)
    from research_core.operations import register as register_operations

    register_operations(sub)
    return parser


# ---- the edge: dates checked before any work, every expected failure as one line --------
DATE_FLAGS = ("as_of", "start", "end", "since")


def check_dates(args: argparse.Namespace) -> None:
    """Parse every date flag given (``--as-of/--start/--end/--since``) with the lake's rules;
    a bad one, or ``--start`` after ``--end``, is a one-line error naming the flag."""
    from research_core.lake.asof import as_of_instant

    tz = get_settings().timezone
    seen: dict[str, pd.Timestamp] = {}
    for name in DATE_FLAGS:
        value = getattr(args, name, None)
        if value is None:
            continue
        try:
            seen[name] = as_of_instant(value, tz)
        except AsOfError as err:
            raise AsOfError(f"--{name.replace('_', '-')}: {err}") from err
    if "start" in seen and "end" in seen and seen["start"] > seen["end"]:
        raise AsOfError(f"--start {args.start} is after --end {args.end}")


NUMBER_FLAGS: dict[str, tuple[float, float, bool]] = {
    # flag (argparse dest): (lowest, highest, whole numbers only), both ends allowed
    "seed": (0, 2**32 - 1, True),  # numpy's seeds
    "workers": (1, 64, True),
    "verify": (0, 10_000, True),
    "nav": (1.0, 1e13, False),  # BRL
    "capital": (1.0, 1e13, False),  # BRL
    "min_trade": (0.0, 1.0, False),  # |Δweight| as a fraction of NAV
    "proposal": (1, 2**63 - 1, True),  # database ids are signed 64-bit
    "decision": (1, 2**63 - 1, True),
    "price": (-1e6, 1e9, False),  # a quote: a yield (may be negative), a spread or a price
    "port": (1, 65_535, True),
    "timeout": (1, 86_400, True),  # seconds
    "pool_size": (0, 64, True),
    "refill_delay": (0.0, 3_600.0, False),  # seconds
}


def check_numbers(args: argparse.Namespace) -> None:
    """Every numeric flag given must be finite and within its range (:data:`NUMBER_FLAGS`);
    otherwise a one-line error names the flag, before any work."""
    for name, (low, high, whole) in NUMBER_FLAGS.items():
        value = getattr(args, name, None)
        if value is None or isinstance(value, bool) or not isinstance(value, int | float):
            continue
        flag = name if name in ("proposal", "decision") else "--" + name.replace("_", "-")
        if not (math.isfinite(value) and low <= value <= high):
            span = f"from {low:,} to {high:,}" if whole else f"from {low:,g} to {high:,g}"
            raise WorkbenchError(f"{flag} {value}: must be a {'whole ' * whole}number {span}")


def one_line(err: BaseException) -> str:
    """``err`` as one line without secrets: an OSError names its path; newlines become '; '."""
    import pydantic

    from research_core._secrets import redact, register_settings_secrets

    if isinstance(err, OSError) and err.filename is not None:
        where = f"{err.filename} -> {err.filename2}" if err.filename2 else str(err.filename)
        text = f"{err.strerror or type(err).__name__}: {where}"
    elif _is_settings_error(err):  # a bad WORKBENCH_* variable
        assert isinstance(err, pydantic.ValidationError)
        first = err.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        text = f"{err.title} {where}: {first['msg']} (got {first['input']!r})"
        return redact(text)
    else:
        text = str(err) or type(err).__name__
    register_settings_secrets(get_settings())
    return redact("; ".join(part.strip() for part in text.splitlines() if part.strip()))


def _is_settings_error(err: BaseException) -> bool:
    """A pydantic validation error (a bad ``WORKBENCH_*`` variable), without importing
    pydantic when nothing could have raised one."""
    pydantic = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(err, pydantic.ValidationError)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point. A WorkbenchError, an OSError such as permission denied or a full disk,
    or a bad ``WORKBENCH_*`` setting prints ONE line ``workbench: error: ...`` on stderr
    and exits 2 (``WORKBENCH_DEBUG=1`` shows the traceback); anything else is a bug and
    shows its traceback.
    """
    args = build_parser().parse_args(argv)
    from research_core.startup import prepare_process

    prepare_process()  # after parsing: --help and usage errors stay light
    try:
        check_dates(args)
        check_numbers(args)
        return int(args.func(args))
    except Exception as err:
        if not isinstance(err, WorkbenchError | OSError) and not _is_settings_error(err):
            raise  # a bug: its traceback
        if os.environ.get("WORKBENCH_DEBUG"):
            raise
        print(f"workbench: error: {one_line(err)}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("workbench: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())

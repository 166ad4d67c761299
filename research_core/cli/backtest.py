"""``workbench backtest NAME | --list | --book``: backtest a strategy (or the whole book)
over a window, record it in the trial ledger, write its report folder."""

from __future__ import annotations

import argparse
import sys
from typing import Any, cast

from research_core.cli._shared import open_lake, shared
from research_core.errors import BacktestError, WorkbenchError


def _parse_value(text: str) -> object:
    """A CLI parameter value: YAML scalar rules (3 → int, 0.5 → float, W → str)."""
    import yaml

    return yaml.safe_load(text)


def _cmd_backtest(args: argparse.Namespace) -> int:
    if args.book:
        return _cmd_book_backtest(args)
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

    from research_core import workspace
    from research_core._files import output_folder

    lake = open_lake(args.path)
    out = output_folder(args.out, workspace.folder(lake.root, "backtests") / args.name)
    if not args.quiet:  # the imports below take a second or two: say so at once (a bad
        # --path or --out above is the one line the user sees)
        print(f"{args.name}: loading the strategy and the engine…", file=sys.stderr)

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
    from research_core.backtest.engine import say
    from research_core.viz.backtests import figures

    say(not args.quiet, f"{args.name}: writing the report and its figures")
    folder = write_report(results, out, figures(results))
    print(f"report written to {folder}/ (open figures/equity.html)")
    return 0


def _first_clause(rationale: str, width: int = 72) -> str:
    """A strategy's one-line description: its docstring after the name, cut at a word."""
    text = " ".join(rationale.split()).split(" — ", 1)[-1]
    if len(text) <= width:
        return text
    return text[: width - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _cmd_book_backtest(args: argparse.Namespace) -> int:
    """``workbench backtest --book``: the book over a window, recorded in the trial ledger,
    its report written to ``--out`` (default ``<workspace>/backtests/BOOK-<m>-<f>``)."""
    import pandas as pd

    from research_core import workspace
    from research_core._files import output_folder
    from research_core.backtest.book import run_book_backtest
    from research_core.backtest.ledger import TrialLedger
    from research_core.backtest.report import metrics_table
    from research_core.backtest.vintage import VINTAGES, Vintage
    from research_core.portfolio.construct import METHODS

    if args.name or args.sweep or args.set:
        raise BacktestError("--book backtests the whole book: no strategy NAME, --set or --sweep")
    if not args.start:
        raise BacktestError("give --start (and --end) for the book backtest")
    if args.method not in METHODS:
        raise BacktestError(f"--method {args.method!r}: valid {list(METHODS)}")
    if args.freq not in ("W", "M"):
        raise BacktestError(f"--freq {args.freq!r}: book rebalance frequency is W or M")
    vintages = args.grid.split(",") if args.grid else ["as_of"]
    bad = [v for v in vintages if v not in VINTAGES]
    if bad:
        raise BacktestError(f"unknown vintage(s) {bad}; valid: {list(VINTAGES)}")
    lake = open_lake(args.path)
    name = f"BOOK-{args.method}-{args.freq}"
    out = output_folder(args.out, workspace.folder(lake.root, "backtests") / name)  # before work
    end = args.end or str(pd.Timestamp.now(lake.tz).date())
    verify = 2 if args.verify is None else args.verify
    books = [
        run_book_backtest(
            lake,
            args.start,
            end,
            method=args.method,
            freq=args.freq,
            vintage=cast(Vintage, v),
            verify=verify if v != "latest" else 0,  # latest is not causal by design
            workers=args.workers,
            progress=not args.quiet,
        )
        for v in vintages
    ]
    ledger = TrialLedger.for_lake(lake)
    for b in books:
        ledger.record(b.result, lake)
        print(b.summary())
    main = books[0].result
    dsr = ledger.deflated_sharpe(main, main.strategy)
    n = len(ledger.trials(main.strategy))
    print(f"deflated Sharpe (P[skill] over {n} recorded trials of {main.strategy}): {dsr:.2f}")
    print(metrics_table([b.result for b in books]).round(4).to_string())
    from research_core.viz.backtests import figures

    folder = books[0].write(out, books[1:], figures([b.result for b in books]))
    print(f"report written to {folder}/ (engine/figures/equity.html)")
    return 0


def register(sub: Any) -> None:
    """Add ``backtest``."""
    p = sub.add_parser(
        "backtest",
        parents=shared("--path", "--quiet", quiet="no progress bars"),
        help="backtest a strategy; write a report folder",
    )
    p.add_argument("name", nargs="?", help="strategy name (see --list)")
    p.add_argument("--list", action="store_true", help="list the registered strategies")
    p.add_argument("--start", help="first day (YYYY-MM-DD)")
    p.add_argument("--end", help="last day (default: today)")
    p.add_argument("--grid", help="vintages, comma-separated: first_release,as_of,latest")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="override a parameter")
    p.add_argument("--sweep", metavar="KEY=V1,V2,...", help="backtest each value of a parameter")
    p.add_argument("--config", help="strategies YAML (default: the shipped strategies.yaml)")
    p.add_argument("--cluster", help="Dask scheduler address, or 'local' for a LocalCluster")
    p.add_argument("--out", help="report folder (default: <workspace>/backtests/NAME)")
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
    p.set_defaults(func=_cmd_backtest)

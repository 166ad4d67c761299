"""``workbench pipeline run|backfill``: the daily batch (papermill) into runs/<date>/."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from research_core.cli._shared import group, shared

if TYPE_CHECKING:
    from research_core.pipeline.spec import Pipeline


def with_replay(pipeline: str | Path, dirs: Sequence[str]) -> Pipeline:
    """``pipeline`` with its ``ingest`` step given ``replay``: the folders (absolute)."""
    from research_core.pipeline.spec import PipelineError, load_pipeline

    pipe = load_pipeline(pipeline)
    folders = [Path(d).resolve() for d in dirs]
    missing = [str(d) for d in folders if not d.is_dir()]
    if missing:
        raise PipelineError(f"--replay: no such folder {', '.join(missing)}")
    if "ingest" not in {s.name for s in pipe.steps}:
        raise PipelineError(f"--replay: pipeline {pipe.name!r} has no ingest step")
    replay = {"replay": [str(f) for f in folders]}
    steps = tuple(
        s.model_copy(update={"params": {**s.params, **replay}}) if s.name == "ingest" else s
        for s in pipe.steps
    )
    return pipe.model_copy(update={"steps": steps})


def _where(args: argparse.Namespace, pipeline: str | Path | Pipeline) -> dict[str, Any]:
    """The flags ``run`` and ``backfill`` share, as the keywords both functions take."""
    return {
        "pipeline": pipeline,
        "runs_path": args.runs,
        "lake_path": args.path,
        "db_url": args.db_url,
        "force": args.force,
        "progress": not args.quiet,
    }


def _cmd_run(args: argparse.Namespace) -> int:
    from research_core.pipeline.runner import run_pipeline

    pipeline = with_replay(args.pipeline, args.replay) if args.replay else args.pipeline
    options = {"steps": args.steps, "resume": args.resume}
    result = run_pipeline(args.as_of, **_where(args, pipeline), **options)
    print(result.summary())
    pack = result.path / "artifacts" / "morning_pack" / "morning_pack.html"
    if result.ok and pack.exists():
        print(f"Morning Pack: {pack}")
    return 0 if result.ok or (result.status == "incomplete" and args.steps) else 1


def _cmd_backfill(args: argparse.Namespace) -> int:
    from research_core.pipeline.date_range import backfill

    where = _where(args, args.pipeline)
    results = backfill(args.start, args.end, **where, cluster=args.cluster, workers=args.workers)
    for r in results:
        print(r.summary().splitlines()[0])
    failed = [r.as_of for r in results if not r.ok]
    if failed:
        print(f"{len(failed)} of {len(results)} dates failed: {failed}", file=sys.stderr)
    return 1 if failed else 0


def register(sub: Any) -> None:
    """Add ``pipeline run`` and ``pipeline backfill``."""
    cmds = group(sub, "pipeline", "the daily batch (papermill) into runs/<date>/")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--pipeline", default="pipelines/daily.yaml", help="pipeline YAML")
    common.add_argument("--force", action="store_true", help="re-run dates that succeeded")
    flags = ("--runs", "--path", "--db-url", "--quiet")
    replay = "the ingest step answers from these folders of stored responses"
    run_flags = (*flags, "--as-of", "--replay")
    parents = [common, *shared(*run_flags, required=["--as-of"], replay=replay)]
    p = cmds.add_parser("run", parents=parents, help="run the pipeline for one date")
    p.add_argument("--steps", nargs="+", help="only these steps (in pipeline order)")
    p.add_argument("--resume", action="store_true", help="continue from the failed step")
    p.set_defaults(func=_cmd_run)
    parents = [common, *shared(*flags)]
    p = cmds.add_parser("backfill", parents=parents, help="run the pipeline over a date range")
    p.add_argument("--start", required=True, help="first date (YYYY-MM-DD)")
    p.add_argument("--end", required=True, help="last date (YYYY-MM-DD)")
    p.add_argument("--cluster", help="Dask scheduler address, or 'local' (default: processes)")
    p.add_argument(
        "--workers", type=int, help="parallel dates (default: up to 4; PMS marks need 1)"
    )
    p.set_defaults(func=_cmd_backfill)

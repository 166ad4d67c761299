"""Public names of ``research_core.pipeline``: the one list, read by type checkers and by
``lazy_loader`` (each name imports its module on first use)."""

from .date_range import backfill as backfill
from .runner import RunResult as RunResult, run_pipeline as run_pipeline
from .spec import (
    Pipeline as Pipeline,
    PipelineError as PipelineError,
    RunLockedError as RunLockedError,
    Step as Step,
    load_pipeline as load_pipeline,
)

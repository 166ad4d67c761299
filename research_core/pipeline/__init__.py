"""The daily batch: papermill step notebooks run into ``runs/<D>/`` (see pipelines/README.md).

``run_pipeline(as_of)`` runs ``pipelines/daily.yaml`` for one date; ``backfill`` runs it over
a range of dates on local processes or a Dask cluster. Names load lazily so the kernel-side
``guard`` module imports nothing heavy.
"""

from __future__ import annotations

from research_core._lazy import lazy_exports

_EXPORTS = {
    "RunResult": "runner",
    "run_pipeline": "runner",
    "Pipeline": "spec",
    "PipelineError": "spec",
    "RunLockedError": "spec",
    "Step": "spec",
    "load_pipeline": "spec",
    "backfill": "date_range",
}

__getattr__ = lazy_exports(__name__, _EXPORTS)


__all__ = sorted(_EXPORTS)

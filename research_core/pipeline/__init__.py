"""The daily batch: papermill step notebooks run into ``runs/<D>/`` (see pipelines/README.md).

``run_pipeline(as_of)`` runs ``pipelines/daily.yaml`` for one date; ``backfill`` runs it over
a range of dates on local processes or a Dask cluster. Names load lazily so the kernel-side
``guard`` module imports nothing heavy.
"""

import lazy_loader

__getattr__, __dir__, __all__ = lazy_loader.attach_stub(__name__, __file__)

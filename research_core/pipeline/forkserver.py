"""The pipeline's fork server's entry point, named in its preload list and imported by
nothing else: prepares the process (``research_core.startup``), then loads papermill and
the worker once, so each step's worker forks with them loaded (about 1 s a step saved)."""

from research_core.startup import prepare_process

prepare_process()  # before nbformat loads

import nbformat  # noqa: E402,F401
import papermill  # noqa: E402,F401

import research_core.pipeline.worker  # noqa: E402,F401

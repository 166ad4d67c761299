"""Process set-up that the entry points call explicitly; importing ``research_core`` (or any
of its modules) changes no process-wide state (issue 28 item 3).

Entry points: the ``workbench`` command (:func:`research_core.cli.main`), the pipeline's
fork server and step kernels, ``workbench serve`` and the page kernels (their first cell).
"""

from __future__ import annotations

import sys

# The kernel's first statement (``--IPKernelApp.exec_lines``) for pipeline step kernels.
KERNEL_EXEC = "import research_core.startup as _s; _s.prepare_process(); del _s"


def skip_iri_parsers() -> None:
    """jsonschema's optional ``rfc3987_syntax`` builds Lark parsers for the "iri" formats
    at import (1.5-3 s, python-jsonschema #1428), paid by every process that imports
    nbformat (papermill, plotly.io, Voilà). Nothing here validates IRIs: skip it. Call it
    before nbformat is imported; idempotent."""
    sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


def prepare_process() -> None:
    """What an entry point does first: skip the IRI parsers, mask secrets in log records."""
    from research_core._secrets import install_log_redaction

    skip_iri_parsers()
    install_log_redaction()

"""research_core: the macro research workbench's logic (lake, models, agents, risk, ...)."""

import sys

from research_core.errors import WorkbenchError, WorkbenchWarning

# jsonschema's optional rfc3987_syntax builds Lark parsers for the "iri" formats at import
# (2-3 s, python-jsonschema #1428), paid by every process that imports nbformat: pipeline
# workers (papermill) and page kernels (plotly.io). Nothing here validates IRIs: skip it.
sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]

__version__ = "0.1.0"
__all__ = ["WorkbenchError", "WorkbenchWarning", "__version__"]

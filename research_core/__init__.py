"""research_core: the macro research workbench's logic (lake, models, agents, risk, ...)."""

from research_core.errors import WorkbenchError, WorkbenchWarning

# No process-wide state is changed on import: entry points call research_core.startup.

__version__ = "0.1.0"
__all__ = ["WorkbenchError", "WorkbenchWarning", "__version__"]

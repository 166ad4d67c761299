"""The point-in-time lake: ``Lake.open(path).at(as_of).series(id)``."""

from research_core.lake.pit import PITView
from research_core.lake.store import Lake, WriteResult

__all__ = ["Lake", "PITView", "WriteResult"]

"""Vintage views now live in :mod:`research_core.lake.vintage` (re-exported here)."""

from research_core.lake.vintage import VINTAGES, Vintage, VintageView, view_at

__all__ = ["VINTAGES", "Vintage", "VintageView", "view_at"]

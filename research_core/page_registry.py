"""The one list of dashboard pages: name, title, notebook, and whether it has widgets.

Every place that lists pages reads it: the server (its routes, the kernel pools, the URLs
it prints), the static pages (``serve_static``), the landing page's links and every page's
navigation (``theme.PAGES``), the dashboard tests and ``benchmarks/dashboards.py``.
Every page's first content is static HTML; a page with widgets (``widgets``) also has a
kernel page, opened with :data:`ACT` in its query, where its buttons and fields work.
"""

from __future__ import annotations

from dataclasses import dataclass

ACT = "act"
"""The query key that opens a widget page on a kernel (``position_book.ipynb?act=1``)."""


@dataclass(frozen=True)
class PageSpec:
    """One page: ``dashboards/<name>.ipynb``, its title, and whether acting needs a kernel."""

    name: str
    title: str
    widgets: bool = False

    @property
    def notebook(self) -> str:
        return f"{self.name}.ipynb"


REGISTRY: tuple[PageSpec, ...] = (
    PageSpec("index", "Home"),
    PageSpec("morning_pack", "Morning Pack"),
    PageSpec("position_book", "Position Book", widgets=True),
    PageSpec("trade_blotter", "Trade Blotter", widgets=True),
    PageSpec("risk_monitor", "Risk Monitor"),
    PageSpec("attribution", "Attribution"),
    PageSpec("decision_journal", "Decision Journal", widgets=True),
    PageSpec("agent_hub", "Agent Intelligence Hub"),
    PageSpec("strategy_health", "Strategy Health"),
    PageSpec("curves", "Curves"),
)
NAMES: tuple[str, ...] = tuple(p.name for p in REGISTRY)
WIDGET_PAGES: tuple[str, ...] = tuple(p.name for p in REGISTRY if p.widgets)


def titles() -> dict[str, str]:
    """Title of every page the landing page links to (all but the landing page itself)."""
    return {p.name: p.title for p in REGISTRY if p.name != "index"}

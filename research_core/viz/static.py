"""A page as one static HTML document, built without a kernel.

``workbench serve`` sends this for the pages that only show a run (nothing to click that
needs Python): the same reader and items as the page notebook (``pages.read_page`` and
``pages.items``), HTML strings as they are and plotly figures as plotly.js divs. A crowd
opening these pages at once then costs one render, not one kernel per visitor. Pages with
widgets (the blotter, the journal, the position book's mark-date picker) keep a kernel.
"""

from __future__ import annotations

from typing import Any

from research_core.errors import WorkbenchError


class StaticPageError(WorkbenchError):
    """A page shows something that needs a kernel (a widget): it cannot be static."""


def _item_html(name: str, item: Any) -> tuple[str, bool]:
    """One page item as HTML, and whether it is a plotly figure."""
    import plotly.graph_objects as go
    import plotly.io as pio

    if isinstance(item, str):
        return item, False
    if isinstance(item, go.Figure):
        html = pio.to_html(
            item,
            full_html=False,
            include_plotlyjs=False,
            default_height="450px",
            config={"displaylogo": False, "responsive": True},
        )
        return f'<div class="wb-figure">{html}</div>', True
    raise StaticPageError(f"page {name} shows a {type(item).__name__}, which needs a kernel")


def page_html(name: str, query: str = "", *, plotly_js: str) -> str:
    """Page ``name`` for the run in ``query`` (``date=``, ``version=``) as a document;
    ``plotly_js`` is where the page loads plotly.js from (when it has a figure)."""
    from research_core.viz import pages, theme

    parts, figures = [], False
    for item in pages.items(pages.read_page(name, query)):
        html, figure = _item_html(name, item)
        parts.append(html)
        figures = figures or figure
    script = f'<script src="{theme.esc(plotly_js)}"></script>' if figures else ""
    title = theme.esc(theme.PAGES.get(name, "Macro research workbench"))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="icon" href="data:,">{script}</head>'
        f'<body class="wb-static" data-page="{theme.esc(name)}">{"".join(parts)}</body></html>'
    )

"""A page as one static HTML document, built without a kernel.

``workbench serve`` sends this as every page's first content: the same reader and items
as the page notebook (``pages.read_page`` and ``pages.items``), HTML strings as they are,
plotly figures as plotly.js divs, and a widget as the HTML it shows (the tables and cards
the widget code drew: the book, the proposals with the package card, the journal) without
its controls. A crowd opening these pages at once then costs one render, not one kernel per
visitor. A page with widgets says what it read from the PMS and when, and links to its
kernel page (``?act=1``), where the buttons and fields work (and the visitor is signed in).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, urlencode

from research_core.errors import WorkbenchError
from research_core.page_registry import ACT, WIDGET_PAGES

MODULE = '<script type="module">'
"""A figure's inline script as a module: run after the document is parsed, in order with
the deferred plotly.js (HTML spec), so plotly.js never holds back the page's first paint."""
KERNEL_ONLY = frozenset({"wb-who"})
"""Classes of widgets left out of a static page: who is signed in is the kernel page's."""


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
        html = html.replace("<script>", MODULE, 1)  # runs after the deferred plotly.js
        return f'<div class="wb-figure">{html}</div>', True
    import ipywidgets as w

    if isinstance(item, w.Widget):
        return _widget_html(item), False
    raise StaticPageError(f"page {name} shows a {type(item).__name__}, which needs a kernel")


def _widget_html(widget: Any) -> str:
    """What a widget shows as HTML: its HTML widgets' values, in order, through its boxes;
    the controls (buttons, fields, pickers) are the kernel page's."""
    import ipywidgets as w

    if KERNEL_ONLY & set(widget._dom_classes):
        return ""
    if isinstance(widget, w.HTML):
        return str(widget.value)
    if isinstance(widget, w.Box):
        return "".join(_widget_html(child) for child in widget.children)
    return ""


def act_bar(page: Any, query: str) -> str:
    """A widget page's line under its header: what it shows (the held book as of its mark,
    or the PMS as read now) and the link to the kernel page where it can be acted on."""
    from research_core.viz import theme
    from research_core.viz.pages import LIVE

    marks = page.data.get("marks") or []
    read = f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC"
    what = LIVE.format(day=marks[0]) if marks else f"live from PMS as read at {read}"
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != ACT]
    href = f"{page.name}.ipynb?{urlencode([*pairs, (ACT, '1')])}"
    text = (f"{what}; a trade booked elsewhere shows at your next visit. To approve, execute, "
            "mark or search, open the page's session: ")  # fmt: skip
    link = f'<a class="wb-act" href="{theme.esc(href)}">Act on this page</a>'
    head = '<div class="wb wb-static-note" role="status" style="margin: 12px 16px">'
    return f"{head}{theme.esc(text)}{link}</div>"  # a line, not a message box (the run's)


def page_html(name: str, query: str = "", *, plotly_js: str) -> str:
    """Page ``name`` for the run in ``query`` (``date=``, ``version=``) as a document;
    ``plotly_js`` is where the page loads plotly.js from (when it has a figure)."""
    from research_core.viz import pages, theme

    parts, figures = [], False
    page = pages.read_page(name, query)
    for i, item in enumerate(pages.items(page)):
        html, figure = _item_html(name, item)
        parts.append(html)
        figures = figures or figure
        if i == 0 and name in WIDGET_PAGES:  # under the header
            parts.append(act_bar(page, query))
    defer = "" if any("<script>" in p for p in parts) else " defer"  # every figure deferred
    script = f'<script{defer} src="{theme.esc(plotly_js)}"></script>' if figures else ""
    title = theme.esc(theme.PAGES.get(name, "Macro research workbench"))
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{title}</title><link rel="icon" href="data:,">{script}</head>'
        f'<body class="wb-static" data-page="{theme.esc(name)}">{"".join(parts)}</body></html>'
    )

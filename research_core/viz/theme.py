"""The house design system: palette, typography, plotly template, widget styles, layout grid.

Every dashboard page and every notebook figure uses these, so the pages look like one
product; colours and fonts come from :mod:`research_core.palette`, which the static Morning
Pack's CSS and SVG charts use too. Fonts are the operating system's (no web font is fetched).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from research_core.formats import auto, label
from research_core.page_registry import titles
from research_core.palette import (  # noqa: F401  (the palette is part of the theme)
    BACKGROUND,
    FONT,
    INK,
    MONO,
    MUTED,
    NAVY,
    NEGATIVE,
    POSITIVE,
    RULE,
    SAMPLE,
    SERIES,
    SIZES,
    STATUS,
    SURFACE,
)

TEMPLATE = "workbench"


def template() -> go.layout.Template:
    """The house plotly template, registered under :data:`TEMPLATE` on first use."""
    if TEMPLATE not in pio.templates:
        tpl = go.layout.Template(pio.templates["plotly_white"])
        tpl.layout.update(
            font={"family": FONT, "size": SIZES["body"], "color": INK},
            title={"font": {"size": SIZES["section"], "color": INK}, "x": 0.0, "xanchor": "left"},
            colorway=list(SERIES),
            paper_bgcolor=SURFACE,
            plot_bgcolor=SURFACE,
            margin={"l": 56, "r": 16, "t": 48, "b": 40},
            legend={"orientation": "h", "y": -0.18, "font": {"size": SIZES["small"]}},
            xaxis={"gridcolor": RULE, "linecolor": RULE, "zerolinecolor": RULE},
            yaxis={"gridcolor": RULE, "linecolor": RULE, "zerolinecolor": MUTED},
            hoverlabel={"font": {"family": FONT}},
        )
        pio.templates[TEMPLATE] = tpl
    return pio.templates[TEMPLATE]


def use() -> None:
    """Make the house theme plotly's default in this process, for every figure (also those a
    notebook makes itself): called by the page kernels (:func:`viz.pages.preload`) and the
    notebooks, never at import (issue 28 item 3). Idempotent.

    A new figure takes the default by reference (``template=`` on each figure deep-copies
    it, about 0.05 s a figure). The mimetype renderer draws figures with the locally
    installed JupyterLab extension; the "notebook" renderers would inline or fetch plotly.js.
    """
    template()
    pio.templates.default = TEMPLATE
    pio.renderers.default = "plotly_mimetype"


# Widget styles and the layout grid (a 12-column grid that folds to one column when narrow).
CSS = f"""
body, .jp-Notebook {{ background: {BACKGROUND}; }}
.wb {{ font-family: {FONT}; color: {INK}; font-size: {SIZES["body"]}px; line-height: 1.45; }}
.wb h1 {{ font-size: {SIZES["title"]}px; margin: 0; font-weight: 600; }}
.wb h2 {{ font-size: {SIZES["section"]}px; margin: 18px 0 8px; font-weight: 600; }}
.wb a {{ color: {NAVY}; }}
.wb-header {{ display: flex; flex-wrap: wrap; align-items: center; gap: 12px;
  padding: 12px 16px; background: {SURFACE}; border-bottom: 3px solid {NAVY}; }}
.wb-header .wb-sub {{ color: {MUTED}; }}
.wb-nav {{ display: flex; flex-wrap: wrap; gap: 10px; padding: 6px 16px; font-size: 12px; }}
.wb-badge {{ display: inline-block; padding: 2px 8px; border-radius: 10px; font-size: 11px;
  font-weight: 600; color: #fff; background: {MUTED}; }}
.wb-badge.sample {{ background: {SAMPLE}; }}
.wb-badge.ok {{ background: {STATUS["ok"]}; }}
.wb-badge.warn {{ background: {STATUS["warn"]}; }}
.wb-badge.breach {{ background: {STATUS["breach"]}; }}
.wb-grid {{ display: grid; grid-template-columns: repeat(12, minmax(0, 1fr)); gap: 12px;
  padding: 12px 16px; }}
.wb-col-2 {{ grid-column: span 2; }} .wb-col-3 {{ grid-column: span 3; }}
.wb-col-4 {{ grid-column: span 4; }}
.wb-col-6 {{ grid-column: span 6; }} .wb-col-8 {{ grid-column: span 8; }}
.wb-col-12 {{ grid-column: span 12; }}
@media (max-width: 1000px) {{ .wb-grid > * {{ grid-column: span 12; }} }}
.wb-card {{ background: {SURFACE}; border: 1px solid {RULE}; border-radius: 6px;
  padding: 10px 14px; overflow-x: auto; }}
.wb-kpi .wb-label {{ color: {MUTED}; font-size: {SIZES["small"]}px; text-transform: uppercase;
  letter-spacing: .04em; }}
.wb-kpi .wb-value {{ font-size: 22px; font-weight: 600; font-variant-numeric: tabular-nums; }}
.wb-msg {{ margin: 12px 16px; padding: 10px 14px; border-radius: 6px; border-left: 4px solid;
  background: {SURFACE}; }}
.wb-msg.error {{ border-color: {STATUS["breach"]}; }}
.wb-msg.warn {{ border-color: {STATUS["warn"]}; }}
.wb-msg.info {{ border-color: {STATUS["info"]}; }}
.wb-table {{ border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }}
.wb-table th {{ text-align: left; color: {MUTED}; font-weight: 600; font-size: 11px;
  border-bottom: 1px solid {RULE}; padding: 4px 8px; }}
.wb-table td {{ border-bottom: 1px solid {RULE}; padding: 4px 8px; text-align: left; }}
.wb-table th {{ text-align: left; }}
.wb-table td.num {{ text-align: right; font-family: {MONO}; }}
.wb-table tr.breach td {{ color: {STATUS["breach"]}; }}
.wb-table tr.warn td {{ color: {STATUS["warn"]}; }}
.wb-datepick {{ display: inline-flex; gap: 6px; align-items: center; margin-left: auto; }}
.wb-datepick input, .wb-datepick select, .wb-datepick button {{ font-family: {FONT};
  font-size: 12px; padding: 2px 6px; }}
.widget-button.mod-primary {{ background: {NAVY}; }}
.widget-label {{ color: {MUTED}; }}
"""

PAGES: dict[str, str] = titles()  # the page registry (page_registry.py)


def esc(value: object) -> str:
    """HTML-escaped text."""
    return html.escape(str(value), quote=True)


def style() -> str:
    """The ``<style>`` element every page starts with."""
    return f"<style>{CSS}</style>"


def badge(text: str, kind: str = "") -> str:
    return f'<span class="wb-badge {esc(kind)}">{esc(text)}</span>'


def revision_note(page: str, date: str, version: int, versions: Sequence[int]) -> str:
    """A date re-run with ``--force``: a "revised" badge and links to its other versions
    (``?date=&version=``), so the earlier run stays one click away."""

    def link(n: int) -> str:
        return f'<a href="{esc(page)}.ipynb?date={esc(date)}&version={n}">version {n}</a>'

    if version < max(versions):
        text = f"this is version {version}, superseded by {link(max(versions))}"
        return f'<div class="wb wb-msg warn wb-revision">{badge("superseded", "warn")} {text}</div>'
    earlier = ", ".join(link(n) for n in versions if n < version)
    text = f"version {version} of the {esc(date)} run (re-run); earlier: {earlier}"
    return f'<div class="wb wb-msg info wb-revision">{badge("revised", "warn")} {text}</div>'


def sample_badge() -> str:
    """The marker every page showing generated sample data carries."""
    return badge("sample data", "sample")


def message(text: str, kind: str = "info", *, title: str = "") -> str:
    """A boxed message (``kind``: info, warn, error) with a stable class for tests."""
    head = f"<strong>{esc(title)}</strong> " if title else ""
    return f'<div class="wb wb-msg {esc(kind)}" role="status">{head}{esc(text)}</div>'


def kpi(label: str, value: str, *, span: int = 3, key: str = "") -> str:
    """A labelled headline number; ``key`` becomes ``data-kpi`` so tests can find it."""
    data = f' data-kpi="{esc(key)}"' if key else ""
    return (
        f'<div class="wb-card wb-kpi wb-col-{span}"{data}><div class="wb-label">{esc(label)}'
        f'</div><div class="wb-value">{esc(value)}</div></div>'
    )


def card(title: str, body: str, *, span: int = 12) -> str:
    head = f"<h2>{esc(title)}</h2>" if title else ""
    return f'<div class="wb-card wb-col-{span}">{head}{body}</div>'


def grid(items: Iterable[str]) -> str:
    return f'<div class="wb wb-grid">{"".join(items)}</div>'


def table(
    frame: pd.DataFrame,
    *,
    formats: Mapping[str, str | Callable[[Any], str]] | None = None,
    status_column: str | None = None,
    name: str = "",
    index: bool = True,
    max_rows: int = 60,
) -> str:
    """An HTML table in the house style; ``formats`` maps columns to format specs
    (e.g. ``{"weight": "{:+.2%}"}``); numbers are right-aligned in tabular figures."""
    formats = dict(formats or {})
    shown = frame.reset_index() if index else frame
    shown = shown.head(max_rows)
    cols: Sequence[str] = [str(c) for c in shown.columns]
    head = "".join(f"<th>{esc(c)}</th>" for c in cols)
    rows = []
    for _, row in shown.iterrows():
        cells = []
        for c, v in zip(cols, row.tolist(), strict=True):
            numeric = isinstance(v, int | float) and not isinstance(v, bool)
            text = _format(v, formats.get(c))
            cls = ' class="num"' if numeric else ""
            cells.append(f"<td{cls}>{esc(text)}</td>")
        status = str(row[status_column]) if status_column and status_column in row else ""
        rows.append(f'<tr class="{esc(status)}">{"".join(cells)}</tr>')
    more = len(frame) - len(shown)
    tail = f'<div class="wb-sub">… {more} more rows</div>' if more > 0 else ""
    data = f' data-table="{esc(name)}"' if name else ""
    return (
        f'<table class="wb-table"{data}><thead><tr>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>{tail}"
    )


def _format(value: object, spec: str | Callable[[Any], str] | None) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return "–"
    if callable(spec):
        return str(spec(value))
    if spec:
        return spec.format(value)
    if isinstance(value, float):
        return auto(value)
    return label(value) if isinstance(value, tuple) else str(value)


def header(
    title: str,
    *,
    as_of: str | None,
    sample: bool,
    status: str | None = None,
    runs: Sequence[str] = (),
    page: str = "",
) -> str:
    """Page header: title, the run's date, badges, a date picker (``?date=``) and the nav."""
    badges = [sample_badge()] if sample else []
    if status:
        kind = {"succeeded": "ok", "failed": "breach", "stale": "warn"}.get(status, "")
        badges.append(badge(status, kind))
    sub = f'<span class="wb-sub">run of {esc(as_of)}</span>' if as_of else ""
    options = "".join(
        f'<option value="{esc(d)}"{" selected" if d == as_of else ""}>{esc(d)}</option>'
        for d in reversed(runs)
    )
    picker = (
        '<form class="wb-datepick" method="get">'
        f'<input type="date" name="date" value="{esc(as_of or "")}" aria-label="run date">'
        "<button type=submit>Open</button>"
    )
    if options:
        picker += (
            '<select aria-label="past runs" '
            "onchange=\"window.location.search='date='+this.value\">"
            f"{options}</select>"
        )
    picker += "</form>"
    nav = " · ".join(
        f'<a href="{esc(k)}.ipynb{"?date=" + esc(as_of) if as_of else ""}">{esc(v)}</a>'
        if k != page
        else f"<strong>{esc(v)}</strong>"
        for k, v in {"index": "Home", **PAGES}.items()
    )
    return (
        f'{style()}<div class="wb"><div class="wb-header"><h1>{esc(title)}</h1>{sub}'
        f'{"".join(badges)}{picker}</div><nav class="wb-nav">{nav}</nav></div>'
    )


def figure(title: str, *, sample: bool = False, yaxis: str = "") -> go.Figure:
    """An empty figure in the house style ("sample data" in the title when it applies),
    also where :func:`use` was not called or another default was chosen after it."""
    ours = pio.templates.default == TEMPLATE
    fig = go.Figure(layout=None if ours else {"template": template()})
    text = f"{title} — sample data" if sample else title
    fig.update_layout(title=text, yaxis_title=yaxis, hovermode="x unified")
    return fig

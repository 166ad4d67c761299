"""One design system (issue 26 item 4): the pages' plot theme, the notebooks' figures and
the static pack's CSS and SVG charts draw with one palette and one font
(``research_core.palette``); pack tables and sections carry the theme's table and card
classes. The browser check of every page is ``test_pages.test_every_page_at_1440_...``."""

from __future__ import annotations

import re

import pandas as pd

from research_core import palette
from research_core.narrative import answers, charts
from research_core.narrative.pack import CSS as PACK_CSS
from research_core.viz import figure, theme

HEX = re.compile(r"#[0-9a-fA-F]{6}\b|#[0-9a-fA-F]{3}\b")


def _colours(text: str) -> set[str]:
    return {c.lower() for c in HEX.findall(text)}


def test_one_plot_theme_for_pages_and_notebooks() -> None:
    fig = figure("x")  # research_core.viz.figure: the notebooks' and backtest reports' figures
    assert fig.layout.template.layout.colorway == palette.SERIES
    assert fig.layout.template.layout.font.family == palette.FONT
    page_fig = theme.figure("y")
    assert page_fig.layout.template == fig.layout.template


def test_pack_css_and_svg_use_the_palette_only() -> None:
    assert _colours(PACK_CSS) <= palette.colours(), _colours(PACK_CSS) - palette.colours()
    assert palette.FONT in PACK_CSS
    svg = charts.sparkline([1.0, 2.0, 1.5]) + charts.bars(
        pd.Series({"rates": 0.4, "fx": -0.2}), title="P&L", unit="% of NAV"
    )
    assert _colours(svg) <= palette.colours(), _colours(svg) - palette.colours()
    heat = charts.heatmap(pd.DataFrame({"z": [2.0, -2.0]}, index=["a", "b"]), title="z")
    # cells blend white into the palette's positive and negative colours; full scale = theirs
    assert {palette.POSITIVE, palette.NEGATIVE} <= _colours(heat)


def test_pack_tables_and_sections_carry_the_theme_classes() -> None:
    table = answers.table(pd.DataFrame({"a": [1.0]}), name="t")
    assert table.startswith(f'<table data-table="t" class="{palette.TABLE}">')
    section = answers.section("today", "What matters today", "")
    assert section.startswith(f'<section data-section="today" id="today" class="{palette.CARD}">')
    assert f".{palette.CARD} " in theme.CSS and f".{palette.TABLE} " in theme.CSS

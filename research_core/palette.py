"""The house palette and typography: the one source of colours and fonts for the pages
(``viz.theme``: plotly template, CSS) and the static Morning Pack (its CSS and inline SVG
charts), so both read as one product. Constants only: narrative and viz both import it.
"""

from __future__ import annotations

# One ink, one accent per meaning; status colours are used only for status.
INK = "#1b2433"
MUTED = "#5b6678"
RULE = "#d9dee7"
SURFACE = "#ffffff"
BACKGROUND = "#f4f6f9"
NAVY = "#1f3b73"
SERIES = ("#1f3b73", "#c8553d", "#2a9d8f", "#8a8a8a", "#e9c46a", "#6a4c93", "#3d8bc8")
STATUS = {"ok": "#2a7d4f", "warn": "#b7791f", "breach": "#b42318", "info": "#1f3b73"}
POSITIVE, NEGATIVE = "#2a7d4f", "#b42318"
SAMPLE = "#8a5a00"  # the "sample data" marker

# System font stacks (offline by construction), tabular figures for numbers.
FONT = '-apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, "Noto Sans", sans-serif'
MONO = 'ui-monospace, "SFMono-Regular", Menlo, Consolas, "Liberation Mono", monospace'
SIZES = {"title": 22, "section": 15, "body": 13, "small": 11}

# The one card and the one table: pages and the pack carry these classes.
CARD, TABLE = "wb-card", "wb-table"


def colours() -> frozenset[str]:
    """Every colour of the palette (lower case), for checks that nothing else is drawn."""
    named = {INK, MUTED, RULE, SURFACE, BACKGROUND, NAVY, POSITIVE, NEGATIVE, SAMPLE}
    return frozenset(c.lower() for c in (*named, *SERIES, *STATUS.values()))

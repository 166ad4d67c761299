"""The Decision Journal's table: one line per decision, its reason's first sentence with the
full text on demand (a details element), times in the fund's zone, P&L in BRL mn; narrow
enough for a 1,440 px screen (reasons wrap inside a fixed-width column)."""

from __future__ import annotations

import re

import pandas as pd

from research_core.formats import DASH, money, when
from research_core.viz.theme import esc

REASON_WIDTH = 360  # px: the reason column; the other columns are short
CSS = (
    f".wb-journal {{ table-layout: fixed; max-width: 1400px; }}"
    f".wb-journal td.reason {{ width: {REASON_WIDTH}px; }}"
    ".wb-journal details summary { cursor: pointer; }"
    ".wb-journal td { overflow-wrap: anywhere; }"
)
COLUMNS = ("#", "time", "actor", "action", "as of", "instrument", "strategy", "reason",
           "P&L since", "outcome")  # fmt: skip


def first_sentence(text: str, limit: int = 80) -> str:
    """The first sentence of ``text``, cut at ``limit`` characters with an ellipsis."""
    head = re.split(r"(?<=[.!?;])\s+|\n", text.strip(), maxsplit=1)[0]
    return head if len(head) <= limit else head[: limit - 1].rstrip() + "…"


def reason_cell(text: object) -> str:
    """The one-line reason; the full text behind a details element when there is more."""
    full = "" if text is None or (isinstance(text, float) and pd.isna(text)) else str(text)
    line = first_sentence(full)
    if not full.strip():
        return DASH
    if line == full.strip():
        return esc(line)
    return f"<details><summary>{esc(line)}</summary>{esc(full)}</details>"


def _cell(value: object) -> str:
    return DASH if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)


def journal_table(frame: pd.DataFrame) -> str:
    """The journal (``pms.journal()``) as one HTML table in the house style."""
    rows = []
    for idx, r in frame.iterrows():
        cells = [
            f'<td class="num">{esc(idx)}</td>',
            f"<td>{esc(when(r['at']))}</td>",
            *(f"<td>{esc(_cell(r.get(c)))}</td>" for c in ("actor", "action", "as_of")),
            *(f"<td>{esc(_cell(r.get(c)))}</td>" for c in ("instrument", "strategy")),
            f'<td class="reason">{reason_cell(r.get("reason"))}</td>',
            f'<td class="num">{esc(money(r.get("pnl_since")))}</td>',
            f"<td>{esc(_cell(r.get('outcome')))}</td>",
        ]
        rows.append(f"<tr>{''.join(cells)}</tr>")
    head = "".join(
        f'<th class="reason">{esc(c)}</th>' if c == "reason" else f"<th>{esc(c)}</th>"
        for c in COLUMNS
    )
    return (
        f"<style>{CSS}</style>"
        f'<table class="wb-table wb-journal" data-table="journal"><thead><tr>{head}</tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )

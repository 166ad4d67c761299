"""Charts of the static Morning Pack as inline SVG: no script, no request to any host.

The pack is one self-contained HTML file (read offline, stored in the PMS as the day's
briefing), so its charts are drawn here as SVG elements with the house palette; the pages
draw the same data with plotly (:mod:`research_core.viz`); both take colours and fonts from
:mod:`research_core.palette`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import pandas as pd

from research_core.palette import BACKGROUND, FONT, INK, MUTED, NAVY, RULE
from research_core.palette import NEGATIVE as NEG
from research_core.palette import POSITIVE as POS

_FONT = f'font-family="{html.escape(FONT, quote=True)}" fill="{INK}"'


def _esc(x: object) -> str:
    return html.escape(str(x), quote=True)


def sparkline(
    values: Sequence[float], *, width: int = 120, height: int = 26, title: str = ""
) -> str:
    """A line of ``values`` (oldest first) scaled into a small box, the last point marked."""
    ys = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if len(ys) < 2:
        return ""
    lo, hi = min(ys), max(ys)
    span = (hi - lo) or 1.0
    step = (width - 4) / (len(ys) - 1)
    pts = [(2 + i * step, height - 2 - (y - lo) / span * (height - 4)) for i, y in enumerate(ys)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    color = POS if ys[-1] >= ys[0] else NEG
    x, y = pts[-1]
    return (
        f'<svg class="spark" width="{width}" height="{height}" role="img" '
        f'aria-label="{_esc(title)}"><title>{_esc(title)}</title>'
        f'<polyline fill="none" stroke="{NAVY}" stroke-width="1.2" points="{path}"/>'
        f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2" fill="{color}"/></svg>'
    )


def _blend(value: float, scale: float) -> str:
    """White to green (positive) or red (negative) by |value| / scale."""
    t = min(abs(value) / scale, 1.0) if scale > 0 else 0.0
    base = (0x2A, 0x7D, 0x4F) if value >= 0 else (0xB4, 0x23, 0x18)
    rgb = (round(255 + (c - 255) * t) for c in base)
    return "#" + "".join(f"{c:02x}" for c in rgb)


def heatmap(frame: pd.DataFrame, *, title: str, cell: int = 64) -> str:
    """Rows × columns of z-scores as coloured cells (green long, red short), value inside."""
    if frame.empty:
        return ""
    left, top = 12 + 6 * max(len(str(i)) for i in frame.index), 86  # ~6 px a character
    width, height = left + cell * len(frame.columns) + 60, top + 22 * len(frame) + 4
    scale = max(2.0, float(frame.abs().max().max()))
    parts = [
        f'<svg class="chart heatmap" width="{width}" height="{height}" role="img" {_FONT} '
        f'aria-label="{_esc(title)}"><title>{_esc(title)}</title>'
    ]
    for j, col in enumerate(frame.columns):
        x = left + j * cell + cell / 2
        parts.append(
            f'<text x="{x:.0f}" y="{top - 6}" font-size="10" fill="{MUTED}" '
            f'transform="rotate(-35 {x:.0f} {top - 6})">{_esc(col)}</text>'
        )
    for i, (name, row) in enumerate(frame.iterrows()):
        y = top + 22 * i
        parts.append(f'<text x="0" y="{y + 15}" font-size="11">{_esc(name)}</text>')
        for j, v in enumerate(row.tolist()):
            x = left + j * cell
            if pd.isna(v):
                parts.append(
                    f'<rect x="{x}" y="{y}" width="{cell - 2}" height="20" fill="{BACKGROUND}"/>'
                )
                continue
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="20" '
                f'fill="{_blend(float(v), scale)}"><title>{_esc(name)} · {_esc(frame.columns[j])}'
                f": z {float(v):+.2f}</title></rect>"
                f'<text x="{x + cell / 2 - 1:.0f}" y="{y + 14}" font-size="10" '
                f'text-anchor="middle">{float(v):+.1f}</text>'
            )
    parts.append("</svg>")
    return "".join(parts)


def bars(values: pd.Series, *, title: str, unit: str, width: int = 560) -> str:
    """Horizontal bars of ``values`` (label → number in ``unit``) around a zero line."""
    values = values.dropna()
    if values.empty:
        return ""
    left, row = 180, 20
    height = row * len(values) + 24
    scale = float(values.abs().max()) or 1.0
    half = (width - left - 70) / 2
    zero = left + half
    parts = [
        f'<svg class="chart bars" width="{width}" height="{height}" role="img" {_FONT} '
        f'aria-label="{_esc(title)}"><title>{_esc(title)}</title>'
        f'<line x1="{zero:.0f}" y1="0" x2="{zero:.0f}" y2="{height - 20}" stroke="{RULE}"/>'
    ]
    for i, (name, v) in enumerate(values.items()):
        y = i * row + 2
        length = abs(float(v)) / scale * half
        x = zero if v >= 0 else zero - length
        color = POS if v >= 0 else NEG
        parts.append(
            f'<text x="0" y="{y + 13}" font-size="11">{_esc(name)}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{max(length, 1):.1f}" height="{row - 6}" '
            f'fill="{color}"/><text x="{zero + half + 6:.0f}" y="{y + 13}" font-size="11">'
            f"{float(v):+,.2f} {_esc(unit)}</text>"
        )
    parts.append(
        f'<text x="{left}" y="{height - 4}" font-size="10" fill="{MUTED}">{_esc(title)}</text>'
    )
    parts.append("</svg>")
    return "".join(parts)

"""The Morning Pack's Curves section: the DI curve today vs 1 week and 1 month ago (inline
SVG) and the Copom path the DI curve prices against Focus, from the curves step.

Every number of the path is a fact of the sheet (:func:`curve_facts`): the table shows the
facts as the sheet displays them, and the section's sentences, written with placeholders,
pass the same number check as the narrative (a failure is our bug and raises).
"""

from __future__ import annotations

import html
from typing import Any

import numpy as np
import pandas as pd

from research_core.narrative.checker import check_narrative
from research_core.narrative.facts import Fact, FactSheet, render
from research_core.narrative.llm import NarrativeError
from research_core.runs import RunFolder, RunFolderError

SOURCE = "curves/copom_path"
# fact suffix: column, unit, decimals, kind, label, cues (en, pt-BR)
PATH_FACTS = (
    ("change", "change_bp", "bp", 1, "change", "change priced at the meeting",
     ("change", "variação")),
    ("cumulative", "cumulative_bp", "bp", 1, "change", "cumulative change priced",
     ("cumulative", "acumulado")),
    ("selic", "implied_policy_pct", "%", 2, "level", "implied Selic", ("implied", "implícita")),
    ("focus", "survey_pct", "%", 2, "level", "Focus Selic (year end)", ("Focus",)),
    ("gap", "market_vs_survey_bp", "bp", 1, "change", "market − Focus",
     ("market − Focus", "mercado − Focus")),
)  # fmt: skip
SENTENCE = {
    "en": "{name}: change priced {{{{{p}.change}}}}, cumulative {{{{{p}.cumulative}}}}, "
    "implied rate {{{{{p}.selic}}}}",
    "pt-BR": "{name}: variação precificada {{{{{p}.change}}}}, acumulado "
    "{{{{{p}.cumulative}}}}, taxa implícita {{{{{p}.selic}}}}",
}
FOCUS = {"en": ", Focus {{{{{p}.focus}}}}, market − Focus {{{{{p}.gap}}}}",
         "pt-BR": ", Focus {{{{{p}.focus}}}}, mercado − Focus {{{{{p}.gap}}}}"}  # fmt: skip


def read_curves(run: RunFolder) -> dict[str, Any] | None:
    """The curves step's path, lines and summary, or None when the run has none."""
    try:
        return {
            "path": run.artifact(f"{SOURCE}.parquet"),
            "lines": run.artifact("curves/lines.parquet"),
            "summary": run.artifact("curves/summary.json"),
        }
    except RunFolderError:
        return None


def _names(day: pd.Timestamp) -> tuple[str, str]:
    return f"Copom of {day:%Y-%m-%d}", f"Copom de {day:%d/%m/%Y}"


def curve_facts(run: RunFolder, as_of: str) -> list[Fact]:
    """One fact per number of the Copom path table, per meeting (``copom1.change``...):
    entity "Copom of <date>"; none when the run has no curves step."""
    curves = read_curves(run)
    if curves is None:
        return []
    facts = []
    rows = curves["path"].dropna(subset=["meeting"]).reset_index(drop=True)
    for i, row in rows.iterrows():
        entity, alias = _names(pd.Timestamp(row["meeting"]))
        for key, col, unit, dec, kind, label, cues in PATH_FACTS:
            if pd.notna(row[col]):
                facts.append(Fact(f"copom{i + 1}.{key}", entity, float(row[col]), unit, dec,
                                  SOURCE, as_of, kind, label, (alias,), cues))  # fmt: skip
    return facts


def _meetings(sheet: FactSheet) -> list[tuple[str, Fact]]:
    """(fact prefix, its change fact) of each meeting in the sheet, in order."""
    out, i = [], 1
    while f"copom{i}.change" in sheet:
        out.append((f"copom{i}", sheet[f"copom{i}.change"]))
        i += 1
    return out


def section_text(sheet: FactSheet) -> str:
    """One sentence per meeting, numbers from the sheet (rendered in its locale)."""
    loc = sheet.locale
    parts = []
    for p, fact in _meetings(sheet):
        name = fact.entity if loc == "en" else fact.aliases[0]
        text = SENTENCE[loc].format(name=name, p=p)
        if f"{p}.focus" in sheet:
            text += FOCUS[loc].format(p=p)
        parts.append(text + ".")
    return render(" ".join(parts), sheet)[0]


def path_table(sheet: FactSheet) -> pd.DataFrame:
    """The path by meeting as the sheet displays it (units on every number)."""
    rows = []
    for p, fact in _meetings(sheet):
        shown = {key: sheet[f"{p}.{key}"].display(sheet.locale) if f"{p}.{key}" in sheet
                 else "–" for key, *_ in PATH_FACTS}  # fmt: skip
        named = {label: shown[key] for key, _, _, _, _, label, _ in PATH_FACTS}
        rows.append({"Copom meeting": fact.entity.removeprefix("Copom of "), **named})
    return pd.DataFrame(rows)


def curves_html(sheet: FactSheet, curves: dict[str, Any] | None) -> str:
    """The curves part of the pack's Markets section: the DI chart, the checked sentences
    and the path table."""
    title = "<h3>Curves: DI today vs 1 week and 1 month ago; Copom path vs Focus</h3>"
    if curves is None:
        note = '<p class="note">not in this run (no curves step)</p>'
        return f'<div class="curves">{title}{note}</div>'
    text = section_text(sheet)
    check = check_narrative(text, sheet)
    if not check.ok:  # the sentences are ours: a failure is a bug, not bad luck
        raise NarrativeError(f"the Curves section fails its number check: {check.summary()}")
    s = curves["summary"]
    table = path_table(sheet)
    head = "".join(f"<th>{html.escape(c)}</th>" for c in table.columns)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r) + "</tr>"
                   for r in table.itertuples(index=False))  # fmt: skip
    note = (f"{s['path_label']} at {s['day']} (the curves step); Focus: the year-end Selic "
            "median known then, shown at the year's last meeting; the numbers above are facts "
            "of the sheet, checked like the summary.")  # fmt: skip
    return (
        f'<div class="curves">{title}{di_chart(curves["lines"])}'
        f'<p class="narr">{html.escape(text)}</p>'
        f'<table class="wb-table"><tr>{head}</tr>{body}</table>'
        f'<p class="note">{html.escape(note)}</p></div>'
    )


COLORS = {"today": "#1f3b73", "1 week ago": "#c8553d", "1 month ago": "#2a9d8f"}
DASHES = {"today": "", "1 week ago": "6 4", "1 month ago": "2 3"}


def di_chart(lines: pd.DataFrame, width: int = 720, height: int = 260) -> str:
    """The DI zero curve today, 1 week and 1 month ago as inline SVG (no script)."""
    di = lines[lines["curve"] == "DI"]
    left, right, top, bottom = 64, 200, 14, 34
    x0, x1 = float(di["years"].min()), float(di["years"].max())
    lo, hi = float(di["zero_pct"].min()), float(di["zero_pct"].max())
    step = next(s for s in (0.05, 0.1, 0.2, 0.25, 0.5, 1.0, 2.0, 5.0) if (hi - lo) / s <= 5)
    y0, y1 = np.floor(lo / step) * step, np.ceil(hi / step) * step
    y1 = y1 if y1 > y0 else y0 + step
    w, h = width - left - right, height - top - bottom

    def xy(x: float, y: float) -> str:
        return f"{left + (x - x0) / (x1 - x0) * w:.1f},{top + (y1 - y) / (y1 - y0) * h:.1f}"

    out = [f'<svg role="img" aria-label="DI zero curve" width="{width}" height="{height}" '
           f'viewBox="0 0 {width} {height}" font-size="11" font-family="sans-serif">']  # fmt: skip
    for k in range(round((y1 - y0) / step) + 1):
        y = y0 + k * step
        py = top + (y1 - y) / (y1 - y0) * h
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{py:.1f}" y2="{py:.1f}" '
                   f'stroke="#e1e4e8"/><text x="{left - 6}" y="{py + 4:.1f}" '
                   f'text-anchor="end">{y:.2f} %</text>')  # fmt: skip
    for t in (0.25, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0):
        if x0 - 1e-9 <= t <= x1 + 1e-9:
            px = left + (t - x0) / (x1 - x0) * w
            out.append(f'<text x="{px:.1f}" y="{top + h + 14}" text-anchor="middle">{t:g}y</text>')
    out.append(f'<text x="{left + w / 2:.0f}" y="{height - 2}" text-anchor="middle">'
               "maturity (years); zero rate in % a.a.</text>")  # fmt: skip
    for j, (when, part) in enumerate(di.groupby("when", sort=False)):
        pts = " ".join(xy(x, y) for x, y in zip(part["years"], part["zero_pct"], strict=True))
        color, dash = COLORS.get(str(when), "#8a8a8a"), DASHES.get(str(when), "")
        out.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" '
                   f'stroke-dasharray="{dash}" points="{pts}"/>')  # fmt: skip
        day = pd.Timestamp(part["day"].iloc[0]).date()
        ly = top + 14 + 18 * j
        lx = left + w + 10
        out.append(f'<line x1="{lx}" x2="{lx + 20}" y1="{ly - 4}" y2="{ly - 4}" stroke="{color}" '
                   f'stroke-width="2" stroke-dasharray="{dash}"/><text x="{lx + 24}" y="{ly}">'
                   f"{html.escape(str(when))} ({day})</text>")  # fmt: skip
    return "".join(out) + "</svg>"

"""The Curves page: DI, NTN-B and UST curves today vs 1 week and 1 month ago, the Copom
path the DI curve prices against Focus, breakevens and the largest moves by tenor.

Reads only the curves step's artifacts (``curves/*``), which hold the numbers of
``workbench curves --as-of D``; registered in :mod:`research_core.viz.pages`.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from research_core.viz import theme
from research_core.viz.runs import Item, Page, Problem, Run

TABLES = ("lines", "di", "copom_path", "breakevens", "moves")
NAMES = {"DI": "DI × pré (nominal BRL)", "NTNB": "NTN-B Principal (real BRL)",
         "UST": "Treasury (nominal USD)"}  # fmt: skip
SHORT = {"DI": "DI", "NTNB": "NTN-B", "UST": "Treasury"}  # the moves table's curve column
DASH = {"today": "solid", "1 week ago": "dash", "1 month ago": "dot"}


def read_curves(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    """The curves step's tables and summary; a message when the run has none."""
    data: dict[str, Any] = {name: run.table(f"curves/{name}") for name in TABLES}
    data["summary"] = run.record("curves/summary") or {}
    missing = [n for n in TABLES if data[n] is None]
    if missing:
        text = f"the {run.date} run has no curves ({', '.join(missing)}; step curves)"
        return data, [Problem("warn", "Not in this run", text)]
    return data, []


def _bp(x: float) -> str:
    """A signed bp figure to one decimal, as ``workbench curves`` prints it (never "-0.0")."""
    return "–" if pd.isna(x) else f"{round(float(x), 1) + 0.0:+.1f}"


def _meeting(value: Any) -> str:
    return "before the next meeting" if pd.isna(value) else str(pd.Timestamp(value).date())


def _tidy(frame: pd.DataFrame, formats: dict[str, str]) -> pd.DataFrame:
    """Numbers rounded to what their format shows, so a tiny negative reads "+0.0" (as
    ``workbench curves`` prints it), never "-0.0"."""
    out = frame.copy()
    for col, spec in formats.items():
        digits = spec.split(".")[-1][0] if "." in spec else ""
        if col in out and digits.isdigit() and pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].round(int(digits)) + 0.0
    return out


def path_table(path: pd.DataFrame) -> pd.DataFrame:
    """The Copom path by meeting, in words and units (% a.a., bp)."""
    table = pd.DataFrame(
        {
            "Copom meeting": [_meeting(m) for m in path["meeting"]],
            "CDI from": [str(pd.Timestamp(d).date()) for d in path["effective"]],
            "business days": path["business_days"].astype(int).astype(str),
            "implied CDI (% a.a.)": path["implied_rate_pct"],
            "implied Selic (% a.a.)": path["implied_policy_pct"],
            "change at the meeting (bp)": path["change_bp"],
            "cumulative (bp)": path["cumulative_bp"],
            "Focus Selic (% a.a.)": path["survey_pct"],
            "market − Focus (bp)": path["market_vs_survey_bp"],
        }
    )
    return _tidy(table, PATH_FORMATS)


PATH_FORMATS = {
    "implied CDI (% a.a.)": "{:.2f}",
    "implied Selic (% a.a.)": "{:.2f}",
    "change at the meeting (bp)": "{:+.1f}",
    "cumulative (bp)": "{:+.1f}",
    "Focus Selic (% a.a.)": "{:.2f}",
    "market − Focus (bp)": "{:+.1f}",
}
MOVES = {"curve": "curve", "tenor": "tenor", "zero_pct": "zero today (% a.a.)",
         "zero_1w_pct": "1 week ago (% a.a.)", "zero_1m_pct": "1 month ago (% a.a.)",
         "move_1w_bp": "1-week move (bp)", "move_1m_bp": "1-month move (bp)"}  # fmt: skip
BREAKEVENS = {"country": "country", "tenor_years": "tenor (years)",
              "nominal_pct": "nominal zero (% a.a.)", "real_pct": "real zero (% a.a.)",
              "breakeven_pct": "breakeven inflation (% a.a.)",
              "simple_bp": "nominal − real (bp)"}  # fmt: skip
DI = {"tenor": "tenor", "years": "years", "zero_pct": "zero (% a.a.)",
      "fwd_1y_pct": "1-year forward ending there (% a.a.)", "par_pct": "par (% a.a.)",
      "discount": "discount factor", "nss_zero_pct": "NSS fit zero (% a.a.)"}  # fmt: skip


def _formats(columns: dict[str, str]) -> dict[str, str]:
    out = {}
    for shown in columns.values():
        if shown.endswith("(bp)"):
            out[shown] = "{:+.1f}" if "move" in shown else "{:.1f}"
        elif shown.endswith("(% a.a.)"):
            out[shown] = "{:.2f}"
    return out | {"years": "{:.2f}", "tenor (years)": "{:.0f}", "discount factor": "{:.4f}"}


def _shown(frame: pd.DataFrame, columns: dict[str, str], name: str) -> str:
    formats = _formats(columns)
    shown = _tidy(frame[list(columns)].rename(columns=columns), formats)
    return theme.table(shown, formats=formats, index=False, name=name)


def curve_figure(lines: pd.DataFrame, name: str, sample: bool) -> Item:
    """One curve's zero rates today, 1 week and 1 month ago against maturity."""
    fig = theme.figure(f"{NAMES.get(name, name)}: zero curve today, 1 week and 1 month ago",
                       sample=sample, yaxis="zero rate (% a.a.)")  # fmt: skip
    for when, part in lines[lines["curve"] == name].groupby("when", sort=False):
        day = pd.Timestamp(part["day"].iloc[0]).date()
        fig.add_scatter(x=part["years"], y=part["zero_pct"], name=f"{when} ({day})",
                        mode="lines", line={"dash": DASH.get(str(when), "solid")},
                        hovertemplate="%{x:.2f} years: %{y:.2f} % a.a.")  # fmt: skip
    fig.update_layout(height=340, xaxis_title="maturity (years)", hovermode="closest",
                      yaxis_tickformat=".2f")  # fmt: skip
    return fig


def path_figure(path: pd.DataFrame, sample: bool) -> Item:
    """The Selic the DI curve implies after each meeting (labelled with the change priced
    there, bp) and the Focus year-end Selic at the year's last meeting."""
    rows = _tidy(path.dropna(subset=["meeting"]), {"change_bp": "{:+.1f}"})
    x = [_meeting(m) for m in rows["meeting"]]
    fig = theme.figure("Copom path implied by the DI curve vs Focus", sample=sample,
                       yaxis="Selic (% a.a.)")  # fmt: skip
    fig.add_scatter(x=x, y=rows["implied_policy_pct"], name="implied Selic (% a.a.)",
                    mode="lines+markers+text", textposition="top center",
                    text=[f"{c:+.1f} bp" for c in rows["change_bp"]])  # fmt: skip
    fig.add_scatter(x=x, y=rows["survey_pct"], name="Focus Selic, year end (% a.a.)",
                    mode="markers", marker={"size": 11, "symbol": "diamond"})  # fmt: skip
    levels = pd.concat([rows["implied_policy_pct"], rows["survey_pct"]]).dropna()
    pad = max(0.1, 0.15 * float(levels.max() - levels.min())) if len(levels) else 0.1
    fig.update_layout(height=340, xaxis_title="Copom meeting (label: change priced there)",
                      hovermode="x unified", xaxis_type="category", yaxis_tickformat=".2f",
                      yaxis_range=[levels.min() - pad, levels.max() + pad] if len(levels)
                      else None)  # fmt: skip
    return fig


def render_curves(page: Page) -> list[Item]:
    d, sample = page.data, page.run.sample
    s = d["summary"]
    tiles = [
        theme.kpi("Selic target (% a.a.)", f"{s['policy_rate_pct']:.2f}", key="selic"),
        theme.kpi("CDI − Selic (bp)", _bp(s["spread_bp"]), key="spread"),
    ]
    nxt = d["copom_path"].dropna(subset=["meeting"])
    if not nxt.empty:
        first, last = nxt.iloc[0], nxt.iloc[-1]
        tiles.append(theme.kpi(f"Priced at the Copom of {_meeting(first['meeting'])} (bp)",
                               _bp(first["change_bp"]), key="next_change"))  # fmt: skip
        tiles.append(theme.kpi(f"Priced by {_meeting(last['meeting'])}, cumulative (bp)",
                               _bp(last["cumulative_bp"]), key="cumulative"))  # fmt: skip
    path_body = theme.table(path_table(d["copom_path"]), formats=PATH_FORMATS, index=False,
                            name="copom")  # fmt: skip
    note = (f"{s.get('path_label', '')} at {s.get('day', '')}; Focus: the year-end Selic "
            "median known then, at the year's last meeting")  # fmt: skip
    path_body += f'<p class="wb-sub">{theme.esc(note)}</p>'
    fit = f'<p class="wb-sub">{theme.esc(s.get("di_fit", ""))}</p>'
    di_title = f"DI curve by tenor ({s.get('di_basis', '')}, {s.get('di_compounding', '')})"
    out: list[Item] = [
        theme.grid(tiles),
        theme.grid([theme.card("Copom path implied by the DI curve vs Focus", path_body)]),
        path_figure(d["copom_path"], sample),
    ]
    out += [curve_figure(d["lines"], name, sample) for name in NAMES]
    cards = [
        theme.card("Largest moves by tenor (zero rates; 1 week = 5, 1 month = 21 sessions)",
                   _shown(d["moves"].replace({"curve": SHORT}), MOVES, "moves"), span=6),
        theme.card("Breakevens (nominal vs real zero)",
                   _shown(d["breakevens"], BREAKEVENS, "breakevens"), span=6),
        theme.card(di_title, _shown(d["di"], DI, "di") + fit),
    ]  # fmt: skip
    out.append(theme.grid(cards))
    return out

"""HTML of the Morning Pack's answer-first sections (issue 26): (a) what matters today,
(c) markets, (d) the week ahead, (e) what changed, (f) the agents' views, (h) attribution,
and the collapsed appendix. Every number goes through :mod:`research_core.formats`.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping
from typing import Any

import pandas as pd

from research_core import formats
from research_core.narrative import charts
from research_core.palette import CARD, TABLE

Format = str | Callable[[Any], str]
# section ids in the order the pack shows them (the browser test checks this order)
ORDER = ("today", "alerts", "markets", "week", "changed", "agents", "book", "attribution")


def esc(x: object) -> str:
    return html.escape(str(x))


def cell(v: object, fmt: Format | None) -> tuple[str, str]:
    """(text, css class) of one table cell."""
    if callable(fmt):
        text = fmt(v)
    elif isinstance(v, float):
        text = formats.DASH if pd.isna(v) else format(v, fmt) if fmt else formats.auto(v)
    elif isinstance(v, tuple):
        text = formats.label(v)
    else:
        text = formats.DASH if v is None else str(v)
    numeric = isinstance(v, int | float) and not isinstance(v, bool)
    neg = numeric and float(v) < 0  # type: ignore[arg-type]  # NaN < 0 is False
    return text, ("n neg" if neg else "n") if numeric else ""


def table(
    frame: pd.DataFrame | None,
    *,
    fmt: Mapping[str, Format] | None = None,
    n: int = 20,
    name: str = "",
    index: bool = True,
) -> str:
    """An HTML table: ``fmt`` maps a column to a format spec or a formatter; other floats
    via :func:`formats.auto`, tuple labels in words; ``–`` for missing values."""
    if frame is None or frame.empty:
        return '<p class="note">nothing to show</p>'
    frame = frame.head(n)
    fmt = fmt or {}
    cols = [formats.label(c) for c in frame.columns]
    head = "".join(f"<th>{esc(c)}</th>" for c in ([formats.label(frame.index.name or "")] if
                                                   index else []) + cols)  # fmt: skip
    rows = []
    for idx, row in frame.iterrows():
        cells = [f"<td>{esc(formats.label(idx))}</td>"] if index else []
        for c in frame.columns:
            v = row[c]
            if c == "status":
                cells.append(f'<td class="{esc(v)}">{esc(v)}</td>')
                continue
            text, cls = cell(v, fmt.get(str(c)))
            if str(c) in RAW_HTML:
                cells.append(f"<td>{v}</td>")
            else:
                cells.append(
                    f'<td class="{cls}">{esc(text)}</td>' if cls else f"<td>{esc(text)}</td>"
                )
        rows.append("<tr>" + "".join(cells) + "</tr>")
    data = f' data-table="{esc(name)}"' if name else ""
    return f'<table{data} class="{TABLE}"><tr>{head}</tr>{"".join(rows)}</table>'


RAW_HTML = ("trend (3 months)",)  # columns whose cells are our own SVG


def section(key: str, title: str, body: str) -> str:
    return (
        f'<section data-section="{esc(key)}" id="{esc(key)}" class="{CARD}">'
        f"<h2>{esc(title)}</h2>{body}</section>"
    )


# ---- (a) -----------------------------------------------------------------------------
def today_section(lines: list[Any]) -> str:
    items = "".join(
        f"<li>{esc(line.text)} "
        f'<span class="note">source: {esc(", ".join(line.sources))}</span></li>'
        for line in lines
    )
    body = (
        f'<ul class="matters">{items}</ul>' if items else '<p class="note">nothing stands out</p>'
    )
    return section("today", "What matters today", body + '<p class="note">every number checked '
                   "against the fact sheet (appendix)</p>")  # fmt: skip


# ---- (c) -----------------------------------------------------------------------------
def _level(v: float, unit: str) -> str:
    if unit == "%":
        return formats.points(v)
    if unit == "bp":
        return formats.number(v, 0) + " bp"
    return formats.number(v, 4 if abs(v) < 10 else 2)


def _chg(v: Any, unit: str) -> str:
    if v is None or pd.isna(v):
        return formats.DASH
    if unit == "bp":
        return formats.bp(v)
    if unit == "%":
        return formats.points(v, signed=True)
    return formats.number(v, 2, signed=True) + (" pp" if unit == "pp" else " pts")


def markets_section(keys: pd.DataFrame, curves: str = "") -> str:
    """Key series (last, 1d, 1w, 1m, YTD with units, a 3-month sparkline); ``curves`` is the
    slot for the curve charts (the curves issue)."""
    if keys.empty:
        return section("markets", "Markets", '<p class="note">no market series in the lake</p>')
    rows = []
    for r in keys.to_dict("records"):
        cu = r["change_unit"]
        rows.append(
            {
                "series": r["series"],
                "last": _level(r["last"], r["level_unit"]),
                "as of": r["date"],
                **{h: _chg(r[h], cu) for h in ("1d", "1w", "1m", "YTD")},
                "trend (3 months)": charts.sparkline(r["spark"], title=f"{r['series']}, 3 months"),
            }
        )
    frame = pd.DataFrame(rows).set_index("series")
    note = (
        '<p class="note">changes: % for prices, bp for rates and CDS, points for the VIX, '
        "percentage points (pp) for Selic and inflation</p>"
    )
    return section("markets", "Markets", table(frame, n=40, name="markets") + note + curves)


# ---- (d) -----------------------------------------------------------------------------
def _value(v: Any, units: str) -> str:
    if v is None or pd.isna(v):
        return formats.DASH
    text = formats.number(v, 0 if abs(v) >= 1000 else 2)
    return f"{text} {units}".strip()


def _values(values: pd.Series, units: pd.Series) -> list[str]:
    return [_value(v, u) for v, u in zip(values, units, strict=True)]


def _releases(names: pd.Series, ids: pd.Series) -> list[str]:
    return [f"{n} ({s})" for n, s in zip(names, ids, strict=True)]


def week_section(
    week: pd.DataFrame, decisions: dict[str, pd.Timestamp], yesterday: pd.DataFrame
) -> str:
    """(d) Every scheduled release and decision of the next seven days with previous and
    expected values (and the basis), the next Copom and FOMC dates wherever they fall, and
    yesterday's releases against their expectations with the surprise z."""
    nxt = "; ".join(f"{bank} {formats.when(t, str(t.tz))}" for bank, t in decisions.items())
    body = (
        f'<p class="next-decisions"><strong>Next decisions:</strong> '
        f"{esc(nxt or 'none scheduled')}</p>"
    )
    if week.empty:
        body += '<p class="note">no scheduled releases in the next seven days</p>'
    else:
        shown = pd.DataFrame(
            {
                "time": week["time"],
                "release": _releases(week["name"], week["series"]),
                "period": week["period"],
                "previous": _values(week["previous"], week["units"]),
                "expected": _values(week["expected"], week["units"]),
                "basis of expectation": week["basis"],
            }
        )
        body += table(shown, n=80, name="week-ahead", index=False)
    body += "<h3>Yesterday's releases against expectations</h3>"
    if yesterday.empty:
        body += '<p class="note">no scheduled releases yesterday</p>'
    else:
        units = yesterday["units"]
        shown = pd.DataFrame(
            {
                "time": yesterday["time"],
                "release": _releases(yesterday["name"], yesterday["series_id"]),
                "actual": _values(yesterday["actual"], units),
                "expected": _values(yesterday["expected"], units),
                "basis": [b or "none" for b in yesterday["basis"]],
                "surprise z": [formats.z(v) for v in yesterday["z"]],
            }
        )
        body += table(shown, n=40, name="yesterday", index=False)
    note = (
        '<p class="note">times in the publisher\'s zone; expected: the Focus median where one '
        "exists, else a model forecast (AR(1) on the prints released before), not a market "
        "consensus</p>"
    )
    return section("week", "The week ahead", body + note)


# ---- (e) -----------------------------------------------------------------------------
def changed_section(previous: str | None, changes: pd.DataFrame) -> str:
    if previous is None:
        first = '<p class="note">first pack: no previous run to compare with</p>'
        return section("changed", "What changed since the previous pack", first)
    body = f'<p class="note">against the pack of {esc(previous)}</p>'
    body += (
        table(changes, n=60, name="changed", index=False)
        if not changes.empty
        else ('<p class="note">no signal flips, breaches, proposals or P&amp;L changes</p>')
    )
    return section("changed", "What changed since the previous pack", body)


# ---- (f) -----------------------------------------------------------------------------
def agents_section(views: pd.DataFrame) -> str:
    if views.empty:
        return section("agents", "The agents' views", '<p class="note">no agent signals</p>')
    grid = views.assign(row=views["agent"] + " · " + views["model"]).pivot_table(
        index="row", columns="target", values="strength", aggfunc="first"
    )
    heat = charts.heatmap(
        grid, title="Agent signals: z-score by model and target (green long, red short)"
    )
    fmt: dict[str, Format] = {
        "strength": lambda v: formats.z(v),
        "confidence": lambda v: formats.pct(v, 0),
    }
    body = table(views, fmt=fmt, n=60, name="agents", index=False)
    return section("agents", "The agents' views", heat + body)  # fmt: skip


# ---- (h) -----------------------------------------------------------------------------
def attribution_section(pnl: dict[str, Any] | None, attr: pd.DataFrame | None) -> str:
    """P&L and its attribution by strategy, day / MTD / YTD, all in % of NAV (the day's
    BRL P&L over the previous NAV), as bar charts."""
    title = "Attribution (day, MTD, YTD, % of NAV)"
    if pnl is None:
        return section("attribution", title, '<p class="note">not in this run (no PMS steps)</p>')
    prev_nav = pnl["nav_brl"] - pnl["pnl_day_brl"]
    head = (
        f"<p>NAV {esc(formats.money(pnl['nav_brl']))}; P&amp;L yesterday "
        f"{esc(formats.money(pnl['pnl_day_brl'], signed=True))}, MTD "
        f"{esc(formats.pct(pnl['mtd'], signed=True))}, "
        f"YTD {esc(formats.pct(pnl['ytd'], signed=True))}</p>"
    )
    if attr is None or attr.empty:
        return section("attribution", title, head + '<p class="note">no marked positions yet: '
                       "nothing to attribute</p>")  # fmt: skip
    by = attr[attr["by"] == "strategy"]
    charts_html = []
    for period, name in (("day", "yesterday"), ("mtd", "MTD"), ("ytd", "YTD")):
        vals = by[by["period"] == period].set_index("group")["value"].astype(float)
        if period == "day":
            vals = vals / prev_nav if prev_nav else vals * float("nan")
        charts_html.append(charts.bars(vals * 100, title=f"by strategy, {name}", unit="% of NAV"))
    return section("attribution", title, head + "".join(charts_html))

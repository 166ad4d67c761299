"""The Morning Pack: fact sheet, checked narrative, and one self-contained HTML page.

The page inlines its styles and makes no request to any outside host. Tables are rendered
by code from the run's artifacts; the narrative is the model's (when an API key is set and
its every number checks out) or the template's, and any rejection is recorded.
"""

from __future__ import annotations

import html
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from research_core.config import Settings, get_settings
from research_core.lake import Lake
from research_core.narrative.checker import CheckResult, check_narrative
from research_core.narrative.facts import FactError, FactSheet, render
from research_core.narrative.llm import NarrativeError, api_key, llm_narrative
from research_core.narrative.sheet import build_fact_sheet, fact_table
from research_core.narrative.template import narrative_template
from research_core.narrative.tone import tone_shift
from research_core.runs import RunFolder, RunFolderError, write_atomic


@dataclass(frozen=True)
class Narrative:
    """The text, where it came from, its check, and any rejected attempt with the reason."""

    text: str
    source: str  # "anthropic" or "template"
    check: CheckResult
    rejected: tuple[dict[str, Any], ...] = ()


def write_narrative(
    sheet: FactSheet,
    *,
    use_llm: bool | None = None,
    cache_dir: Path | None = None,
    settings: Settings | None = None,
) -> Narrative:
    """The model's narrative if configured and every number checks, else the template."""
    rejected: list[dict[str, Any]] = []
    if use_llm if use_llm is not None else api_key(settings) is not None:
        try:
            got = llm_narrative(sheet, cache_dir=cache_dir, settings=settings)
            text, _ = render(got.template, sheet)
            check = check_narrative(text, sheet)
            if check.ok:
                return Narrative(text, "anthropic", check)
            rejected.append(
                {
                    "source": "anthropic",
                    "reason": "number check failed",
                    "problems": [p.__dict__ for p in check.problems],
                    "text": text,
                }
            )
        except (NarrativeError, FactError) as err:
            rejected.append({"source": "anthropic", "reason": str(err)})
    text, _ = render(narrative_template(sheet), sheet)
    check = check_narrative(text, sheet)
    if not check.ok:  # the template is ours: this is a bug, not bad luck
        raise NarrativeError(f"the template narrative fails its own check: {check.summary()}")
    return Narrative(text, "template", check, tuple(rejected))


@dataclass(frozen=True)
class MorningPack:
    """Everything the 7 a.m. page shows for one date."""

    as_of: str
    sheet: FactSheet
    narrative: Narrative
    sections: dict[str, Any] = field(repr=False)
    stale: bool = False

    @property
    def facts(self) -> FactSheet:
        return self.sheet

    def record(self) -> dict[str, Any]:
        """``facts.json``: the sheet, the narrative with its check, rejections, the gate."""
        return {
            **self.sheet.to_dict(),
            "stale": self.stale,
            "narrative": {
                "text": self.narrative.text,
                "source": self.narrative.source,
                "numbers_checked": self.narrative.check.numbers,
                "rejected": list(self.narrative.rejected),
            },
            "missing_sections": self.sections.get("missing", []),
        }

    def html(self) -> str:
        return render_html(self)

    def write(self, folder: str | Path) -> Path:
        """``morning_pack.html`` and ``facts.json`` in ``folder``."""
        folder = Path(folder)
        write_atomic(folder / "facts.json", json.dumps(self.record(), indent=1, default=str))
        write_atomic(folder / "morning_pack.html", self.html())
        return folder


def _frame(run: RunFolder, name: str) -> pd.DataFrame | None:
    try:
        out = run.artifact(name)
    except RunFolderError:
        return None
    return out if isinstance(out, pd.DataFrame) else None


def build_morning_pack(
    run_dir: str | Path,
    *,
    lake_path: str | Path,
    locale: str | None = None,
    use_llm: bool | None = None,
) -> MorningPack:
    """The pack for the run in ``run_dir`` (its as-of date from the manifest)."""
    run = RunFolder(Path(run_dir))
    as_of = run.as_of
    lake = Lake.open(lake_path)
    sheet = build_fact_sheet(
        as_of, lake=lake, run=run, locale=locale or get_settings().narrative_locale
    )
    cache = Path(run_dir).resolve().parent / ".narrative_cache"
    narrative = write_narrative(sheet, use_llm=use_llm, cache_dir=cache)
    sections: dict[str, Any] = {"missing": []}
    try:
        sections["agents"] = run.artifact("agents/reports.json")
    except RunFolderError:
        sections["missing"].append("agents")
    for key, name in (
        ("weights", "book/weights.parquet"),
        ("compare", "risk/compare.parquet"),
        *((f"{b}_{t}", f"risk/{b}/{t}.parquet") for b in BOOKS for t in TABLES),
        ("findings", "quality/findings.parquet"),
    ):
        sections[key] = _frame(run, name)
        if sections[key] is None and not key.startswith("held_"):  # an empty PMS has none
            sections["missing"].append(key)
    for key, name in (
        ("held", "pms/held.parquet"),
        ("proposals", "book/proposals.parquet"),
        ("attribution", "attribution/attribution.parquet"),
    ):
        sections[key] = _frame(run, name)
        if sections[key] is None:
            sections["missing"].append(key)
    for key, name in (("pnl", "attribution/pnl.json"), ("anchor", "audit/anchor.json")):
        try:
            sections[key] = run.artifact(name)
        except RunFolderError:
            sections[key] = None
            sections["missing"].append(key)
    sections["tone"] = tone_shift(lake, as_of)
    sections["today"] = _todays_releases(lake, as_of)
    sample = any(f.get("source") == "sample" for f in lake.manifest()["files"])
    sections["sample"] = sample or "sample" in str(lake.root)
    gate = None
    try:
        gate = run.artifact("quality/freshness.json")
    except RunFolderError:
        sections["missing"].append("freshness")
    sections["gate"] = gate
    stale = bool(gate and gate.get("stale"))
    return MorningPack(as_of, sheet, narrative, sections, stale)


BOOKS = ("held", "target")  # risk/held/..., risk/target/... (pipelines/README.md)
TABLES = ("var", "components", "limits", "stress")
LABEL = {"held": "Held book (PMS, as marked)", "target": "Target book (optimizer)"}
NONE_HELD = "no positions held; target shown"
MEASURES = {  # risk/compare.parquet's rows as a reader names them
    "positions": "positions",
    "gross": "gross notional",
    "net": "net notional",
    "var99": "VaR 99% 1d (historical)",
    "es99": "ES 99% 1d (historical)",
    "var99_brl": "VaR 99% 1d in BRL",
    "worst_stress": "worst stress",
    "breaches": "limits in breach",
    "warnings": "limits near their line",
    "drawdown": "drawdown (PMS NAV)",
}


def measure_text(value: float, unit: str) -> str:
    """One number of the held/target comparison with its unit (``risk/compare.parquet``)."""
    if pd.isna(value):
        return "–"
    if unit == "count":
        return f"{value:+,.0f}" if value < 0 else f"{value:,.0f}"
    if unit == "BRL":
        return f"BRL {value:,.0f}"
    if unit == "× NAV":
        return f"{value:.2f} × NAV"
    suffix = " of NAV" if unit == "fraction of NAV" else " from the high-water mark"
    return f"{value:.2%}{suffix}"


def compare_table(compare: pd.DataFrame) -> pd.DataFrame:
    """The held/target comparison as text with units: measure, held, target, difference."""
    rows = []
    for measure, r in compare.iterrows():
        name = MEASURES.get(str(measure), str(measure))
        texts = [
            measure_text(float(r[c]), str(r["unit"])) for c in ("held", "target", "difference")
        ]
        rows.append([name, *texts])
    return pd.DataFrame(rows, columns=["measure", "held book", "target book", "target − held"])


# ---- HTML ------------------------------------------------------------------------------
CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#1b2430;
background:#f6f7f9}header{background:#0b2545;color:#fff;padding:16px 28px}
header h1{margin:0;font-size:22px}header .sub{opacity:.8;font-size:13px}
.banner{padding:8px 28px;font-weight:600}.stale{background:#b00020;color:#fff}
.sample{background:#fff3cd;color:#5c4400}main{padding:8px 28px;max-width:1200px}
section{background:#fff;border:1px solid #e1e4e8;border-radius:6px;margin:14px 0;
padding:12px 16px}h2{font-size:16px;margin:4px 0 10px;color:#0b2545}
table{border-collapse:collapse;font-size:13px;width:100%}th,td{padding:3px 8px;
border-bottom:1px solid #eef0f2;text-align:left}td.n{text-align:right;
font-variant-numeric:tabular-nums}.neg{color:#b00020}.pos{color:#1b7f3b}
.note{color:#59636e;font-size:12px}.narr{font-size:15px;line-height:1.5}
.breach{color:#b00020;font-weight:600}.warn{color:#a05a00;font-weight:600}
h3{font-size:14px;margin:10px 0 2px}ul{margin:2px 0}
"""


def _esc(x: object) -> str:
    return html.escape(str(x))


def _table(frame: pd.DataFrame | None, *, fmt: dict[str, str] | None = None, n: int = 20) -> str:
    if frame is None or frame.empty:
        return '<p class="note">nothing to show</p>'
    frame = frame.head(n)
    fmt = fmt or {}
    head = "".join(f"<th>{_esc(c)}</th>" for c in [frame.index.name or "", *frame.columns])
    rows = []
    for idx, row in frame.iterrows():
        cells = [f"<td>{_esc(idx)}</td>"]
        for c in frame.columns:
            v = row[c]
            if isinstance(v, float):
                text = format(v, fmt.get(str(c), ",.4g")) if pd.notna(v) else "—"
                cls = "n neg" if v < 0 else "n"
                cells.append(f'<td class="{cls}">{_esc(text)}</td>')
            elif c == "status":
                cells.append(f'<td class="{_esc(v)}">{_esc(v)}</td>')
            else:
                cells.append(f"<td>{_esc(v)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _section(title: str, body: str) -> str:
    return f"<section><h2>{_esc(title)}</h2>{body}</section>"


def render_html(pack: MorningPack) -> str:
    """One static page: inline CSS, no scripts, no links to other hosts."""
    s = pack.sections
    banners, parts = [], []
    if pack.stale:
        late = ", ".join((s.get("gate") or {}).get("stale_series", []))
        banners.append(f'<div class="banner stale">STALE DATA: key series late ({_esc(late)}); '
                     "this pack may show yesterday's world</div>")  # fmt: skip
    if s.get("sample"):
        banners.append('<div class="banner sample">Sample data: generated, not real history</div>')
    nar = pack.narrative
    rejected = (
        f'<p class="note">A model narrative was rejected ({_esc(nar.rejected[0]["reason"])}); '
        "the template is shown.</p>"
        if nar.rejected
        else ""
    )
    parts.append(
        _section(
            "Summary",
            f'<p class="narr">{_esc(nar.text)}</p><p class="note">narrative: {nar.source}; '
            f"{nar.check.numbers} numbers checked against the fact sheet</p>{rejected}",
        )
    )
    market = pd.DataFrame(fact_table(pack.sheet)).set_index("id")
    parts.append(_section("Market snapshot and fact sheet", _table(market, n=200)))
    agents = s.get("agents")
    if agents:
        items = []
        for name, rep in agents.items():
            bullets = "".join(f"<li>{_esc(b)}</li>" for b in rep.get("narrative", []))
            calls = ", ".join(
                f"{_esc(x['instrument'])} {'▲' if x['direction'] > 0 else '▼' if x['direction'] < 0 else '■'}"  # noqa: E501
                f" z={x['strength']:+.2f}"
                for x in rep["signals"]
            )
            items.append(f"<h3>{_esc(name)}</h3><ul>{bullets}</ul><p>{calls}</p>")
        parts.append(_section("Agent views and regime", "".join(items)))
    parts += _book_sections(s)
    props = s.get("proposals")
    if props is not None:
        cols = [c for c in ("instrument", "side", "size", "currency", "contracts",
                            "delta_weight", "delta_var", "delta_es",
                            "breaches") if c in props.columns]  # fmt: skip
        fmt = {"size": ",.0f", "delta_weight": "+.2%", "delta_var": "+.4%", "delta_es": "+.4%"}
        title = "New proposals, held → target (size in the instrument's currency; Δ in % of NAV)"
        parts.append(_section(title, _table(props[cols], fmt=fmt, n=40)))
    pnl, attr = s.get("pnl"), s.get("attribution")
    if pnl is not None:
        head = (
            f"<p>NAV {pnl['nav_brl']:,.0f} BRL; P&L yesterday {pnl['pnl_day_brl']:+,.0f} BRL, "
            f"MTD {pnl['mtd']:+.2%}, YTD {pnl['ytd']:+.2%}</p>"
        )
        body = head
        if attr is not None and not attr.empty:
            wide = attr[attr["by"].isin(["strategy", "factor"])].pivot_table(
                index=["by", "group"], columns="period", values="value", aggfunc="sum"
            )
            wide.index = [f"{b}: {g}" for b, g in wide.index]
            body += _table(wide, n=40)
        else:
            body += '<p class="note">no marked positions yet: nothing to attribute</p>'
        parts.append(_section("P&L and attribution", body))
    else:
        parts.append(_section("P&L and attribution",
                              '<p class="note">not in this run (no PMS steps)</p>'))  # fmt: skip
    anchor = s.get("anchor")
    if anchor is not None:
        code = _esc(json.dumps(anchor, sort_keys=True))
        parts.append(_section("Audit chain anchor", f"<p><code>{code}</code></p>"))
    tone = s.get("tone")
    if tone is not None and not tone.empty:
        parts.append(_section("Central-bank tone (last communiqué, + hawkish)",
                              _table(tone.set_index("series_id"), fmt={"tone": "+.2f",
                                     "previous": "+.2f", "shift": "+.2f"})))  # fmt: skip
    parts.append(_todays_section(s.get("today")))
    findings = s.get("findings")
    parts.append(_section("Data-quality notes", _table(findings, n=30)))
    title = f"Morning Pack — {pack.as_of}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_esc(pack.sheet.locale)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{_esc(title)}</h1><div class="sub">from the pipeline run of '
        f"{_esc(pack.as_of)}; every number in the summary is checked against the fact sheet"
        "</div></header>" + "".join(banners) + "<main>" + "".join(parts) + "</main></body></html>\n"
    )


def _book_sections(s: dict[str, Any]) -> list[str]:
    """The held book first, the target beside it, and the difference: positions, risk
    side by side, VaR/ES, limits and stresses of each, every title naming its book."""
    held, weights = s.get("held"), s.get("weights")
    if held is None or held.empty:
        empty, body = True, f'<p class="note">{NONE_HELD}</p>'
    else:
        names = {"quantity": "quantity (local)", "notional_brl": "BRL", "weight": "% of NAV"}
        fmt = {"quantity (local)": ",.0f", "BRL": ",.0f", "% of NAV": "+.2%"}
        empty, body = False, _table(held.rename(columns=names), fmt=fmt)
    parts = [_section(LABEL["held"], body)]
    compare = s.get("compare")
    if compare is not None:
        title = "Risk: held book, target book and the difference (target − held)"
        note = f'<p class="note">{NONE_HELD}</p>' if empty else ""
        parts.append(_section(title, note + _table(compare_table(compare).set_index("measure"))))
    if weights is not None:
        view = _weights_view(weights, s.get("target_components"))
        title = f"{LABEL['target']}: weights, held and the trades (% of NAV)"
        parts.append(_section(title, _table(view, n=40)))
    var = _var_view({b: s.get(f"{b}_var") for b in BOOKS})
    if var is not None:
        note = f'<p class="note">{NONE_HELD}</p>' if empty else ""
        parts.append(_section("VaR / ES by method, % of NAV: held book, target book (optimizer)",
                              note + _table(var, fmt={c: ".2%" for c in var.columns})))  # fmt: skip
    for book in BOOKS:
        limits = s.get(f"{book}_limits")
        if limits is not None:
            limits = limits.sort_values("utilization", ascending=False)
        title = f"Limit use — {LABEL[book]}" + (
            f" ({NONE_HELD})" if book == "held" and empty else ""
        )
        parts.append(_section(title, _table(limits, fmt={"utilization": ".0%"}, n=18)))
    stress = {b: s.get(f"{b}_stress") for b in BOOKS}
    if stress["target"] is not None:
        both = pd.DataFrame({b: f["total"] for b, f in stress.items() if f is not None})
        both["kind"] = stress["target"]["kind"]
        if "held" in both:
            both["difference"] = both["target"] - both["held"]
        cols = [c for c in ("kind", "held", "target", "difference") if c in both]
        fmt = {c: ",.0f" for c in ("held", "target", "difference")}
        title = "Stress tests (BRL): held book, target book (optimizer), difference"
        parts.append(_section(title, _table(both[cols].sort_values("target"), fmt=fmt)))
    return parts


def _weights_view(weights: pd.DataFrame, comps: pd.DataFrame | None) -> pd.DataFrame:
    """Held, target and trade per instrument in % of NAV, with the target's risk shares."""
    view = pd.DataFrame(
        {
            "held": weights["current"] * 100,
            "target": weights["weight"] * 100,
            "trade (target − held)": weights["trade"] * 100,
            "target risk share": weights["risk_contribution"] * 100,
        }
    )
    if comps is not None:
        hist = comps.xs(("historical", 0.99), level=("method", "alpha"))["component_var"]
        view["target component VaR 99"] = hist.reindex(view.index) * 100
    return view.map(lambda v: "–" if pd.isna(v) else f"{v:+.2f} %")


def _var_view(tables: dict[str, pd.DataFrame | None]) -> pd.DataFrame | None:
    """VaR and ES of each book by method and level side by side (fractions of NAV)."""
    cols = {}
    for book, table in tables.items():
        if table is None:
            continue
        named = table.set_axis([f"{m} {a:.0%}" for m, a in table.index], axis=0)
        cols[f"{book} VaR"], cols[f"{book} ES"] = named["var"], named["es"]
    if not cols:
        return None
    order = [f"{b} {m}" for m in ("VaR", "ES") for b in BOOKS if f"{b} {m}" in cols]
    return pd.DataFrame(cols)[order]


def _todays_releases(lake: Lake, as_of: str) -> pd.DataFrame:
    """Today's releases with previous value and consensus (:mod:`research_core.events`)."""
    from research_core.events import morning_releases

    return morning_releases(lake, as_of)


def _todays_section(today: pd.DataFrame | None) -> str:
    """Time, series, previous and expected value (Focus median, or a labelled model
    forecast where no free consensus exists) of the next session's releases."""
    if today is None or today.empty:
        return _section("Today's releases", '<p class="note">no scheduled releases</p>')
    note = (
        '<p class="note">expected: the Focus median where one exists, else a model '
        "forecast (AR(1) on the prints released before), not a market consensus</p>"
    )
    fmt = {"previous": ",.2f", "expected": ",.2f"}
    return _section("Today's releases", _table(today.set_index("time"), fmt=fmt, n=40) + note)

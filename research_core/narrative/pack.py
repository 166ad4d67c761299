"""The Morning Pack: fact sheet, checked narrative, and one self-contained HTML page.

The page inlines its styles and makes no request to any outside host. Tables are rendered
by code from the run's artifacts; the narrative is the model's (when an API key is set and
its every number checks out) or the template's, and any rejection is recorded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from research_core import palette as house
from research_core.config import Settings, get_settings
from research_core.formats import auto, money, number, pct, size
from research_core.lake import Lake
from research_core.narrative.alerts_section import alerts_section
from research_core.narrative.answers import (
    Format,
    agents_section,
    attribution_section,
    changed_section,
    esc,
    markets_section,
    section,
    table,
    today_section,
    week_section,
)
from research_core.narrative.checker import CheckResult, check_narrative
from research_core.narrative.curves_section import curves_html, read_curves
from research_core.narrative.facts import FactError, FactSheet, render
from research_core.narrative.health import health_record, health_section
from research_core.narrative.llm import NarrativeError, api_key, llm_narrative
from research_core.narrative.sheet import build_fact_sheet, fact_table
from research_core.narrative.template import narrative_template
from research_core.narrative.tone_facts import tone_shift
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
            "what_matters": [  # each line checked against the sheet plus the decision dates
                {"text": line.text, "sources": list(line.sources)}
                for line in self.sections.get("lines", [])
            ],
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
    sections: dict[str, Any] = {"missing": [], "alerts": alerts_section(run)}
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
    sections["health"] = health_record(run)
    sections["curves"] = read_curves(run)  # the curves step's path and lines, or None
    sections["tone"] = tone_shift(lake, as_of)
    sections |= _answers(run, lake, sheet)
    sections["sample"] = lake.is_sample
    gate = None
    try:
        gate = run.artifact("quality/freshness.json")
    except RunFolderError:
        sections["missing"].append("freshness")
    sections["gate"] = gate
    stale = bool(gate and gate.get("stale"))
    return MorningPack(as_of, sheet, narrative, sections, stale)


def _answers(run: RunFolder, lake: Lake, sheet: FactSheet) -> dict[str, Any]:
    """The data of the answer-first sections: key series, what matters today, the week
    ahead with the next decisions, yesterday's releases, what changed, the agents' views."""
    from research_core.events import next_decisions, releases_on, week_ahead
    from research_core.narrative import sections as sec

    view = lake.at(run.as_of)
    tz = lake.tz
    keys = sec.key_series(view)
    decisions = next_decisions(run.as_of)
    lines, full = sec.what_matters(sheet, keys, view, decisions, tz)
    previous, changes = sec.what_changed(run)
    reports = _artifact(run, "agents/reports.json") or {}
    return {
        "tz": tz, "keys": keys, "decisions": decisions, "lines": lines, "full_sheet": full,
        "week": week_ahead(lake, run.as_of), "yesterday": releases_on(lake, run.as_of),
        "previous": previous, "changes": changes, "views": sec.agent_views(reports),
    }  # fmt: skip


def _artifact(run: RunFolder, name: str) -> Any:
    try:
        return run.artifact(name)
    except RunFolderError:
        return None


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
        return number(value, 0)
    if unit == "BRL":
        return money(value)
    if unit == "× NAV":
        return f"{number(value, 2)} × NAV"
    suffix = " of NAV" if unit == "fraction of NAV" else " from the high-water mark"
    return f"{pct(value)}{suffix}"


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
CSS = f"""
body{{font-family:{house.FONT};margin:0;color:{house.INK};background:{house.BACKGROUND}}}
header{{background:{house.NAVY};color:{house.SURFACE};padding:16px 28px}}
header h1{{margin:0;font-size:{house.SIZES["title"]}px}}header .sub{{opacity:.8;font-size:13px}}
.banner{{padding:8px 28px;font-weight:600}}
.stale{{background:{house.NEGATIVE};color:{house.SURFACE}}}
.sample{{background:{house.SAMPLE};color:{house.SURFACE}}}main{{padding:8px 28px;max-width:1200px}}
section{{background:{house.SURFACE};border:1px solid {house.RULE};border-radius:6px;margin:14px 0;
padding:12px 16px;overflow-x:auto}}h2{{font-size:16px;margin:4px 0 10px;color:{house.NAVY}}}
table{{border-collapse:collapse;font-size:{house.SIZES["body"]}px;width:100%}}
th,td{{padding:3px 8px;border-bottom:1px solid {house.RULE};text-align:left}}
th{{color:{house.MUTED}}}td.n{{text-align:right;font-variant-numeric:tabular-nums;font-family:{house.MONO}}}.neg{{color:{house.NEGATIVE}}}
.pos{{color:{house.POSITIVE}}}.note{{color:{house.MUTED};font-size:12px}}
.narr{{font-size:15px;line-height:1.5}}.breach{{color:{house.STATUS["breach"]};font-weight:600}}
.warn{{color:{house.STATUS["warn"]};font-weight:600}}
h3{{font-size:14px;margin:10px 0 2px}}ul{{margin:2px 0}}ul.matters li{{font-size:15px;margin:3px 0}}
.block{{margin:8px 0 14px}}summary h2.inline{{display:inline}}summary{{cursor:pointer}}
svg.chart{{display:block;margin:6px 0;max-width:100%}}svg.spark{{vertical-align:middle}}
.next-decisions{{font-size:14px}}
table[data-table="week-ahead"] td:first-child,table[data-table="yesterday"] td:first-child
{{white-space:nowrap}}
"""  # colours and fonts: research_core.palette, as on the pages (viz.theme)


_esc, _table = esc, table


def _section(title: str, body: str) -> str:
    """A titled block inside a pack section."""
    return f'<div class="block"><h3>{_esc(title)}</h3>{body}</div>'


def limit_view(limits: pd.DataFrame | None) -> pd.DataFrame | None:
    """Limits as text: value and line in their unit (% of NAV for VaR, ES and drawdown,
    × NAV for notionals), utilization in %, status, hard/soft."""
    if limits is None:
        return None

    def text(v: float, unit: str) -> str:
        if unit.startswith("bp"):
            return f"{number(v, 2)} bp of NAV per bp"
        if "notional" in unit or "/NAV" in unit:
            return f"{number(v, 2)} × NAV"
        if "NAV" in unit or "high-water" in unit:
            return pct(v)
        return f"{auto(v)} {unit}"

    return pd.DataFrame(
        {
            "value": [text(v, u) for v, u in zip(limits["value"], limits["unit"], strict=True)],
            "line": [text(v, u) for v, u in zip(limits["max"], limits["unit"], strict=True)],
            "use": [pct(v, 0) for v in limits["utilization"]],
            "status": limits["status"],
            **({"kind": limits["kind"]} if "kind" in limits else {}),
        },
        index=pd.Index(limits.index, name="limit"),
    )


def render_html(pack: MorningPack) -> str:
    """One static page, answers first (issue 26): (a) what matters today, (b) alerts,
    (c) markets, (d) the week ahead, (e) what changed, (f) the agents' views, (g) the held
    book and proposals, (h) attribution; the checked narrative, then a collapsed appendix
    (fact sheet, tone, data quality, audit anchor). Inline CSS and SVG, no scripts, no
    links to other hosts."""
    s = pack.sections
    banners = []
    if pack.stale:
        late = ", ".join((s.get("gate") or {}).get("stale_series", []))
        banners.append(f'<div class="banner stale">STALE DATA: key series late ({_esc(late)}); '
                       "this pack may show yesterday's world</div>")  # fmt: skip
    if s.get("sample"):
        banners.append('<div class="banner sample">Sample data: generated, not real history</div>')
    parts = [
        today_section(s.get("lines", [])),
        _alerts_section(s),
        markets_section(s.get("keys", pd.DataFrame()),
                        curves=curves_html(pack.sheet, s.get("curves"))),
        week_section(s.get("week", pd.DataFrame()), s.get("decisions", {}),
                     s.get("yesterday", pd.DataFrame())),
        changed_section(s.get("previous"), s.get("changes", pd.DataFrame())),
        agents_section(s.get("views", pd.DataFrame())),
        health_section(pack.sheet, s.get("health")),
        section("book", "Held book, risk and the target with its proposals",
                 "".join(_book_sections(s)) + _proposals_table(s.get("proposals"))),
        attribution_section(s.get("pnl"), s.get("attribution")),
        _narrative_section(pack.narrative),
        _appendix(pack),
    ]  # fmt: skip
    title = f"Morning Pack — {pack.as_of}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="{_esc(pack.sheet.locale)}"><head><meta charset="utf-8">'
        f'<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{_esc(title)}</title><style>{CSS}</style></head><body>"
        f'<header><h1>{_esc(title)}</h1><div class="sub">from the pipeline run of '
        f"{_esc(pack.as_of)}; every number in the text is checked against the fact sheet"
        "</div></header>" + "".join(banners) + "<main>" + "".join(parts) + "</main></body></html>\n"
    )


def _alerts_section(s: dict[str, Any]) -> str:
    """(b) Alerts and breaches, named: the alerts step's lines (numbers checked) or, in a
    run without that step, the limits in breach or near their line of each book."""
    if s.get("alerts"):
        return section("alerts", "Alerts and breaches", s["alerts"])
    rows = []
    for book in BOOKS:
        limits = s.get(f"{book}_limits")
        if limits is None:
            continue
        hot = limits[limits["status"].isin(["breach", "warn"])]
        rows += [
            {"book": LABEL[book], "limit": name, "status": r["status"],
             "use": format(float(r["utilization"]), ".0%")}
            for name, r in hot.sort_values("utilization", ascending=False).iterrows()
        ]  # fmt: skip
    body = (
        _table(pd.DataFrame(rows), n=40, name="alerts", index=False)
        if rows
        else '<p class="note">no limit in breach or near its line</p>'
    )
    return section("alerts", "Alerts and breaches", body)


def _proposals_table(props: pd.DataFrame | None) -> str:
    if props is None:
        return ""
    view = pd.DataFrame(
        {
            "instrument": props["instrument"],
            "side": props["side"],
            "size": [size(v, c, n) for v, c, n in zip(props["size"], props["currency"],
                                                      props.get("contracts", [None] * len(props)),
                                                      strict=True)],
            "Δ weight": [pct(v, signed=True) for v in props["delta_weight"]],
            "Δ VaR 99 (% of NAV)": [pct(v, signed=True) for v in props["delta_var"]],
            "Δ ES 99 (% of NAV)": [pct(v, signed=True) for v in props["delta_es"]],
        }
    )  # fmt: skip
    if "breaches" in props:
        view["breaches"] = [", ".join(map(str, b)) if len(b) else "none" for b in props["breaches"]]
    return "<h3>New proposals, held → target</h3>" + _table(view, n=40, name="proposals",
                                                             index=False)  # fmt: skip


def _narrative_section(nar: Narrative) -> str:
    rejected = (
        f'<p class="note">A model narrative was rejected ({_esc(nar.rejected[0]["reason"])}); '
        "the template is shown.</p>"
        if nar.rejected
        else ""
    )
    return section(
        "summary",
        "The morning in words",
        f'<p class="narr">{_esc(nar.text)}</p><p class="note">narrative: {nar.source}; '
        f"{nar.check.numbers} numbers checked against the fact sheet</p>{rejected}",
    )


def _tone(v: float) -> str:
    """A tone score (−1 dovish … +1 hawkish) with its meaning in words."""
    return (
        f"{number(v, 2, signed=True)} ({'hawkish' if v > 0 else 'dovish' if v < 0 else 'neutral'})"
    )


def _shift(v: float) -> str:
    word = "more hawkish" if v > 0 else "more dovish" if v < 0 else "no change"
    return f"{number(v, 2, signed=True)} ({word})"


def _appendix(pack: MorningPack) -> str:
    """Fact sheet, central-bank tone, data quality and the audit anchor, collapsed."""
    s = pack.sections
    sheet = s.get("full_sheet") or pack.sheet
    facts = pd.DataFrame(fact_table(sheet)).drop(columns=["id"]).set_index("entity")
    points = [f.unit == "" and f.kind == "change" for f in sheet.facts]  # index points (VIX)
    facts.loc[points, "value"] = facts.loc[points, "value"] + " pts"
    body = "<h3>Fact sheet: every number the text may state</h3>" + _table(facts, n=400)
    tone = s.get("tone")
    if tone is not None and not tone.empty:
        body += "<h3>Central-bank tone (last communiqué, + hawkish)</h3>" + _table(
            tone.set_index("series_id"), fmt={"tone": _tone, "previous": _tone, "shift": _shift}
        )
    body += "<h3>Data-quality notes</h3>" + _table(s.get("findings"), n=30)
    anchor = s.get("anchor")
    if anchor is not None:
        code = _esc(json.dumps(anchor, sort_keys=True))
        body += f"<h3>Audit chain anchor</h3><p><code>{code}</code></p>"
    return (
        '<section data-section="appendix" id="appendix" class="wb-card"><details><summary>'
        '<h2 class="inline">'
        f"Appendix: fact sheet, tone, data quality, audit anchor</h2></summary>{body}"
        "</details></section>"
    )  # fmt: skip


def _book_sections(s: dict[str, Any]) -> list[str]:
    """The held book first, the target beside it, and the difference: positions, risk
    side by side, VaR/ES, limits and stresses of each, every title naming its book."""
    held, weights = s.get("held"), s.get("weights")
    if held is None or held.empty:
        empty, body = True, f'<p class="note">{NONE_HELD}</p>'
    else:
        names = {"quantity": "quantity (local)", "notional_brl": "notional", "weight": "% of NAV"}
        fmt: dict[str, Format] = {"quantity (local)": lambda v: number(v, 0), "notional": money,
                                  "% of NAV": lambda v: pct(v, signed=True)}  # fmt: skip
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
                              note + _table(var, fmt={c: pct for c in var.columns})))  # fmt: skip
    for book in BOOKS:
        limits = s.get(f"{book}_limits")
        if limits is not None:
            limits = limits.sort_values("utilization", ascending=False)
        title = f"Limit use — {LABEL[book]}" + (
            f" ({NONE_HELD})" if book == "held" and empty else ""
        )
        parts.append(_section(title, _table(limit_view(limits), n=18)))
    stress = {b: s.get(f"{b}_stress") for b in BOOKS}
    if stress["target"] is not None:
        both = pd.DataFrame({b: f["total"] for b, f in stress.items() if f is not None})
        both["kind"] = stress["target"]["kind"]
        if "held" in both:
            both["difference"] = both["target"] - both["held"]
        cols = [c for c in ("kind", "held", "target", "difference") if c in both]
        fmt = {c: money for c in ("held", "target", "difference")}
        title = "Stress tests (BRL mn): held book, target book (optimizer), difference"
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
    for book, frame in tables.items():
        if frame is None:
            continue
        named = frame.set_axis([f"{m} {a:.0%}" for m, a in frame.index], axis=0)
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

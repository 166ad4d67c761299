"""The data behind the Morning Pack's answer-first sections (issue 26): what matters today,
the key series, what changed since the previous pack and the agents' views.

Each function reads the lake or run folders and returns plain frames or lines; the pack
(:mod:`research_core.narrative.pack`) renders them with :mod:`research_core.formats`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from research_core.lake.pit import PITView
from research_core.narrative.checker import check_narrative
from research_core.narrative.facts import Fact, FactSheet, date_value, render
from research_core.narrative.llm import NarrativeError
from research_core.narrative.sheet import AGENT_NAMES, MARKET, market_series
from research_core.narrative.sheet import market_change as _change
from research_core.runs import RunFolder, RunFolderError

HORIZONS = {"1d": 1, "1w": 7, "1m": 30}  # calendar days back; YTD from the last print of last year
VIEW = {1: "long", -1: "short", 0: "no view"}


# ---- (c) markets -----------------------------------------------------------------------
def key_series(view: PITView) -> pd.DataFrame:
    """The pack's market series: name, units, last value, its date, the 1d/1w/1m/YTD
    changes (% for prices, bp for rates, points otherwise, as the fact sheet) and the last
    three months of values for the sparkline."""
    rows = []
    for market, s in market_series(view):
        sid, entity, level_unit, change_unit = market[0], market[2], market[4], market[6]
        how = market[8]
        last_day = pd.Timestamp(s.index[-1])
        row: dict[str, Any] = {"series": entity, "id": sid, "date": f"{last_day:%Y-%m-%d}"}
        row["last"], row["level_unit"] = float(s.iloc[-1]), level_unit
        row["change_unit"] = change_unit
        row["1d"] = _change(row["last"], float(s.iloc[-2]), how)
        for name, days in HORIZONS.items():
            if name == "1d":
                continue
            before = s[s.index <= last_day - pd.Timedelta(days=days)]
            row[name] = _change(row["last"], float(before.iloc[-1]), how) if len(before) else None
        year = s[s.index < pd.Timestamp(year=last_day.year, month=1, day=1)]
        row["YTD"] = _change(row["last"], float(year.iloc[-1]), how) if len(year) else None
        row["spark"] = s[s.index > last_day - pd.Timedelta(days=92)].tolist()
        rows.append(row)
    return pd.DataFrame(rows)


# ---- (a) what matters today ------------------------------------------------------------
@dataclass(frozen=True)
class Line:
    """One "what matters today" line: checked text and the sources of its facts."""

    text: str
    sources: tuple[str, ...]


def _decision_facts(as_of: str, decisions: dict[str, pd.Timestamp], tz: str) -> list[Fact]:
    out = []
    for bank, when in decisions.items():
        day = f"{when.tz_convert(tz):%Y-%m-%d}"
        out.append(
            Fact(f"next.{bank.lower()}", f"next {bank} decision", date_value(day), "date", 0,
                 "catalog/policy_meetings.yaml", as_of, aliases=(bank,))
        )  # fmt: skip
    return out


def _movers(sheet: FactSheet, keys: pd.DataFrame, view: PITView, n: int = 2) -> list[str]:
    """The ``n`` market facts whose last change is largest against their own past year of
    daily changes (|z|), as fact ids (``usdbrl``, ``di_1y``...)."""
    scores = []
    for sid, fid, *_rest, how in MARKET:
        if f"{fid}.chg" not in sheet or sid not in set(keys.get("id", [])):
            continue
        s = view.series(sid).dropna().iloc[-261:]
        moves = (s.pct_change() if how == "pct" else s.diff()).dropna()
        if len(moves) < 20 or moves.std() == 0:
            continue
        scores.append((abs(float(moves.iloc[-1]) / float(moves.std())), fid))
    return [fid for _, fid in sorted(scores, reverse=True)[:n]]


def what_matters(
    sheet: FactSheet, keys: pd.DataFrame, view: PITView, decisions: dict[str, pd.Timestamp],
    tz: str,
) -> tuple[list[Line], FactSheet]:  # fmt: skip
    """Three to five lines, most pressing first: limits in breach or near their line, the
    day's P&L, the strongest agent call, the next rate decisions, the two largest market
    moves (each against its own past year of daily moves). Every number is a fact and each
    line passes the checker; the sheet the lines were checked against (the pack's plus the
    decision dates) is returned too."""
    full = FactSheet(
        sheet.as_of, (*sheet.facts, *_decision_facts(sheet.as_of, decisions, tz)), sheet.locale
    )
    limits = {
        "held": "Held-book limits: {{held.breach}} in breach and {{held.warn}} near their line.",
        "limits": "Target-book limits: {{limits.breach}} in breach and {{limits.warn}} near "
        "their line.",
    }
    candidates = [  # a limits line only when something is in breach or near its line
        t for b, t in limits.items()
        if any(f"{b}.{k}" in full and full[f"{b}.{k}"].value > 0 for k in ("breach", "warn"))
    ]  # fmt: skip
    candidates += [
        "P&L: {{pnl.day}} yesterday, {{pnl.mtd}} MTD and {{pnl.ytd}} YTD.",
        "The strongest call is {label} (z {{agents.top_z}}).",
        "Next Copom decision on {{next.copom}}; next FOMC decision on {{next.fomc}}.",
        *(
            f"{full[f'{fid}.chg'].entity} {{{{dir:{fid}.chg}}}} {{{{abs:{fid}.chg}}}} to "
            f"{{{{{fid}.last}}}}."
            for fid in _movers(sheet, keys, view)
        ),
    ]
    lines: list[Line] = []
    for template in candidates:
        ids = [i.split(":")[-1] for i in _ids(template)]
        if not all(i in full for i in ids):
            continue
        if "{label}" in template:
            template = template.replace("{label}", full["agents.top_z"].label)
        text, _ = render(template, full)
        check = check_narrative(text, full)
        if not check.ok:  # our own sentence: a bug, not bad luck
            raise NarrativeError(f"what-matters line fails its check: {check.summary()}")
        lines.append(Line(text, tuple(dict.fromkeys(full[i].series for i in ids))))
    return lines[:5], full


def _ids(template: str) -> list[str]:
    from research_core.narrative.facts import PLACEHOLDER

    return [m.group(2) for m in PLACEHOLDER.finditer(template)]


# ---- (e) what changed since the previous pack ------------------------------------------
def previous_run(run: RunFolder) -> RunFolder | None:
    """The latest run folder beside ``run`` with an earlier as-of date and a pack, or None."""
    parent = Path(run.path).resolve().parent
    earlier = sorted(
        p for p in parent.iterdir()
        if p.is_dir() and p.name < run.as_of and (p / "artifacts" / "morning_pack").is_dir()
    )  # fmt: skip
    for path in reversed(earlier):
        try:
            return RunFolder(path)
        except RunFolderError:
            continue
    return None


def _art(run: RunFolder, name: str) -> Any:
    try:
        return run.artifact(name)
    except RunFolderError:
        return None


def _calls(run: RunFolder) -> dict[tuple[str, str, str], int]:
    reports = _art(run, "agents/reports.json") or {}
    return {
        (AGENT_NAMES.get(a, a), s.get("model") or "", s["instrument"]): int(s["direction"])
        for a, rep in reports.items()
        for s in rep["signals"]
    }


def _breaches(run: RunFolder) -> set[str]:
    out = set()
    for book in ("held", "target"):
        lim = _art(run, f"risk/{book}/limits.parquet")
        if isinstance(lim, pd.DataFrame):
            out |= {f"{book} book: {k}" for k in lim.index[lim["status"] == "breach"]}
    return out


def _proposals(run: RunFolder) -> set[str]:
    props = _art(run, "book/proposals.parquet")
    if not isinstance(props, pd.DataFrame) or props.empty:
        return set()
    return {f"{r.side} {r.instrument}" for r in props.itertuples()}


def what_changed(run: RunFolder) -> tuple[str | None, pd.DataFrame]:
    """(the previous pack's date or None for a first pack, rows of kind/item/before/now):
    agent signal flips, new and cleared breaches, new and expired proposals, P&L."""
    prev = previous_run(run)
    if prev is None:
        return None, pd.DataFrame(columns=["change", "item", "before", "now"])
    rows = []
    old, new = _calls(prev), _calls(run)
    for key in sorted(old.keys() & new.keys()):
        if old[key] != new[key]:
            agent, model, inst = key
            rows.append(("signal flip", f"{inst} ({model or agent})", VIEW[old[key]],
                         VIEW[new[key]]))  # fmt: skip
    b_old, b_new = _breaches(prev), _breaches(run)
    rows += [("new breach", b, "ok or warn", "breach") for b in sorted(b_new - b_old)]
    rows += [("breach cleared", b, "breach", "ok or warn") for b in sorted(b_old - b_new)]
    p_old, p_new = _proposals(prev), _proposals(run)
    rows += [("new proposal", p, "–", "proposed") for p in sorted(p_new - p_old)]
    rows += [("proposal gone", p, "proposed", "–") for p in sorted(p_old - p_new)]
    pnl_old, pnl_new = _art(prev, "attribution/pnl.json"), _art(run, "attribution/pnl.json")
    if pnl_old and pnl_new:
        rows.append(("NAV (BRL mn)", "fund NAV", f"{pnl_old['nav_brl'] / 1e6:,.1f}",
                     f"{pnl_new['nav_brl'] / 1e6:,.1f}"))  # fmt: skip
    return prev.as_of, pd.DataFrame(rows, columns=["change", "item", "before", "now"])


# ---- (f) agents' views -------------------------------------------------------------------
def agent_views(reports: dict[str, Any]) -> pd.DataFrame:
    """One row per agent signal: agent, model, instrument, view, z, confidence, horizon and
    the one-line reason; two calls on one target are told apart by their model."""
    rows = []
    for name, rep in reports.items():
        for s in rep["signals"]:
            rows.append(
                {
                    "agent": AGENT_NAMES.get(name, name),
                    "model": s.get("model") or "—",
                    "target": s["instrument"],
                    "view": VIEW[int(s["direction"])],
                    "strength": float(s["strength"]),
                    "confidence": float(s["confidence"]),
                    "horizon": f"{int(s['horizon_days'])} days",
                    "reason": str(s["rationale"]).split(" — ", 1)[-1],  # view, z: columns
                }
            )
    return pd.DataFrame(rows)

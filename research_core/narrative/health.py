"""The Morning Pack's "Strategy health" section and the facts it states.

The ``health`` step's ``health/cards.json`` becomes facts (counts of RED, AMBER and GREEN
cards and of live strategies with no stored backtest; for each RED or AMBER card its lower
CUSUM as a share of the alarm line, PSR, progress toward the minimum track record, Sharpe,
haircut benchmark, sessions and last alarm). The section is text with placeholders filled
from the sheet and checked by :func:`research_core.narrative.checker.check_narrative` like
the narrative: RED and AMBER strategies first, then the count of GREEN ones.
"""

from __future__ import annotations

import html
import math
from typing import Any

from research_core.narrative.checker import check_narrative
from research_core.narrative.facts import Fact, FactError, FactSheet, date_value, render
from research_core.runs import RunFolder, RunFolderError

CARDS = "health/cards.json"
SOURCE = f"artifacts/{CARDS}"
ENTITY = "Strategy health"
ORDER = {"RED": 0, "AMBER": 1, "GREEN": 2}
CUES = {
    "red": ("RED",),
    "amber": ("AMBER",),
    "green": ("GREEN",),
    "missing": ("without a stored backtest",),
    "cusum": ("CUSUM",),
    "psr": ("PSR",),
    "progress": ("minimum track record",),
    "sharpe": ("Sharpe",),
    "benchmark": ("benchmark",),
    "sessions": ("sessions",),
}


def health_record(run: RunFolder) -> dict[str, Any] | None:
    """The run's ``health/cards.json``, or None when the run has no health step."""
    try:
        record = run.artifact(CARDS)
    except RunFolderError:
        return None
    return record if isinstance(record, dict) else None


def _number(value: Any) -> float | None:
    return float(value) if value is not None and math.isfinite(float(value)) else None


def _card_facts(card: dict[str, Any], as_of: str) -> list[Fact]:
    """A RED or AMBER card's numbers (units: % for shares and probabilities, Sharpes
    annualized, sessions counted), each under the strategy's name."""
    name = str(card["name"])
    values = {  # key: (raw value, scale, unit, decimals, label)
        "cusum": (card.get("cusum_down"), 100, "%", 0, "lower CUSUM, % of its alarm line"),
        "psr": (card.get("psr"), 100, "%", 0, "PSR against the haircut backtest Sharpe"),
        "progress": (card.get("progress"), 100, "%", 0, "progress to the minimum track record"),
        "sharpe": (card.get("sharpe"), 1, "", 2, f"Sharpe of the {card['source']} record"),
        "benchmark": (card.get("benchmark"), 1, "", 2, "haircut backtest Sharpe"),
        "sessions": (card.get("n_obs"), 1, "count", 0, "sessions monitored"),
    }
    facts = []
    for key, (raw, scale, unit, decimals, label) in values.items():
        value = _number(raw)
        if value is not None:
            facts.append(Fact(f"health.{name}.{key}", name, value * scale, unit, decimals,
                              SOURCE, as_of, label=label, cues=CUES[key]))  # fmt: skip
    if card.get("alarms"):
        day = str(card["alarms"][-1])[-11:-1]
        facts.append(Fact(f"health.{name}.alarm", name, date_value(day), "date", 0, SOURCE,
                          as_of, label="last alarm"))  # fmt: skip
    return facts


def health_facts(run: RunFolder, as_of: str) -> list[Fact]:
    """Every number the Strategy health section states (none without a health step)."""
    record = health_record(run)
    if record is None:
        return []
    cards = record.get("cards", [])
    facts = [
        Fact(f"health.{key}", ENTITY, sum(c["status"] == status for c in cards), "count", 0,
             SOURCE, as_of, label=f"{status} cards", cues=CUES[key])
        for key, status in (("red", "RED"), ("amber", "AMBER"), ("green", "GREEN"))
    ]  # fmt: skip
    missing = record.get("missing", {})
    if missing:
        command = str(next(iter(missing.values())))
        start = command.split("--start ")[1][:10]
        facts += [
            Fact("health.missing", ENTITY, len(missing), "count", 0, SOURCE, as_of,
                 label="live strategies without a stored backtest", cues=CUES["missing"]),
            Fact("health.start", ENTITY, date_value(start), "date", 0, SOURCE, as_of,
                 label="start of the backtest to store"),
            Fact("health.end", ENTITY, date_value(as_of), "date", 0, SOURCE, as_of,
                 label="end of the backtest to store"),
        ]  # fmt: skip
    for card in cards:
        if card["status"] != "GREEN":
            facts += _card_facts(card, as_of)
    return facts


def _card_text(card: dict[str, Any], sheet: FactSheet) -> str:
    """One RED or AMBER card as a template: what fired, then its numbers."""
    name, fid = str(card["name"]), f"health.{card['name']}"
    parts = [f"{name} is {card['status']} on its {card['source']} record"]
    if f"{fid}.alarm" in sheet:
        what = str(card["alarms"][-1]).split(" (")[0]
        parts.append(f"last alarm {what} on {{{{{fid}.alarm}}}}")
    texts = {
        "cusum": "downside CUSUM at {{%s.cusum}} of its alarm line",
        "psr": "PSR {{%s.psr}}",
        "progress": "{{%s.progress}} of the minimum track record",
        "sharpe": "Sharpe {{%s.sharpe}}",
        "benchmark": "against a haircut benchmark of {{%s.benchmark}}",
        "sessions": "over {{%s.sessions}} sessions",
    }
    parts += [t % fid for key, t in texts.items() if f"{fid}.{key}" in sheet]
    return ", ".join(parts) + "."


def health_lines(sheet: FactSheet, record: dict[str, Any]) -> list[str]:
    """The section's sentences, rendered from the sheet: RED and AMBER cards first (worst
    first), then the count of GREEN ones, then the strategies with no stored backtest."""
    cards = sorted(record.get("cards", []), key=lambda c: (ORDER[c["status"]], c["name"]))
    lines = [f"{ENTITY}: {{{{health.red}}}} RED, {{{{health.amber}}}} AMBER."]
    lines += [_card_text(c, sheet) for c in cards if c["status"] != "GREEN"]
    lines.append(f"{ENTITY}: {{{{health.green}}}} GREEN.")
    missing = record.get("missing", {})
    if missing:
        noun = "strategy" if len(missing) == 1 else "strategies"
        lines.append(f"{ENTITY}: {{{{health.missing}}}} live {noun} without a stored backtest.")
    out = [render(line, sheet)[0] for line in lines]
    if missing:  # a command: its dates as the CLI reads them, whatever the pack's locale
        command = "`workbench backtest NAME --start {{health.start}} --end {{health.end}}`"
        line = f"{ENTITY}: store one with {command} for " + ", ".join(sorted(missing)) + "."
        out.append(render(line, sheet.with_locale("en"))[0])
    return out


def health_section(sheet: FactSheet, record: dict[str, Any] | None) -> str:
    """The "Strategy health" section's HTML; every number checked against the sheet (a
    number the sheet does not support is a bug here: FactError)."""
    if record is None:
        body = '<p class="note">not in this run (no health step)</p>'
        return f'<section class="wb-card"><h2>Strategy health</h2>{body}</section>'
    lines = health_lines(sheet, record)
    check = check_narrative("\n".join(lines), sheet)
    if not check.ok:
        raise FactError(f"the Strategy health section fails its check: {check.summary()}")
    items = "".join(f"<li>{html.escape(line)}</li>" for line in lines)
    skipped = record.get("skipped", {})
    note = (
        f'<p class="note">not assessed: {html.escape(", ".join(sorted(skipped)))} '
        "(reasons in health/cards.json)</p>"
        if skipped
        else ""
    )
    return f'<section class="wb-card"><h2>Strategy health</h2><ul>{items}</ul>{note}</section>'

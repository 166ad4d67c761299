"""The day's alerts, read from a pipeline run folder (``pipelines/README.md``'s contract).

Kinds: a limit in breach or near it (``risk/<book>/limits.parquet``), a stale key series
(``quality/freshness.json``), a failed or late step (the manifest), a strategy health
card turning RED (``health/cards.json``, when the run has it), a drawdown-ladder level
change (``book/summary.json``'s ``ladder``) and data-quality findings above a threshold
(``quality/findings.parquet``). "Turning" and "change" compare with the newest earlier
run folder beside this one. Each alert's message is a template whose numbers are kept
apart with their units, so the e-mail, the page and the Morning Pack (which fact-checks
them) show the same figures.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from research_core.alerts.config import Thresholds
from research_core.runs import RunFolder, RunFolderError

KINDS = (
    "limit_breach",
    "limit_near",
    "stale_series",
    "step_failed",
    "step_late",
    "health_red",
    "drawdown_ladder",
    "data_quality",
)
SEVERITIES = ("info", "warning", "critical")
UNIT_TEXT = {"%": " %", "bp": " bp", "count": "", "": ""}
_SLOT = re.compile(r"\{(\d+)\}")


@dataclass(frozen=True)
class Number:
    """One number of a message: its value in ``unit`` (``%`` is per cent, already × 100),
    the decimals shown and the word next to it that says what it is (``cue``)."""

    value: float
    unit: str
    decimals: int
    cue: str

    def text(self) -> str:
        return f"{self.value:,.{self.decimals}f}{UNIT_TEXT[self.unit]}"


@dataclass(frozen=True)
class Alert:
    """One alert: kind, subject, severity, day, a one-line message (``template`` with its
    ``numbers`` in ``{0}``, ``{1}``... slots) and the dedupe key (one per subject per day)."""

    kind: str
    subject: str
    severity: str
    day: dt.date
    template: str
    numbers: tuple[Number, ...] = field(default=())

    @property
    def message(self) -> str:
        return _SLOT.sub(lambda m: self.numbers[int(m.group(1))].text(), self.template)

    @property
    def dedupe_key(self) -> str:
        return f"{self.day:%Y-%m-%d}|{self.subject}"

    def numbers_json(self) -> str:
        return json.dumps(
            {"template": self.template, "numbers": [n.__dict__ for n in self.numbers]}
        )


def _artifact(run: RunFolder, name: str) -> Any:
    try:
        return run.artifact(name)
    except RunFolderError:
        return None


def _previous(run: RunFolder, name: str) -> Any:
    """The artifact ``name`` of the newest earlier run beside ``run`` that has it."""
    for folder in sorted(run.path.parent.glob("????-??-??"), reverse=True):
        if folder.name < run.path.name and (folder / "artifacts" / name).exists():
            return RunFolder(folder).artifact(name)
    return None


def _limit_number(key: str, value: float, cue: str) -> Number:
    if key == "dv01_bucket":
        return Number(float(value), "bp", 2, cue)
    if key == "days_to_exit":
        return Number(float(value), "", 1, cue)
    return Number(float(value) * 100.0, "%", 2, cue)


def limit_alerts(run: RunFolder, day: dt.date) -> list[Alert]:
    """A limit of the held book in breach (critical) or near it (warning); of the target
    book (what the proposals would hold) one step milder: warning, info."""
    out = []
    for book, levels in (("held", ("critical", "warning")), ("target", ("warning", "info"))):
        table = _artifact(run, f"risk/{book}/limits.parquet")
        if not isinstance(table, pd.DataFrame):
            continue
        for name, row in table[table["status"].isin(["breach", "warn"])].iterrows():
            breach = row["status"] == "breach"
            days = " days" if row["key"] == "days_to_exit" else ""
            out.append(
                Alert(
                    "limit_breach" if breach else "limit_near",
                    f"{name} ({book} book)",
                    levels[0] if breach else levels[1],
                    day,
                    f"{'breach' if breach else 'near breach'}: value {{0}}{days}, "
                    f"limit {{1}}{days}, used {{2}}",
                    (
                        _limit_number(row["key"], row["value"], "value"),
                        _limit_number(row["key"], row["max"], "limit"),
                        Number(float(row["utilization"]) * 100.0, "%", 0, "used"),
                    ),
                )
            )
    return out


def stale_alerts(run: RunFolder, day: dt.date) -> list[Alert]:
    """Each key series the freshness gate found stale (critical when it failed the run)."""
    gate = _artifact(run, "quality/freshness.json")
    if not gate or not gate.get("stale"):
        return []
    severity = "critical" if gate.get("on_stale") == "fail" else "warning"
    out = []
    for sid, detail in zip(gate["stale_series"], gate.get("details", []), strict=False):
        late = re.search(r"(\d+) days late", str(detail))
        nums = (Number(float(late.group(1)), "count", 0, "late"),) if late else ()
        text = "stale: next release {0} days late" if late else "stale: no data known"
        out.append(Alert("stale_series", f"series {sid}", severity, day, text, nums))
    return out


def step_alerts(
    run: RunFolder, day: dt.date, deadlines: Mapping[str, float], late_fraction: float
) -> list[Alert]:
    """A failed step (critical) and one that used more than ``late_fraction`` of its
    deadline (warning)."""
    out = []
    for rec in run.manifest.steps:
        name, took = rec["name"], rec.get("duration_s")
        if rec.get("status") == "failed":
            ename = str((rec.get("error") or {}).get("ename", "error"))
            out.append(Alert("step_failed", f"step {name}", "critical", day, f"failed ({ename})"))
        elif took is not None and name in deadlines and took > late_fraction * deadlines[name]:
            out.append(
                Alert(
                    "step_late",
                    f"step {name}",
                    "warning",
                    day,
                    "late: took {0} s of a deadline of {1} s",
                    (
                        Number(float(took), "", 0, "took"),
                        Number(deadlines[name], "", 0, "deadline"),
                    ),
                )
            )
    return out


def _cards(cards: Any) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in (cards or {}).get("cards", [])}


def health_alerts(run: RunFolder, day: dt.date) -> list[Alert]:
    """A strategy whose health card is RED and was not RED in the previous run."""
    now = _cards(_artifact(run, "health/cards.json"))
    before = _cards(_previous(run, "health/cards.json"))
    out = []
    for name, card in now.items():
        was = before.get(name, {}).get("status", "none")
        if card.get("status") != "RED" or was == "RED":
            continue
        psr = card.get("psr")
        nums = (Number(float(psr), "", 2, "PSR"),) if isinstance(psr, int | float) else ()
        text = f"health card turned RED (was {was})" + (": PSR {0}" if nums else "")
        out.append(Alert("health_red", f"strategy {name}", "critical", day, text, nums))
    return out


def ladder_alerts(run: RunFolder, day: dt.date) -> list[Alert]:
    """The drawdown ladder's level differs from the previous run's (or from level 0)."""
    now = (_artifact(run, "book/summary.json") or {}).get("ladder")
    if not now:
        return []
    before = (_previous(run, "book/summary.json") or {}).get("ladder") or {"level": 0}
    if int(now["level"]) == int(before["level"]):
        return []
    severity = (
        "critical" if now["level"] >= 2 else "warning" if now["level"] > before["level"] else "info"
    )
    nums = (
        Number(float(now["level"]), "count", 0, "level"),
        Number(float(before["level"]), "count", 0, "was"),
        Number(float(now["drawdown"]) * 100.0, "%", 2, "drawdown"),
        Number(float(now["cap"]) * 100.0, "%", 0, "cap"),
    )
    text = "level {0} (was {1}): drawdown {2}, gross cap {3}"
    return [Alert("drawdown_ladder", "drawdown ladder", severity, day, text, nums)]


def quality_alerts(run: RunFolder, day: dt.date, limits: Mapping[str, int]) -> list[Alert]:
    """Findings of one data-quality check (jump, gap, ...) at or above its threshold."""
    findings = _artifact(run, "quality/findings.parquet")
    if not isinstance(findings, pd.DataFrame) or findings.empty:
        return []
    counts = findings["check"].value_counts()
    out = []
    for check, n in counts.items():
        limit = limits.get(str(check))
        if limit is None or n < limit:
            continue
        nums = (
            Number(float(n), "count", 0, "findings"),
            Number(float(limit), "count", 0, "threshold"),
        )
        text = "{0} findings, threshold {1}"
        out.append(Alert("data_quality", f"data quality: {check}", "warning", day, text, nums))
    return out


def alerts_from_run(
    run_dir: str | Path,
    *,
    thresholds: Thresholds | None = None,
    deadlines: Mapping[str, float] | None = None,
) -> list[Alert]:
    """Every alert the run folder shows, one per subject (the most severe first)."""
    run = RunFolder(Path(run_dir))
    th = thresholds or Thresholds()
    day = pd.Timestamp(run.as_of).date()
    found = [
        *limit_alerts(run, day),
        *stale_alerts(run, day),
        *step_alerts(run, day, deadlines or {}, th.late_fraction),
        *health_alerts(run, day),
        *ladder_alerts(run, day),
        *quality_alerts(run, day, th.quality),
    ]
    found.sort(key=lambda a: -SEVERITIES.index(a.severity))
    unique: dict[str, Alert] = {}
    for a in found:
        unique.setdefault(a.dedupe_key, a)
    return list(unique.values())

"""The Morning Pack's first section: the day's alerts (``artifacts/alerts/alerts.json``,
written by the ``alerts`` step), each line's numbers rendered from facts and checked by
the pack's number checker like the narrative."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from research_core.narrative.checker import check_narrative
from research_core.narrative.facts import Fact, FactSheet, render
from research_core.runs import RunFolder, RunFolderError

TITLE = "Alerts"
_SLOT = re.compile(r"\{(\d+)\}")
_UNIT = {"%": "%", "bp": "bp", "count": "count", "": ""}


def alert_lines(alerts: list[dict[str, Any]], as_of: str) -> list[tuple[dict[str, Any], str, str]]:
    """(alert, line, problem) per alert: the line rendered from its facts, and '' when every
    number in it checks against them (else what the checker found)."""
    out = []
    for a in alerts:
        spec = json.loads(a.get("numbers") or "{}")
        nums = spec.get("numbers", [])
        facts = tuple(
            Fact(
                id=f"alert{a['id']}.n{i}", entity=str(a["subject"]), value=float(n["value"]),
                unit=_UNIT[n["unit"]], decimals=int(n["decimals"]), series="alerts/alerts.json",
                as_of=as_of, cues=(str(n["cue"]),),
            )
            for i, n in enumerate(nums)
        )  # fmt: skip
        body = _SLOT.sub(rf"{{{{alert{a['id']}.n\1}}}}", spec.get("template", ""))
        sheet = FactSheet(as_of, facts)
        text, _ = render(f"{a['subject']}: {body}" if body else str(a["message"]), sheet)
        check = check_narrative(text, sheet)
        out.append((a, text, "" if check.ok else check.summary()))
    return out


def alerts_section(run: RunFolder) -> str:
    """The body of the pack's alerts section ('' when the run has no alerts step)."""
    try:
        record = run.artifact("alerts/alerts.json")
    except RunFolderError:
        return ""
    lines = alert_lines(record.get("alerts", []), str(record.get("as_of", run.as_of)))
    if not lines:
        body = '<p class="note">no alerts today</p>'
    else:
        items = [_item(a, text, problem) for a, text, problem in lines]
        checked = sum(not p for _, _, p in lines)
        body = (
            f'<ul>{"".join(items)}</ul><p class="note">{checked} of {len(lines)} alert lines '
            "checked against their numbers; acknowledge with "
            "<code>workbench alerts ack ID</code></p>"
        )
    return body


def _item(alert: dict[str, Any], text: str, problem: str) -> str:
    severity = html.escape(str(alert["severity"]))
    ack = f" — acknowledged by {alert['acknowledged_by']}" if alert.get("acknowledged_by") else ""
    note = f' <span class="note">(number check: {html.escape(problem)})</span>' if problem else ""
    return (
        f'<li class="{severity}"><b>{severity.upper()}</b> {html.escape(text)}'
        f"{html.escape(ack)}{note}</li>"
    )

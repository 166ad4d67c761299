"""The narrative from the Anthropic Messages API, built from the fact sheet only.

The model sees the facts (id, entity, label, displayed value) and must cite numbers as
placeholders, which code renders; whatever it writes is then number-checked like the
template. Model, base URL, timeout and retries come from config; answers are cached by a
hash of the whole input, so a re-run of the same day does not call the API again.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from research_core.config import Settings, get_settings
from research_core.errors import WorkbenchError
from research_core.narrative.facts import FactSheet
from research_core.runs import write_atomic

SYSTEM = (
    "You write the narrative paragraph of a global-macro fund's Morning Pack (Brazil and "
    "US). Use only the facts provided. Never write a digit yourself: cite every number as "
    "a placeholder, {{fact_id}} for the value as displayed, {{abs:fact_id}} for a change "
    "without its sign, {{dir:fact_id}} for its direction word (rose/fell). Name each "
    "entity exactly as given before its numbers, and next to each number the word of its "
    "label that says which fact it is (gross, net, MTD, in breach...). At most eight "
    "sentences, plain text, in {language}."
)
LANGUAGE = {"en": "English", "pt-BR": "Brazilian Portuguese"}


class NarrativeError(WorkbenchError):
    """The narrative could not be produced (API failure, bad answer); the pack falls back
    to the template and records why."""


@dataclass(frozen=True)
class LLMText:
    template: str
    model: str
    cached: bool


def api_key(settings: Settings | None = None) -> str | None:
    """``WORKBENCH_ANTHROPIC_API_KEY`` or ``ANTHROPIC_API_KEY`` (None: use the template)."""
    s = settings or get_settings()
    if s.anthropic_api_key is not None:
        return s.anthropic_api_key.get_secret_value()
    return os.environ.get("ANTHROPIC_API_KEY") or None


def prompt(sheet: FactSheet) -> str:
    facts = [
        {"id": f.id, "entity": f.entity, "label": f.label, "value": f.display(sheet.locale)}
        for f in sheet.facts
    ]
    return (
        f"Facts for the Morning Pack of {sheet.as_of} (JSON):\n"
        + json.dumps(facts, ensure_ascii=False, indent=0)
        + "\nWrite the narrative now."
    )


def llm_narrative(
    sheet: FactSheet, *, cache_dir: Path | None = None, settings: Settings | None = None
) -> LLMText:
    """Ask the model for a placeholder narrative (or read it from the cache)."""
    import anthropic

    s = settings or get_settings()
    key = api_key(s)
    if key is None:
        raise NarrativeError("no Anthropic API key configured")
    system = SYSTEM.replace("{language}", LANGUAGE[sheet.locale])
    user = prompt(sheet)
    digest = hashlib.sha256(f"{s.anthropic_model}\n{system}\n{user}".encode()).hexdigest()
    cached = cache_dir / f"{digest}.json" if cache_dir is not None else None
    if cached is not None and cached.exists():
        return LLMText(json.loads(cached.read_text("utf-8"))["text"], s.anthropic_model, True)
    client = anthropic.Anthropic(
        api_key=key,
        base_url=s.anthropic_base_url,
        timeout=s.anthropic_timeout_s,
        max_retries=s.anthropic_max_retries,
    )
    try:
        msg = client.messages.create(
            model=s.anthropic_model,
            max_tokens=1024,
            system=system,
            messages=[{"role": "user", "content": user}],
        )
    except anthropic.APIError as err:
        status = getattr(err, "status_code", None)
        what = f"HTTP {status}" if status else type(err).__name__
        raise NarrativeError(f"Anthropic API failed ({what}) after retries") from err
    text = "".join(getattr(b, "text", "") for b in msg.content).strip()
    if not text:
        raise NarrativeError("Anthropic API returned no text")
    if cached is not None:
        write_atomic(cached, json.dumps({"model": s.anthropic_model, "text": text}))
    return LLMText(text, s.anthropic_model, False)

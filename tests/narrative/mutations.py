"""Mutate a rendered Morning Pack narrative the ways a model gets numbers wrong.

Each mutation changes one rendered placeholder (or one entity name) and is kept only when
it makes a false claim, judged from the fact sheet by comparing displayed strings (not by
the checker under test): the new text for a number must not be the display of any fact of
the entity it is attributed to.
"""

from __future__ import annotations

import random
import re

from research_core.narrative.facts import (
    DIRECTION_WORDS,
    UNIT_TEXT,
    FactSheet,
    Span,
    format_date,
    format_number,
)

KINDS = ("digit_swap", "x10", "sign_flip", "bp_pct", "stale_date", "wrong_entity")


def _displays(sheet: FactSheet, entity: str) -> set[str]:
    out = set()
    for f in sheet.facts:
        if f.entity == entity:
            out.add(f.display(sheet.locale))
            out.add(f.display(sheet.locale, absolute=True))
    return out


def _replace(text: str, span: Span, new: str) -> str:
    return text[: span.start] + new + text[span.end :]


def _digit_swap(text: str, span: Span, rng: random.Random) -> str | None:
    s = text[span.start : span.end]
    pairs = [
        i for i in range(len(s) - 1) if s[i].isdigit() and s[i + 1].isdigit() and s[i] != s[i + 1]
    ]
    if not pairs:
        return None
    i = rng.choice(pairs)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def mutate(
    text: str, spans: list[Span], sheet: FactSheet, kind: str, rng: random.Random
) -> str | None:
    """One mutation of ``kind`` at a random eligible place, or None if none is effective."""
    loc = sheet.locale
    order = list(spans)
    rng.shuffle(order)
    for span in order:
        fact = sheet[span.fact_id]
        old = text[span.start : span.end]
        new: str | None = None
        if kind == "stale_date":
            if fact.unit == "date":
                new = format_date(fact.value - rng.randint(1, 7), loc)
        elif fact.unit == "date":
            continue
        elif span.what == "dir":
            if kind == "sign_flip" and fact.direction != 0:
                new = DIRECTION_WORDS[loc][-fact.direction]
                return _replace(text, span, new)
            continue
        elif kind == "digit_swap":
            new = _digit_swap(text, span, rng)
        elif kind == "x10":
            value = abs(fact.value) if span.what == "abs" else fact.value
            signed = fact.kind == "change" and span.what != "abs"
            new = format_number(value * 10, fact.decimals, loc, signed=signed)
            new += UNIT_TEXT[loc][fact.unit]
        elif kind == "sign_flip":
            if span.what == "value" and round(fact.value, fact.decimals) != 0:
                if old[0] == "+":
                    new = "−" + old[1:]
                elif old[0] == "−":
                    new = ("+" if fact.kind == "change" else "") + old[1:]
                else:
                    new = "−" + old
        elif kind == "bp_pct" and fact.unit in ("bp", "%"):
            a, b = UNIT_TEXT[loc]["bp"], UNIT_TEXT[loc]["%"]
            new = old.replace(a, b) if fact.unit == "bp" else old.replace(b, a)
        if new is None or new == old or new in _displays(sheet, fact.entity):
            continue
        return _replace(text, span, new)
    if kind == "wrong_entity":
        return _wrong_entity(text, spans, sheet, rng)
    return None


def _wrong_entity(text: str, spans: list[Span], sheet: FactSheet, rng: random.Random) -> str | None:
    entities = sorted({f.entity for f in sheet.facts})
    order = list(spans)
    rng.shuffle(order)
    for span in order:
        fact = sheet[span.fact_id]
        if fact.unit == "date":
            continue
        # the sentence holding this number, and its own entity's mentions in it
        start = max(text.rfind(". ", 0, span.start), text.rfind("; ", 0, span.start)) + 1
        stop = min(
            x for x in (text.find(". ", span.end), text.find("; ", span.end), len(text)) if x >= 0
        )
        sentence = text[start:stop]
        names = [fact.entity, *fact.aliases]
        if not any(n in sentence for n in names):
            continue
        others = [e for e in entities if e != fact.entity]
        rng.shuffle(others)
        for other in others:
            shown = [text[s.start : s.end] for s in spans if start <= s.start < stop
                     and s.what != "dir" and sheet[s.fact_id].entity == fact.entity]  # fmt: skip
            if all(x in _displays(sheet, other) for x in shown):
                continue  # every number is also true of the other entity: not a false claim
            pattern = re.compile(
                "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            )
            return text[:start] + pattern.sub(other, sentence) + text[stop:]
    return None

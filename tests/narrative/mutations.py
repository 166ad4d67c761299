"""Mutate a rendered Morning Pack narrative the ways a model gets numbers wrong.

Each mutation changes one rendered placeholder (or one entity name, or swaps two numbers)
and is kept only when it makes a false claim, judged from the fact sheet by comparing
displayed strings (not by the checker under test): the text now standing where a fact is
cited must not be a display of that fact (for ``wrong_entity``: of any fact of the entity
the number is now attributed to).

Kinds: digit swap, ×10, sign flip, bp↔%, stale date, wrong entity, ``swap`` (two numbers
of the same unit in one sentence change places: "gross −186 % and net 749 %", "2 in
breach and 1 near") and ``wrong_slot`` (a number takes the value of another fact of the
same entity: "Book: 749 % positions"; facts with the same label and kind are one quantity
in two units, like VaR in % of NAV and in BRL mn, and are not each other's wrong slot).
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from itertools import combinations

from research_core.narrative.facts import (
    DIRECTION_WORDS,
    UNIT_TEXT,
    Fact,
    FactSheet,
    Span,
    format_date,
    format_number,
    render,
)
from research_core.narrative.template import template_sentences

KINDS = (
    "digit_swap",
    "x10",
    "sign_flip",
    "bp_pct",
    "stale_date",
    "wrong_entity",
    "swap",
    "wrong_slot",
)


@dataclass(frozen=True)
class Pack:
    """A template narrative: its sheet, text, placeholder spans and sentence of each span."""

    sheet: FactSheet
    text: str
    spans: tuple[Span, ...]
    sentence: tuple[int, ...]  # index of the template sentence each span sits in
    swaps: tuple[tuple[int, int], ...] = field(default=(), repr=False)


def render_pack(sheet: FactSheet) -> Pack:
    """Render the template sentence by sentence (joined by a space, as the pack does)."""
    parts, spans, where, offset = [], [], [], 0
    for k, template in enumerate(template_sentences(sheet)):
        text, local = render(template, sheet)
        spans += [Span(s.fact_id, s.start + offset, s.end + offset, s.what) for s in local]
        where += [k] * len(local)
        parts.append(text)
        offset += len(text) + 1
    pack = Pack(sheet, " ".join(parts), tuple(spans), tuple(where))
    return Pack(pack.sheet, pack.text, pack.spans, pack.sentence, _swap_pairs(pack))


def _displays(sheet: FactSheet, fact: Fact) -> set[str]:
    return {fact.display(sheet.locale), fact.display(sheet.locale, absolute=True)}


def _entity_displays(sheet: FactSheet, entity: str) -> set[str]:
    return {d for f in sheet.facts if f.entity == entity for d in _displays(sheet, f)}


def _unit(fact: Fact) -> str:
    return "" if fact.unit == "count" else fact.unit


def _swap_pairs(pack: Pack) -> tuple[tuple[int, int], ...]:
    """Pairs of numbers in one sentence, same unit, whose exchange makes a false claim."""
    sheet, out = pack.sheet, []
    fact = {f.id: f for f in sheet.facts}
    cited = [i for i, s in enumerate(pack.spans) if s.what != "dir"]
    for i, j in combinations(cited, 2):
        if pack.sentence[i] != pack.sentence[j]:
            continue
        a, b = pack.spans[i], pack.spans[j]
        fa, fb = fact[a.fact_id], fact[b.fact_id]
        if _unit(fa) != _unit(fb) or fa.unit == "date":
            continue
        ta, tb = pack.text[a.start : a.end], pack.text[b.start : b.end]
        if tb not in _displays(sheet, fa) or ta not in _displays(sheet, fb):
            out.append((i, j))
    return tuple(out)


def _replace(text: str, span: Span, new: str) -> str:
    return text[: span.start] + new + text[span.end :]


def _swap(pack: Pack, rng: random.Random) -> str | None:
    if not pack.swaps:
        return None
    i, j = rng.choice(pack.swaps)
    a, b = pack.spans[i], pack.spans[j]
    ta, tb = pack.text[a.start : a.end], pack.text[b.start : b.end]
    return pack.text[: a.start] + tb + pack.text[a.end : b.start] + ta + pack.text[b.end :]


def _digit_swap(text: str, span: Span, rng: random.Random) -> str | None:
    s = text[span.start : span.end]
    pairs = [
        i for i in range(len(s) - 1) if s[i].isdigit() and s[i + 1].isdigit() and s[i] != s[i + 1]
    ]
    if not pairs:
        return None
    i = rng.choice(pairs)
    return s[:i] + s[i + 1] + s[i] + s[i + 2 :]


def _new_text(pack: Pack, span: Span, kind: str, rng: random.Random) -> str | None:
    """The wrong text ``kind`` puts where ``span`` was (None: not applicable here)."""
    sheet, loc, fact = pack.sheet, pack.sheet.locale, pack.sheet[span.fact_id]
    old = pack.text[span.start : span.end]
    if kind == "stale_date":
        return format_date(fact.value - rng.randint(1, 7), loc) if fact.unit == "date" else None
    if fact.unit == "date" or span.what == "dir":
        return None
    if kind == "digit_swap":
        return _digit_swap(pack.text, span, rng)
    if kind == "x10":
        value = abs(fact.value) if span.what == "abs" else fact.value
        signed = fact.kind == "change" and span.what != "abs"
        return (
            format_number(value * 10, fact.decimals, loc, signed=signed) + UNIT_TEXT[loc][fact.unit]
        )
    if kind == "sign_flip" and span.what == "value" and round(fact.value, fact.decimals) != 0:
        if old[0] in "+−":
            return ("−" if old[0] == "+" else "+" if fact.kind == "change" else "") + old[1:]
        return "−" + old
    if kind == "bp_pct" and fact.unit in ("bp", "%"):
        a, b = UNIT_TEXT[loc]["bp"], UNIT_TEXT[loc]["%"]
        return old.replace(a, b) if fact.unit == "bp" else old.replace(b, a)
    if kind == "wrong_slot":
        others = [f for f in sheet.facts if f.entity == fact.entity
                  and (f.label, f.kind) != (fact.label, fact.kind)]  # fmt: skip
        if others:
            other = rng.choice(others)
            return other.display(loc, absolute=span.what == "abs")
    return None


def mutate(pack: Pack, kind: str, rng: random.Random) -> str | None:
    """One mutation of ``kind`` at a random eligible place, or None if none is effective."""
    if kind == "swap":
        return _swap(pack, rng)
    order = list(pack.spans)
    rng.shuffle(order)
    for span in order:
        fact = pack.sheet[span.fact_id]
        if kind == "sign_flip" and span.what == "dir" and fact.direction != 0:
            loc = pack.sheet.locale
            return _replace(pack.text, span, DIRECTION_WORDS[loc][-fact.direction])
        new = _new_text(pack, span, kind, rng)
        if new is None or new in _displays(pack.sheet, fact):
            continue
        return _replace(pack.text, span, new)
    if kind == "wrong_entity":
        return _wrong_entity(pack, rng)
    return None


def _wrong_entity(pack: Pack, rng: random.Random) -> str | None:
    text, spans, sheet = pack.text, pack.spans, pack.sheet
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
            if all(x in _entity_displays(sheet, other) for x in shown):
                continue  # every number is also true of the other entity: not a false claim
            pattern = re.compile(
                "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            )
            return text[:start] + pattern.sub(other, sentence) + text[stop:]
    return None

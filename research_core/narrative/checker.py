"""Check every number left in a narrative against the fact sheet.

Each number (en ``1,234.56`` or pt-BR ``1.234,56``; ``+``/``-``/``−`` signs; units ``%``,
``bp``/``pb``, ``pp``/``p.p.``, ``BRL mn``/``R$ mi``; dates ``2026-10-30``/``30/10/2026``) is
tied to the entity named nearest before it in its sentence (else the first one after it)
and to a direction word between them (``rose``/``fell``, ``subiu``/``caiu``...). It passes
when a fact of that entity has the same unit and a value within half a unit of the
number's last displayed digit, with the sign the text gives it. Anything else — an unknown
number, a wrong unit, a wrong entity, a contradicting direction word, a date no fact
has — is a problem, and the pack falls back to its template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from research_core.narrative.facts import Fact, FactSheet, entity_names

DIRECTIONS = {
    1: (
        "rose",
        "rises",
        "risen",
        "up",
        "higher",
        "gained",
        "gains",
        "climbed",
        "increased",
        "advanced",
        "widened",
        "rallied",
        "subiu",
        "sobe",
        "avançou",
        "alta",
        "ganhou",
        "aumentou",
        "abriu",
    ),
    -1: (
        "fell",
        "falls",
        "fallen",
        "down",
        "lower",
        "lost",
        "dropped",
        "declined",
        "decreased",
        "slipped",
        "narrowed",
        "eased",
        "caiu",
        "cai",
        "recuou",
        "queda",
        "baixa",
        "perdeu",
        "diminuiu",
        "fechou",
    ),
    0: ("unchanged", "flat", "stable", "estável", "inalterado", "inalterada"),
}
_WORD_SIGN = {w: s for s, words in DIRECTIONS.items() for w in words}
_SIGN = r"(?P<sign>[+\-−]\s?)?"
_UNIT = r"(?P<unit>\s?(?:%|bps|bp|pb|p\.p\.|pp|BRL\s?mn|R\$\s?mi))?"
NUMBER = {
    "en": re.compile(
        _SIGN + r"(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?:\.(?P<frac>\d+))?(?![\d])" + _UNIT
    ),
    "pt-BR": re.compile(
        _SIGN + r"(?P<int>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<frac>\d+))?(?![\d])" + _UNIT
    ),
}
DATES = re.compile(r"\b(?:(?P<iso>\d{4}-\d{2}-\d{2})|(?P<br>\d{2}/\d{2}/\d{4}))\b")
UNIT_OF = {
    "%": "%", "bp": "bp", "bps": "bp", "pb": "bp", "pp": "pp", "p.p.": "pp",
    "brl mn": "BRL mn", "brlmn": "BRL mn", "r$ mi": "BRL mn", "r$mi": "BRL mn", "": "",
}  # fmt: skip
_SENTENCE = re.compile(r"(?<=[.;!?])\s+|\n+")


@dataclass(frozen=True)
class Problem:
    """One number the facts do not support."""

    text: str
    entity: str | None
    reason: str


@dataclass(frozen=True)
class CheckResult:
    """The numbers found and the problems among them (``ok`` when there are none)."""

    numbers: int
    problems: tuple[Problem, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        if self.ok:
            return f"narrative checked: {self.numbers} numbers, all match the fact sheet"
        lines = [f"narrative rejected: {len(self.problems)} of {self.numbers} numbers unsupported"]
        lines += [f"  {p.text!r} ({p.entity or 'no entity'}): {p.reason}" for p in self.problems]
        return "\n".join(lines)


@dataclass
class _Token:
    start: int
    end: int
    text: str
    kind: str  # "entity", "dir", "number", "date"
    entity: str = ""
    sign: int = 0
    value: float = 0.0
    decimals: int = 0
    unit: str = ""
    signed: bool = False


def _alias_pattern(names: list[str]) -> re.Pattern[str]:
    parts = []
    for n in sorted(names, key=len, reverse=True):
        esc = re.escape(n).replace(r"\ ", r"\s*").replace("%", r"\s?%")
        parts.append(esc)
    return re.compile(r"(?<![\w/])(?:" + "|".join(parts) + r")(?![\w])", re.IGNORECASE)


def _tokens(
    sentence: str, names: dict[str, str], alias_re: re.Pattern[str], locale: str
) -> list[_Token]:
    toks: list[_Token] = []
    taken = [False] * len(sentence)

    def free(a: int, b: int) -> bool:
        return not any(taken[a:b])

    def take(a: int, b: int) -> None:
        for i in range(a, b):
            taken[i] = True

    lowered = {k.lower(): v for k, v in names.items()}
    for m in alias_re.finditer(sentence):
        key = re.sub(r"\s+", " ", m.group(0).lower()).replace(" %", "%")
        entity = lowered.get(key) or _fuzzy(key, lowered)
        toks.append(_Token(m.start(), m.end(), m.group(0), "entity", entity=entity))
        take(m.start(), m.end())
    for m in DATES.finditer(sentence):
        if free(m.start(), m.end()):
            import pandas as pd

            raw = m.group("iso") or m.group("br")
            try:
                day = (
                    pd.Timestamp(raw)
                    if m.group("iso")
                    else pd.Timestamp(f"{raw[6:10]}-{raw[3:5]}-{raw[0:2]}")
                )
            except ValueError:
                toks.append(_Token(m.start(), m.end(), raw, "date", value=float("nan")))
                take(m.start(), m.end())
                continue
            days = float((day - pd.Timestamp("1970-01-01")).days)
            toks.append(_Token(m.start(), m.end(), raw, "date", value=days, unit="date"))
            take(m.start(), m.end())
    for m in NUMBER[locale].finditer(sentence):
        a = m.start("int") if m.group("sign") is None else m.start()
        if not free(m.start("int"), m.end("int")):
            continue
        if a > 0 and (sentence[a - 1].isalnum() or sentence[a - 1] in "_/"):
            continue  # part of a word or identifier ("Q3", "x2")
        thousands = "," if locale == "en" else "."
        whole = m.group("int").replace(thousands, "")
        frac = m.group("frac") or ""
        value = float(f"{whole}.{frac}" if frac else whole)
        sign = m.group("sign")
        if sign and sign.strip() in "-−":
            value = -value
        unit_raw = (m.group("unit") or "").strip().lower()
        unit = UNIT_OF.get(unit_raw, UNIT_OF.get(re.sub(r"\s+", "", unit_raw), ""))
        toks.append(
            _Token(a, m.end(), m.group(0), "number", value=value, decimals=len(frac), unit=unit,
                   signed=bool(sign))
        )  # fmt: skip
        take(a, m.end())
    for m in re.finditer(r"[^\W\d_]+", sentence):
        w = m.group(0).lower()
        if w in _WORD_SIGN and free(m.start(), m.end()):
            toks.append(_Token(m.start(), m.end(), m.group(0), "dir", sign=_WORD_SIGN[w]))
    return sorted(toks, key=lambda t: t.start)


def _fuzzy(key: str, lowered: dict[str, str]) -> str:
    squeezed = key.replace(" ", "")
    for k, v in lowered.items():
        if k.replace(" ", "") == squeezed:
            return v
    return key


def _matches(tok: _Token, fact: Fact, direction: int | None) -> bool:
    """Same unit, and the value within half a unit of the token's last displayed digit;
    a change takes its sign from the token, else from the direction word."""
    if fact.unit == "date" or tok.unit == "date":
        return fact.unit == tok.unit and abs(fact.value - tok.value) < 0.5
    if ("" if fact.unit == "count" else fact.unit) != tok.unit:
        return False
    if tok.decimals > fact.decimals:
        return False  # more digits than the pack displays: precision nobody gave it
    tol = 0.5 * 10.0 ** (-tok.decimals) + 1e-9
    if fact.kind == "level" and tok.signed and tok.value >= 0:
        return False  # "+3 %" states a change, not a level
    if fact.kind == "level" or tok.signed:
        return abs(fact.value - tok.value) <= tol
    if direction is None:
        return abs(abs(fact.value) - abs(tok.value)) <= tol
    if direction == 0:
        return abs(fact.value) <= tol and abs(tok.value) <= tol
    return abs(fact.value - direction * abs(tok.value)) <= tol


def check_narrative(text: str, sheet: FactSheet) -> CheckResult:
    """Every number in ``text`` against ``sheet`` (in the sheet's locale)."""
    names = entity_names(sheet.facts)
    alias_re = _alias_pattern(list(names))
    facts_of: dict[str, list[Fact]] = {}
    for f in sheet.facts:
        facts_of.setdefault(f.entity, []).append(f)
    problems: list[Problem] = []
    count = 0
    for sentence in _SENTENCE.split(text):
        toks = _tokens(sentence, names, alias_re, sheet.locale)
        entity: str | None = None
        direction: int | None = None
        for i, tok in enumerate(toks):
            if tok.kind == "entity":
                entity, direction = tok.entity, None
            elif tok.kind == "dir":
                direction = tok.sign
            elif tok.kind in ("number", "date"):
                count += 1
                who = entity or next((t.entity for t in toks[i + 1 :] if t.kind == "entity"), None)
                problem = _judge(tok, who, direction, facts_of, sheet)
                if problem:
                    problems.append(Problem(tok.text, who, problem))
                direction = None
    return CheckResult(count, tuple(problems))


def _judge(
    tok: _Token,
    entity: str | None,
    direction: int | None,
    facts_of: dict[str, list[Fact]],
    sheet: FactSheet,
) -> str | None:
    if tok.kind == "date" and tok.value != tok.value:
        return "not a valid date"
    if entity is None:
        return "no entity named in its sentence"
    candidates = facts_of.get(entity, [])
    if not candidates:
        return f"no facts about {entity}"
    contradicts = direction not in (None, 0) and (tok.value > 0) != (direction > 0)
    if tok.signed and tok.value != 0 and contradicts:
        return "its sign contradicts the direction word"
    if any(_matches(tok, f, direction) for f in candidates):
        return None
    units = sorted({f.unit for f in candidates})
    if tok.unit not in units and not (tok.unit == "" and "count" in units):
        return f"unit {tok.unit or 'none'!r} not among {entity}'s facts ({units})"
    return "no fact of this entity has this value (within half a displayed digit)"

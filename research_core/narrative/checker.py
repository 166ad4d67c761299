"""Check every number left in a narrative against the fact sheet, fact by fact.

Each number (en ``1,234.56`` or pt-BR ``1.234,56``; ``+``/``-``/``−`` signs; units ``%``,
``bp``/``pb``, ``pp``/``p.p.``, ``BRL mn``/``R$ mi``; dates ``2026-10-30``/``30/10/2026``) is
bound to the one fact it states:

- its entity: the one named nearest before it in its sentence (else the first one after);
- its attribute: the entity's fact whose cue word (``gross``, ``net``, ``MTD``, ``in
  breach``... see ``Fact.cues``) sits nearest to it in its clause (clauses end at commas,
  brackets, colons and ``and``/``e``); a number of an entity with several cued facts in
  its unit must have one;
- level or change, where the entity has both in the number's unit: ``at``/``to``/``is``/
  ``em``/``para``/``é`` just before it, or no sign, make it a level; a ``+``, a direction
  word (``rose``/``fell``, ``subiu``/``caiu``...) or an opening bracket, a change.

It passes when that fact has the same unit and a value within half a unit of the number's
last displayed digit, with the sign the text (or its direction word) gives it. Anything
else — an unknown number, a wrong unit, entity or attribute, a contradicting direction
word, a date no fact has — is a problem, and the pack falls back to its template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

from research_core.narrative.facts import Fact, FactSheet, by_entity

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
_CLAUSE_END = re.compile(
    r"[,():—]|(?<![\w])(?:and|e|but|mas|while|with|com)(?![\w])", re.IGNORECASE
)
_LEVEL_WORD = re.compile(r"(?<![\w])(?:at|to|is|em|para|é|está)\s*$", re.IGNORECASE)
_EPOCH = date(1970, 1, 1)


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


@dataclass(frozen=True)
class _Token:
    start: int
    end: int
    text: str
    kind: str  # "entity", "cue", "dir", "number", "date"
    entity: str = ""
    sign: int = 0
    value: float = 0.0
    decimals: int = 0
    unit: str = ""
    signed: bool = False
    facts: frozenset[str] = frozenset()  # a cue's fact ids


@dataclass(frozen=True, eq=False)
class _Vocabulary:
    """The words a sheet lets the text use: entity names (with aliases) and cue words."""

    names: dict[str, str]  # lower-case name -> entity
    cues: dict[str, frozenset[str]]  # lower-case cue -> fact ids
    ids_of: dict[str, frozenset[str]]  # entity -> its fact ids
    alias_re: re.Pattern[str]
    cue_re: re.Pattern[str] | None
    locale: str


_Words = tuple[tuple[str, str, tuple[str, ...], tuple[str, ...]], ...]  # id, entity, aliases, cues


@lru_cache(maxsize=64)
def _vocabulary(words: _Words, locale: str) -> _Vocabulary:
    """Built once per set of names (sheets of different days share it)."""
    names: dict[str, str] = {}
    cues: dict[str, set[str]] = {}
    ids_of: dict[str, set[str]] = {}
    for fid, entity, aliases, fact_cues in words:
        for name in (entity, *aliases):
            names[name] = entity
        for cue in fact_cues:
            cues.setdefault(_key(cue), set()).add(fid)
        ids_of.setdefault(entity, set()).add(fid)
    all_cues = sorted({c for *_, fact_cues in words for c in fact_cues})
    return _Vocabulary(
        {_key(k): v for k, v in names.items()},
        {k: frozenset(v) for k, v in cues.items()},
        {k: frozenset(v) for k, v in ids_of.items()},
        _word_pattern(tuple(sorted(names))),
        _word_pattern(tuple(all_cues)) if all_cues else None,
        locale,
    )


def _key(name: str) -> str:
    return re.sub(r"\s+", " ", name.lower()).replace(" %", "%")


def _word_pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    """Any of ``names`` as whole words (longest first), case-insensitive."""
    parts = []
    for n in sorted(names, key=len, reverse=True):
        esc = re.escape(n).replace(r"\ ", r"\s*").replace("%", r"\s?%")
        parts.append(esc)
    # not inside a word or a dotted identifier ("ES" in "ES.FUT", "CDS" in "BR.CDS.5Y")
    alternatives = "|".join(parts)
    return re.compile(rf"(?<![\w/])(?<!\w\.)(?:{alternatives})(?![\w])(?!\.\w)", re.IGNORECASE)


def _tokens(sentence: str, vocab: _Vocabulary) -> list[_Token]:
    """Entities, dates, numbers, cue words and direction words, in order (no overlaps)."""
    taken = [False] * len(sentence)

    def claim(a: int, b: int) -> bool:
        if any(taken[a:b]):
            return False
        taken[a:b] = [True] * (b - a)
        return True

    toks: list[_Token] = []
    for m in vocab.alias_re.finditer(sentence):
        key = _key(m.group(0))
        entity = vocab.names.get(key) or _fuzzy(key, vocab.names)
        claim(m.start(), m.end())
        toks.append(_Token(m.start(), m.end(), m.group(0), "entity", entity=entity))
    for m in DATES.finditer(sentence):
        if claim(m.start(), m.end()):
            toks.append(_date_token(m))
    for m in NUMBER[vocab.locale].finditer(sentence):
        tok = _number_token(m, sentence, vocab.locale)
        if tok is not None and not any(taken[m.start("int") : m.end("int")]):
            taken[tok.start : tok.end] = [True] * (tok.end - tok.start)
            toks.append(tok)
    for m in vocab.cue_re.finditer(sentence) if vocab.cue_re is not None else ():
        if claim(m.start(), m.end()):
            ids = vocab.cues.get(_key(m.group(0)), frozenset())
            toks.append(_Token(m.start(), m.end(), m.group(0), "cue", facts=ids))
    for m in re.finditer(r"[^\W\d_]+", sentence):
        w = m.group(0).lower()
        if w in _WORD_SIGN and claim(m.start(), m.end()):
            toks.append(_Token(m.start(), m.end(), m.group(0), "dir", sign=_WORD_SIGN[w]))
    return sorted(toks, key=lambda t: t.start)


def _date_token(m: re.Match[str]) -> _Token:
    raw = m.group("iso") or m.group("br")
    y, mo, d = (
        (raw[0:4], raw[5:7], raw[8:10]) if m.group("iso") else (raw[6:10], raw[3:5], raw[0:2])
    )
    try:
        days = float((date(int(y), int(mo), int(d)) - _EPOCH).days)
    except ValueError:
        return _Token(m.start(), m.end(), raw, "date", value=float("nan"))
    return _Token(m.start(), m.end(), raw, "date", value=days, unit="date")


def _number_token(m: re.Match[str], sentence: str, locale: str) -> _Token | None:
    """The number ``m`` matched, or None when it is part of a word or identifier (``Q3``,
    ``x2``, ``UST.10Y.FUT``)."""
    a = m.start("int") if m.group("sign") is None else m.start()
    before = sentence[max(a - 2, 0) : a]
    if before[-1:].isalnum() or before[-1:] in ("_", "/"):
        return None
    if before[-1:] == "." and before[:1].isalnum():
        return None
    thousands = "," if locale == "en" else "."
    whole = m.group("int").replace(thousands, "")
    frac = m.group("frac") or ""
    value = float(f"{whole}.{frac}" if frac else whole)
    sign = m.group("sign")
    if sign and sign.strip() in "-−":
        value = -value
    unit_raw = (m.group("unit") or "").strip().lower()
    unit = UNIT_OF.get(unit_raw, UNIT_OF.get(re.sub(r"\s+", "", unit_raw), ""))
    return _Token(a, m.end(), m.group(0), "number", value=value, decimals=len(frac), unit=unit,
                  signed=bool(sign))  # fmt: skip


def _fuzzy(key: str, lowered: dict[str, str]) -> str:
    squeezed = key.replace(" ", "")
    for k, v in lowered.items():
        if k.replace(" ", "") == squeezed:
            return v
    return key


def _unit_ok(tok: _Token, fact: Fact) -> bool:
    if fact.unit == "date" or tok.unit == "date":
        return fact.unit == tok.unit
    return ("" if fact.unit == "count" else fact.unit) == tok.unit


def _matches(tok: _Token, fact: Fact, direction: int | None) -> bool:
    """Same unit, and the value within half a unit of the token's last displayed digit;
    a change takes its sign from the token, else from the direction word."""
    if not _unit_ok(tok, fact):
        return False
    if fact.unit == "date":
        return abs(fact.value - tok.value) < 0.5
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
    words = tuple((f.id, f.entity, f.aliases, f.cues) for f in sheet.facts)
    vocab = _vocabulary(words, sheet.locale)
    facts_of = by_entity(sheet.facts)
    problems: list[Problem] = []
    count = 0
    for sentence in _SENTENCE.split(text):
        for num in _parse(sentence, vocab):
            count += 1
            problem = _judge(num, facts_of, sheet.locale)
            if problem:
                problems.append(Problem(num.tok.text, num.entity, problem))
    return CheckResult(count, tuple(problems))


@dataclass(frozen=True)
class _Number:
    """A number and what its sentence says it is: entity, direction word, the facts its
    nearest cue names (None: no cue), level or change ("either": the words do not say) and
    whether words say so (``strong``) or only the missing sign does."""

    tok: _Token
    entity: str | None
    direction: int | None
    named: frozenset[str] | None
    kind: str
    strong: bool


@lru_cache(maxsize=4096)
def _parse(sentence: str, vocab: _Vocabulary) -> tuple[_Number, ...]:
    """The numbers of one sentence, bound to what the words say (no values involved)."""
    toks = _tokens(sentence, vocab)
    out = []
    entity: str | None = None
    direction: int | None = None
    for i, tok in enumerate(toks):
        if tok.kind == "entity":
            entity, direction = tok.entity, None
        elif tok.kind == "dir":
            direction = tok.sign
        elif tok.kind in ("number", "date"):
            who = entity or next((t.entity for t in toks[i + 1 :] if t.kind == "entity"), None)
            named = _cue(toks, i, sentence, vocab.ids_of.get(who or "", frozenset()))
            out.append(_Number(tok, who, direction, named, *_kind(tok, sentence, direction)))
            direction = None
    return tuple(out)


def _cue(toks: list[_Token], i: int, sentence: str, ids: frozenset[str]) -> frozenset[str] | None:
    """Fact ids (among ``ids``) named by the cue nearest to number ``i`` in its clause; a
    tie goes to the cue before the number."""
    tok = toks[i]
    bounds = [t for t in toks if t.kind in ("number", "date") and t is not tok]
    lo = max((t.end for t in bounds if t.end <= tok.start), default=0)
    hi = min((t.start for t in bounds if t.start >= tok.end), default=len(sentence))
    cuts = [m.end() for m in _CLAUSE_END.finditer(sentence, lo, tok.start)]
    left = cuts[-1] if cuts else lo
    stop = _CLAUSE_END.search(sentence, tok.end, hi)
    right = stop.start() if stop else hi
    best: tuple[tuple[int, int], frozenset[str]] | None = None
    for t in toks:
        named = t.facts & ids if t.kind == "cue" else frozenset()
        if not named:
            continue
        if left <= t.start and t.end <= tok.start:
            rank = (tok.start - t.end, 0)
        elif tok.end <= t.start and t.end <= right:
            rank = (t.start - tok.end, 1)
        else:
            continue
        if best is None or rank < best[0]:
            best = (rank, named)
    return best[1] if best else None


def _kind(tok: _Token, sentence: str, direction: int | None) -> tuple[str, bool]:
    """A level after at/to/is/em/para/é/está; a change after a "+", a direction word or
    an opening bracket (said by words: strong); else a level if unsigned, "either" for "−"."""
    before = sentence[max(tok.start - 12, 0) : tok.start]
    if _LEVEL_WORD.search(before):
        return "level", True
    if (tok.signed and tok.value >= 0) or direction is not None or before.rstrip()[-1:] == "(":
        return "change", True
    return ("either", False) if tok.signed else ("level", False)


def _judge(num: _Number, facts_of: dict[str, list[Fact]], locale: str) -> str | None:
    tok, entity, direction = num.tok, num.entity, num.direction
    if tok.kind == "date" and tok.value != tok.value:
        return "not a valid date"
    if entity is None:
        return "no entity named in its sentence"
    facts = facts_of.get(entity, [])
    if not facts:
        return f"no facts about {entity}"
    contradicts = direction not in (None, 0) and (tok.value > 0) != (direction > 0)
    if tok.signed and tok.value != 0 and contradicts:
        return "its sign contradicts the direction word"
    named = [f for f in facts if num.named is None or f.id in num.named]
    cands = [f for f in named if _unit_ok(tok, f)]
    if not cands:
        units = sorted({f.unit for f in named})
        what = f"{entity}'s {_labels(named)}" if num.named else f"{entity}'s facts"
        return f"unit {tok.unit or 'none'!r} not among {what} ({units})"
    # level or change: words decide wherever the entity has that kind of fact, a bare
    # missing sign only between a level and a change of the same unit
    if num.kind in {f.kind for f in (named if num.strong else cands)} and (
        num.strong or len({f.kind for f in cands}) == 2
    ):
        cands = [f for f in cands if f.kind == num.kind]
        if not cands:
            unit = tok.unit or "no unit"
            return f"reads as a {num.kind}, and {entity} has no {num.kind} in {unit!r}"
    if num.named is None and sum(1 for f in cands if f.cues) >= 2:
        return f"does not say which of {entity}'s facts it states ({_labels(cands)})"
    if any(_matches(tok, f, direction) for f in cands):
        return None
    if len(cands) == 1:
        return f"{entity}'s {cands[0].label or cands[0].id} is {cands[0].display(locale)}"
    return "no fact of this entity has this value (within half a displayed digit)"


def _labels(facts: list[Fact]) -> str:
    return ", ".join(f.label or f.id for f in facts)

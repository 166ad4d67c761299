"""English hawkish/dovish phrase matching on the vendored ``data/hawkdove_v1.csv``.

A re-implementation of cbtone 0.1.4's ``dict-v1`` matcher (Apache-2.0; see ``data/README.md``):
lower-case word tokens, a crude suffix stemmer applied alike to terms and text, longest
phrase first (then heaviest), up to ``MAX_GAP`` filler words between a phrase's tokens, and
a phrase's polarity flipped by a negator within ``NEGATION_WINDOW`` tokens before it.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from research_core.errors import ToneError

NEGATORS = frozenset({"not", "no", "never", "without", "neither", "nor", "less"})
NEGATION_WINDOW = 5
FILLERS = frozenset(
    {"the", "a", "an", "its", "our", "their", "of", "in", "for", "policy", "interest", "key"}
    | {"benchmark", "target", "official"}
)
MAX_GAP = 2
_TOKEN = re.compile(r"[^\W_]+")


@dataclass(frozen=True)
class Entry:
    """One lexicon row: the term's stems, polarity and weight."""

    term: str
    stems: tuple[str, ...]
    polarity: str
    weight: float


@dataclass(frozen=True)
class Hit:
    """A matched phrase; ``polarity`` is the effective one, after negation."""

    span: str
    polarity: str
    weight: float
    negated: bool


def tokenize(text: str) -> list[str]:
    return _TOKEN.findall(text.lower())


def stem(token: str) -> str:
    """Strip one common suffix so raise/raised/raising and rate/rates share a stem."""
    t = token
    if len(t) > 4 and t.endswith("ies"):
        t = t[:-3] + "y"
    elif len(t) > 5 and t.endswith("ing"):
        t = _undouble(t[:-3])
    elif len(t) > 4 and t.endswith("ed"):
        t = _undouble(t[:-2])
    elif len(t) > 4 and t.endswith("es"):
        t = t[:-2]
    elif len(t) > 3 and t.endswith("s") and not t.endswith("ss"):
        t = t[:-1]
    if len(t) > 3 and t.endswith("e"):
        t = t[:-1]
    return t


def _undouble(t: str) -> str:
    return t[:-1] if len(t) > 2 and t[-1] == t[-2] and t[-1] not in "ls" else t


@lru_cache(maxsize=1)
def lexicon() -> dict[str, tuple[Entry, ...]]:
    """Entries by the stem of their first token, longest phrase first, then heaviest."""
    raw = (resources.files("research_core.tone") / "data" / "hawkdove_v1.csv").read_text("utf-8")
    by_first: dict[str, list[Entry]] = {}
    for row in csv.DictReader(raw.splitlines()):
        term = row["term"].strip().lower()
        stems = tuple(stem(t) for t in tokenize(term))
        polarity, weight = row["polarity"].strip(), float(row["weight"])
        if polarity not in ("hawkish", "dovish") or weight <= 0 or not stems:
            raise ToneError(f"hawkdove_v1.csv: bad row for term {term!r}")
        by_first.setdefault(stems[0], []).append(Entry(term, stems, polarity, weight))
    return {
        k: tuple(sorted(v, key=lambda e: (-len(e.stems), -e.weight, e.term)))
        for k, v in by_first.items()
    }


def _phrase_end(tokens: list[str], stems: list[str], i: int, want: tuple[str, ...]) -> int:
    """Exclusive end index if ``want`` matches from ``i`` (filler gaps allowed), else -1."""
    j = i
    for target in want[1:]:
        gap = 0
        j += 1
        while j < len(stems) and stems[j] != target and tokens[j] in FILLERS and gap < MAX_GAP:
            j += 1
            gap += 1
        if j >= len(stems) or stems[j] != target:
            return -1
    return j + 1


def find_hits(sentence: str) -> list[Hit]:
    """Left-to-right, longest-match, non-overlapping hits in one sentence, negation applied."""
    tokens = tokenize(sentence)
    stems = [stem(t) for t in tokens]
    by_first = lexicon()
    hits: list[Hit] = []
    i = 0
    while i < len(tokens):
        for e in by_first.get(stems[i], ()):
            end = _phrase_end(tokens, stems, i, e.stems)
            if end < 0:
                continue
            window = range(max(0, i - NEGATION_WINDOW), i)
            neg = next((k for k in window if tokens[k] in NEGATORS), None)
            polarity = e.polarity
            if neg is not None:
                polarity = "dovish" if polarity == "hawkish" else "hawkish"
            span = " ".join(tokens[(i if neg is None else neg) : end])
            hits.append(Hit(span, polarity, e.weight, neg is not None))
            i = end - 1
            break
        i += 1
    return hits

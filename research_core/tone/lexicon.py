"""The Portuguese phrase lexicon (``lexicon.yaml``) compiled into token patterns.

A term is a sequence of token patterns; a pattern ending in ``*`` is a prefix. Terms are
matched on lower-case, accent-free tokens (:func:`research_core.tone.text.plain`).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Any

import yaml

from research_core.errors import ToneError
from research_core.tone.text import plain

Pattern = tuple[str, ...]


@dataclass(frozen=True)
class Term:
    """One lexicon term: its token patterns, group and signed weight."""

    patterns: Pattern
    group: str
    sign: float
    standalone: float = 0.0

    def match(self, toks: list[str], i: int) -> int:
        """End index (exclusive) if the term matches at ``i``, else -1."""
        if i + len(self.patterns) > len(toks):
            return -1
        for k, p in enumerate(self.patterns):
            t = toks[i + k]
            if not (t.startswith(p[:-1]) if p.endswith("*") else t == p):
                return -1
        return i + len(self.patterns)


@dataclass(frozen=True)
class Lexicon:
    """Nouns, direction words, standalone phrases and the rules' parameters."""

    nouns: tuple[Term, ...]
    directions: tuple[Term, ...]
    phrases: tuple[Term, ...]
    negators: frozenset[str]
    guidance: tuple[Pattern, ...]
    window: int
    negation_window: int
    guidance_weight: float


def _patterns(term: str) -> Pattern:
    return tuple(plain(term).split())


def _terms(groups: dict[str, Any], *, kind: str) -> list[Term]:
    out = []
    for group, spec in groups.items():
        try:
            for t in spec["terms"]:
                out.append(
                    Term(
                        _patterns(str(t)),
                        group,
                        float(spec["sign"]),
                        float(spec.get("standalone", 0)),
                    )
                )
        except (KeyError, TypeError, ValueError) as err:
            raise ToneError(f"lexicon.yaml: {kind} group {group!r} is malformed: {err}") from err
    return sorted(out, key=lambda t: -len(t.patterns))  # longest first


@lru_cache(maxsize=1)
def portuguese() -> Lexicon:
    """The shipped Portuguese lexicon (read once)."""
    raw = yaml.safe_load(
        resources.files("research_core.tone").joinpath("lexicon.yaml").read_text("utf-8")
    )
    pt = raw["pt"]
    phrases: list[Term] = []
    for group, entries in pt["phrases"].items():
        for e in entries:
            w = float(e["weight"])
            phrases += [Term(_patterns(str(t)), group, w) for t in e["terms"]]
    return Lexicon(
        nouns=tuple(_terms(pt["nouns"], kind="noun")),
        directions=tuple(_terms(pt["directions"], kind="direction")),
        phrases=tuple(sorted(phrases, key=lambda t: -len(t.patterns))),
        negators=frozenset(plain(n) for n in pt["negators"]),
        guidance=tuple(_patterns(str(g)) for g in pt["guidance_markers"]),
        window=int(pt["window"]),
        negation_window=int(pt["negation_window"]),
        guidance_weight=float(pt["guidance_weight"]),
    )

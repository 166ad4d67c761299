"""Hawkish/dovish tone of a central-bank text, with the phrases that drove it.

Portuguese uses the shipped phrase lexicon (``lexicon.yaml``: economic noun x direction
word, after Apel & Blix Grimaldi 2012, plus negation, forward-guidance and balance-of-risks
rules). English uses cbtone's lexicon (``data/hawkdove_v1.csv``, Apache-2.0, vendored) and
its matcher, re-implemented in :mod:`.english`. In both, the sentences that state the
decision are masked first (:mod:`.text`).

The score is ``(h - d) / (h + d + n)`` with ``h``/``d`` the summed hawkish/dovish weights
and ``n = 1 + 0.5 * sentences`` a neutral mass, cbtone's ``dict-v1`` formula: in [-1, 1],
positive = hawkish, and a single phrase in a long text moves it little.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property, lru_cache

import pandas as pd

from research_core.errors import ToneError
from research_core.tone import english
from research_core.tone.lexicon import Lexicon, Term, portuguese
from research_core.tone.text import Language, mask_decision, plain, sentences, tokens

NEUTRAL_BASE = 1.0
NEUTRAL_PER_SENTENCE = 0.5


@dataclass(frozen=True)
class Driver:
    """One matched phrase: where, what, and its signed contribution (+ hawkish)."""

    sentence: int
    phrase: str
    group: str
    weight: float
    negated: bool = False


@dataclass(frozen=True)
class ToneResult:
    """The tone of one document: score, the kept and masked sentences, and the drivers."""

    score: float
    language: str
    sentences: tuple[str, ...]
    masked: tuple[str, ...]
    drivers: tuple[Driver, ...]

    @property
    def hawkish(self) -> float:
        return float(sum(d.weight for d in self.drivers if d.weight > 0))

    @property
    def dovish(self) -> float:
        return float(-sum(d.weight for d in self.drivers if d.weight < 0))

    @cached_property
    def by_sentence(self) -> pd.DataFrame:
        """Net weight per kept sentence, strongest first (the sentences that drove the score)."""
        frame = self.to_frame()
        net = frame.groupby("sentence")["weight"].sum() if len(frame) else pd.Series(dtype=float)
        out = pd.DataFrame({"text": list(self.sentences)})
        out["net"] = net.reindex(out.index).fillna(0.0)
        return out.loc[out["net"].abs().sort_values(ascending=False).index]

    def to_frame(self) -> pd.DataFrame:
        """One row per driver phrase."""
        cols = ["sentence", "phrase", "group", "weight", "negated"]
        return pd.DataFrame([d.__dict__ for d in self.drivers], columns=cols)

    def summary(self) -> str:
        top = self.by_sentence.head(3)
        lines = [
            f"tone {self.score:+.2f} ({self.language}; hawkish {self.hawkish:.1f}, dovish "
            f"{self.dovish:.1f}; {len(self.sentences)} sentences scored, {len(self.masked)} masked)"
        ]
        for text, net in zip(top["text"], top["net"], strict=True):
            if net:
                lines.append(f"  {net:+.1f}  {str(text)[:110]}")
        return "\n".join(lines)


def tone(text: str, language: Language = "pt") -> ToneResult:
    """Tone of ``text`` (plain text) in [-1, 1], positive = hawkish, decision sentence masked."""
    if language not in ("pt", "en"):
        raise ToneError(f"tone: language must be 'pt' or 'en', got {language!r}")
    if not isinstance(text, str):
        raise ToneError(f"tone: text must be a str, got {type(text).__name__}")
    kept, masked = mask_decision(sentences(text), language)
    drivers: list[Driver] = []
    for i, s in enumerate(kept):
        found = _portuguese(s, portuguese()) if language == "pt" else _english(s)
        drivers += [Driver(i, *d) for d in found]
    h = sum(d.weight for d in drivers if d.weight > 0)
    d = -sum(d.weight for d in drivers if d.weight < 0)
    n = NEUTRAL_BASE + NEUTRAL_PER_SENTENCE * len(kept)
    score = (h - d) / (h + d + n)
    return ToneResult(float(score), language, tuple(kept), tuple(masked), tuple(drivers))


def _negated(norm: list[str], start: int, lex: Lexicon, last: int | None = None) -> bool:
    """A negator within ``negation_window`` tokens before the phrase, or inside it."""
    span = norm[max(0, start - lex.negation_window) : last if last is not None else start]
    return any(t in lex.negators for t in span)


def _matches(
    terms: tuple[Term, ...], norm: list[str], used: set[int]
) -> list[tuple[int, int, Term]]:
    """Non-overlapping matches, longest term first, skipping tokens already ``used``."""
    index = _index(terms)
    out = []
    i = 0
    while i < len(norm):
        for t in index.get(norm[i][:3], ()):
            end = t.match(norm, i)
            if end > 0 and not used.intersection(range(i, end)):
                out.append((i, end, t))
                used.update(range(i, end))
                i = end - 1
                break
        i += 1
    return out


@lru_cache(maxsize=8)
def _index(terms: tuple[Term, ...]) -> dict[str, tuple[Term, ...]]:
    """Terms by the first three letters of their first token (order kept: longest first)."""
    out: dict[str, list[Term]] = {}
    for t in terms:
        out.setdefault(t.patterns[0].rstrip("*")[:3], []).append(t)
    return {k: tuple(v) for k, v in out.items()}


def _portuguese(sentence: str, lex: Lexicon) -> list[tuple[str, str, float, bool]]:
    """(phrase, group, signed weight, negated) for each match in one sentence."""
    shown = tokens(sentence)
    norm = [plain(t) for t in shown]
    used: set[int] = set()
    found: list[tuple[str, str, float, bool]] = []

    def add(lo: int, hi: int, group: str, weight: float) -> None:
        neg = _negated(norm, lo, lex, hi)
        found.append((" ".join(shown[lo:hi]), group, -weight if neg else weight, neg))

    for lo, hi, t in _matches(lex.phrases, norm, used):
        add(lo, hi, t.group, t.sign)
    nouns = _matches(lex.nouns, norm, used)
    dirs = _matches(lex.directions, norm, used)
    pairs = []
    for ni, (nlo, nhi, _) in enumerate(nouns):
        for di, (dlo, dhi, _) in enumerate(dirs):
            gap = dlo - nhi if dlo >= nhi else nlo - dhi
            if gap <= lex.window:  # ties: the noun after its direction ("alta da inflação")
                pairs.append((gap, int(dlo >= nhi), ni, di))
    taken_n: set[int] = set()
    taken_d: set[int] = set()
    for _, _, ni, di in sorted(pairs):
        if ni in taken_n or di in taken_d:
            continue
        taken_n.add(ni)
        taken_d.add(di)
        nlo, nhi, nt = nouns[ni]
        dlo, dhi, dt = dirs[di]
        add(min(nlo, dlo), max(nhi, dhi), nt.group, nt.sign * dt.sign)
    for ni, (nlo, nhi, nt) in enumerate(nouns):
        if ni not in taken_n and nt.standalone:
            add(nlo, nhi, nt.group, nt.sign * nt.standalone)
    if any(_contains(norm, g) for g in lex.guidance):
        found = [(p, g, w * lex.guidance_weight, n) for p, g, w, n in found]
    return found


def _contains(norm: list[str], pattern: tuple[str, ...]) -> bool:
    probe = Term(pattern, "guidance", 0.0)
    return any(probe.match(norm, i) > 0 for i in range(len(norm)))


def _english(sentence: str) -> list[tuple[str, str, float, bool]]:
    """The vendored English lexicon's hits in one sentence (negation applied)."""
    out = []
    for hit in english.find_hits(sentence):
        sign = 1.0 if hit.polarity == "hawkish" else -1.0
        out.append((hit.span, f"hawkdove:{hit.polarity}", sign * hit.weight, hit.negated))
    return out

"""Sentences, tokens and the masking of the decision sentence.

A communiqué states the decision ("o Copom decidiu elevar a taxa Selic para 16,25% a.a.",
"the Committee decided to raise the target range ... to 5-1/4 to 5-1/2 percent"); scoring
that sentence would put the label into the score. :func:`mask_decision` drops every
sentence that names the policy rate together with a decision word, a vote or a rate level,
and every sentence whose subject is the decision itself ("Com a decisão, ...").
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

Language = Literal["pt", "en"]

_SPLIT = re.compile(r"(?<=[.!?;])[\"”']?\s+(?=[\"“(]?[A-ZÀ-Ý0-9])")
_TOKEN = re.compile(r"[^\W_]+")

# Portuguese: the policy rate, decision words, a rate level, a reference to "the decision".
_PT_RATE = re.compile(r"\b(selic|taxa de juros|taxa basica|juros)\b")
_PT_DECISION = re.compile(
    r"\b(decid\w*|decisao|vot\w*|unanim\w*|optou|manter|manutencao|elevar|reduzir|recomenda\w*"
    r"|reducao|elevacao|corte|aumento)\b"
)
_PT_SELF = re.compile(
    r"^(com (a|essa|esta) decisao|a decisao|essa decisao|esta decisao)\b|\b(votaram|votou|votos)\b"
)
# English: the federal funds rate / target range, decision words, a level, the vote.
_EN_RATE = re.compile(r"\b(federal funds rate|target range|fed funds|discount rate|policy rate)\b")
_EN_DECISION = re.compile(
    r"\b(decided|decision|decides|voted|voting|agreed|to raise|to lower|to maintain|to keep"
    r"|to reduce|to increase)\b"
)
_EN_SELF = re.compile(r"^(voting (for|against)|in taking (the|this) (action|decision))\b")
# a rate level or the size of a move: "14,25%", "0,75 ponto percentual", "50 pontos-base",
# "1/4 percentage point", "25 basis points"
_LEVEL = re.compile(
    r"\d+([,./]\d+)?\s*(%|por cento|percent|pontos? percentua\w*|pontos?[- ]base|p\.p\."
    r"|p\.b\.|percentage points?|basis points?|bps?\b)"
)


def plain(text: str) -> str:
    """Lower case without accents (``"Inflação"`` -> ``"inflacao"``), for matching."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def tokens(sentence: str) -> list[str]:
    """Word tokens as written (lower case, accents kept) — for showing phrases."""
    return _TOKEN.findall(sentence.lower())


def sentences(text: str) -> list[str]:
    """Sentences of a plain-text document (also split at ';', as Copom bullet lists are)."""
    flat = " ".join(text.replace("\u200b", " ").split())
    out = [s.strip(" \"“”'") for s in _SPLIT.split(flat)]
    return [s for s in out if _TOKEN.search(s)]


def is_decision(sentence: str, language: Language) -> bool:
    """Does ``sentence`` state (or restate, or vote on) the policy-rate decision?"""
    s = plain(sentence).strip(" \"'")
    if language == "pt":
        rate, decision, itself = _PT_RATE, _PT_DECISION, _PT_SELF
    else:
        rate, decision, itself = _EN_RATE, _EN_DECISION, _EN_SELF
    if itself.search(s):
        return True
    return bool(rate.search(s)) and bool(decision.search(s) or _LEVEL.search(s))


def mask_decision(parts: list[str], language: Language) -> tuple[list[str], list[str]]:
    """``(kept, masked)``: the sentences without, and the sentences that state, the decision."""
    kept: list[str] = []
    masked: list[str] = []
    for s in parts:
        (masked if is_decision(s, language) else kept).append(s)
    return kept, masked

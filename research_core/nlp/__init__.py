"""Central-bank text: decision masking and hawkish/dovish tone (offline, lexicon based)."""

from __future__ import annotations

from research_core.nlp.text import mask_decision, sentences
from research_core.nlp.tone import Driver, ToneResult, tone

__all__ = ["Driver", "ToneResult", "mask_decision", "sentences", "tone"]

"""Central-bank tone, in one package: decision masking and the hawkish/dovish score of a
text (offline, lexicon based: :mod:`.text`, :mod:`.lexicon`, :mod:`.english`, :mod:`.score`);
the point-in-time series ``BR.COPOM.TONE`` / ``US.FOMC.TONE`` (:mod:`.series`); the Morning
Pack's tone facts (:mod:`.facts`). ``workbench tone`` is :mod:`research_core.cli.tone`."""

from __future__ import annotations

from research_core.tone.score import Driver, ToneResult, tone
from research_core.tone.text import mask_decision, sentences

__all__ = ["Driver", "ToneResult", "mask_decision", "sentences", "tone"]

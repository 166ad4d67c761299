"""Central-bank tone, in one package: decision masking and the hawkish/dovish score of a
text (offline, lexicon based: :mod:`.text`, :mod:`.lexicon`, :mod:`.english`, :mod:`.score`);
the point-in-time series ``BR.COPOM.TONE`` / ``US.FOMC.TONE`` (:mod:`.series`).
``workbench tone`` is :mod:`research_core.cli.tone`; the Morning Pack phrases the series as
checked facts in :mod:`research_core.narrative.tone_facts` (narrative's job, like every
other section's facts, so tone never imports narrative)."""

from __future__ import annotations

from research_core.tone.score import Driver, ToneResult, tone
from research_core.tone.text import mask_decision, sentences

__all__ = ["Driver", "ToneResult", "mask_decision", "sentences", "tone"]

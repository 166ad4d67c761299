"""The Morning Pack: facts first, a narrative whose every number is checked, static HTML.

``build_morning_pack(run_dir, lake_path=...)`` reads a pipeline run folder and the lake;
``check_narrative(text, sheet)`` is the number checker on its own.
"""

from research_core.narrative.checker import CheckResult, check_narrative
from research_core.narrative.facts import Fact, FactSheet, render
from research_core.narrative.pack import MorningPack, Narrative, build_morning_pack, write_narrative
from research_core.narrative.sheet import build_fact_sheet

__all__ = [
    "CheckResult",
    "Fact",
    "FactSheet",
    "MorningPack",
    "Narrative",
    "build_fact_sheet",
    "build_morning_pack",
    "check_narrative",
    "render",
    "write_narrative",
]

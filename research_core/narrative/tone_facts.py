"""Central-bank tone for the Morning Pack: the last communiqué's tone and its shift.

Reads ``BR.COPOM.TONE`` / ``US.FOMC.TONE`` (research_core.tone.series) as known at the pack's
as-of; a lake without them (the sample lake) gives no facts and an empty table.
"""

from __future__ import annotations

import pandas as pd

from research_core.errors import CatalogError
from research_core.lake import Lake
from research_core.lake.pit import PITView
from research_core.narrative.facts import CUES, Fact

# series, fact id, entity, aliases
TONES = (
    ("BR.COPOM.TONE", "copom_tone", "Copom tone", ("Copom communiqué tone", "tom do Copom")),
    ("US.FOMC.TONE", "fomc_tone", "FOMC tone", ("FOMC statement tone", "tom do FOMC")),
)
COLUMNS = ["series_id", "communique", "tone", "previous", "shift"]


def _known(view: PITView, sid: str) -> pd.Series:
    try:
        return view.series(sid).dropna()
    except (CatalogError, KeyError):  # not registered in this lake
        return pd.Series(dtype="float64")


def tone_facts(view: PITView, as_of: str) -> list[Fact]:
    """Last tone and its change since the previous communiqué, per bank with two or more."""
    facts: list[Fact] = []
    for sid, fid, entity, aliases in TONES:
        s = _known(view, sid)
        if len(s) < 2:
            continue
        when = f"{pd.Timestamp(s.index[-1]):%Y-%m-%d}"
        last, shift = float(s.iloc[-1]), float(s.iloc[-1] - s.iloc[-2])
        facts.append(Fact(f"{fid}.last", entity, last, "", 2, sid, when, "level", "last", aliases))
        facts.append(Fact(f"{fid}.chg", entity, shift, "", 2, sid, when, "change",
                          "change", cues=CUES["shift"]))  # fmt: skip
    return facts


def tone_shift(lake: Lake, as_of: str) -> pd.DataFrame:
    """One row per bank: last communiqué date, its tone, the previous tone, the shift."""
    view = lake.at(as_of)
    rows = []
    for sid, *_ in TONES:
        s = _known(view, sid)
        if len(s) < 2:
            continue
        rows.append({"series_id": sid, "communique": f"{pd.Timestamp(s.index[-1]):%Y-%m-%d}",
                     "tone": float(s.iloc[-1]), "previous": float(s.iloc[-2]),
                     "shift": float(s.iloc[-1] - s.iloc[-2])})  # fmt: skip
    return pd.DataFrame(rows, columns=COLUMNS)

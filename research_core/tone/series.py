"""Central-bank tone as point-in-time series: ``BR.COPOM.TONE`` and ``US.FOMC.TONE``.

One value per communiqué (Copom) or statement (FOMC): the :func:`research_core.tone.score`
score with the decision sentence masked, dated on the decision day and released at the
decision's announcement (``policy_meetings.yaml``), so ``lake.at(D)`` sees a tone only
once its text is public. The series are registered in the lake (not the shipped catalog:
the sample lake has no texts).
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd

from research_core.catalog import SeriesSpec
from research_core.connectors.cbtext import BANKS, PolicyText
from research_core.errors import ToneError
from research_core.lake.store import Lake, WriteResult
from research_core.tone import tone

TONE_SERIES = {"copom": "BR.COPOM.TONE", "fomc": "US.FOMC.TONE"}
_COUNTRY = {"copom": "BR", "fomc": "US"}
_CALENDAR = {"copom": "B3", "fomc": "NYSE"}


def register_tone(lake: Lake, bank: str) -> SeriesSpec:
    """Register ``bank``'s tone series in ``lake`` (idempotent)."""
    if bank not in TONE_SERIES:
        raise ToneError(f"no tone series for {bank!r}; valid: {sorted(TONE_SERIES)}")
    return lake.register(
        TONE_SERIES[bank],
        frequency="D",
        units="score [-1, 1], + hawkish",
        name=f"{bank.upper()} communiqué tone (decision sentence masked)",
        country=_COUNTRY[bank],
        category="monetary",
        release={
            "rule": "decision",
            "meetings": bank,
            "tz": BANKS[bank],
            "calendar": _CALENDAR[bank],
        },
    )


def tone_rows(texts: Iterable[PolicyText], *, source: str = "nlp_tone") -> pd.DataFrame:
    """Observation rows (one per communiqué/statement; minutes are skipped)."""
    rows = [
        {
            "series_id": TONE_SERIES[t.bank],
            "obs_date": t.date,
            "value": tone(t.text, "pt" if t.bank == "copom" else "en").score,
            "release_time": t.release_time,
            "source": source,
        }
        for t in texts
        if t.kind != "minutes"
    ]
    frame = pd.DataFrame(rows, columns=["series_id", "obs_date", "value", "release_time", "source"])
    frame["release_time"] = pd.to_datetime(frame["release_time"], utc=True)
    return frame


def write_tone(lake: Lake, texts: Iterable[PolicyText]) -> WriteResult:
    """Score ``texts`` and store their tone rows (registering the series as needed).

    Re-writing the same texts is a no-op; re-scoring them after a lexicon change is refused
    by the lake (history is append-only): use a new lake or a new series id for a new method.
    """
    frame = tone_rows(texts)
    if frame.empty:
        raise ToneError("write_tone: no communiqué or statement to score")
    for bank, sid in TONE_SERIES.items():
        if (frame["series_id"] == sid).any():
            register_tone(lake, bank)
    return lake.write(frame)

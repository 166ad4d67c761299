"""Staleness skips the release calendar while the next period cannot be due yet (issue 29):
what it answers there must be what the calendar says, for every series the catalog ships."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.catalog import series_catalog
from research_core.lake.quality import GRACE, STEP, staleness

RULES = {(s.frequency, repr(sorted(s.release.items()))): s for s in series_catalog().values()}
SPECS = [s for s in RULES.values() if s.release]  # one series per distinct release rule
STARTS = {"D": "2019-01-02", "W": "2019-01-04", "M": "2019-01-01", "Q": "2019-01-01"}


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.id)
def test_stale_exactly_when_the_calendar_says_the_next_period_is_late(spec) -> None:
    """For last periods in 2019-2025 and an as-of from that day to 400 days on, stale
    iff the as-of is after the next period's release time plus the grace: the definition,
    read off the release calendar directly."""
    start = STARTS.get(spec.frequency, "2019-01-01")
    freq = {"D": "7D", "W": "7D", "M": "MS", "Q": "QS", "A": "YS"}[spec.frequency]
    every = pd.date_range(start, "2025-12-31", freq=freq)
    lasts = every[np.linspace(0, len(every) - 1, 3).astype(int)]
    nexts = pd.DatetimeIndex([d + STEP[spec.frequency] for d in lasts])
    due = spec.release_times(nexts) + GRACE[spec.frequency]
    late = 0
    for last, when in zip(lasts, due, strict=True):
        for days in (0, 1, 2, 3, 5, 9, 12, 20, 35, 50, 100, 250, 400):
            as_of = last.tz_localize("UTC") + pd.Timedelta(days=days, hours=23, minutes=59)
            found = staleness(spec, pd.DatetimeIndex([last - pd.Timedelta(days=7), last]), as_of)
            assert bool(found) == (as_of > when), (spec.id, last, as_of, when)
            late += bool(found)
    assert late > 0  # some of the as-of dates are late ones

"""A period's due instant is worked out once per series rule and period (issue 29): two
specs equal but for their release rule (a spec's equality leaves the rule out) each get
their own rule's answer, in either order."""

from __future__ import annotations

import pandas as pd

from research_core.catalog import SeriesSpec
from research_core.lake.quality import staleness

NY = {"rule": "after_period", "time": "12:00", "tz": "America/New_York", "calendar": "NYSE"}
PERIODS = pd.DatetimeIndex(["2023-12-01", "2024-01-01"])
AS_OF = pd.Timestamp("2024-04-20 12:00Z")


def _spec(lag_days: int) -> SeriesSpec:
    rule = NY | {"lag_days": lag_days}
    return SeriesSpec("X.M", "x", "test", "x", "M", "%", "US", "activity", release=rule)


def test_specs_equal_but_for_their_rule_get_their_own_due_instant() -> None:
    """February 2024, 45 days after the period ends (29 Feb): Sunday 14 April, so the
    next NYSE session, Monday 15 April, 12:00 EDT = 16:00 UTC; plus 10 days' grace: due
    by 25 April 16:00 UTC, not yet late on 20 April. With 30 days: 30 March is a
    Saturday, the next session is Monday 1 April (Good Friday 29 March closes NYSE, which
    does not matter here), 16:00 UTC; plus grace: 11 April 16:00 UTC, so 8 days late on
    20 April 12:00 UTC (8 days 20 hours)."""
    slow, fast = _spec(45), _spec(30)
    assert slow == fast  # equality leaves the rule out: a key on the spec alone is wrong
    for _ in range(2):  # the second pass reads what the first worked out
        assert staleness(slow, PERIODS, AS_OF) == []
        (late,) = staleness(fast, PERIODS, AS_OF)
        assert late["detail"] == (
            "next period 2024-02-01 due by 2024-04-11 16:00 UTC (+grace); 8 days late"
        )
    assert staleness(_spec(45), PERIODS, AS_OF) == []  # a fresh spec object, the same rule

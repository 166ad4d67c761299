"""The release clock and surprises: what comes out when, and how prints compared with what
was expected, as known at the time.

* :func:`release_calendar` (:mod:`.clock`) — every scheduled release of the catalog's
  Brazil/US macro series (monthly, quarterly, weekly) and the Copom/FOMC decisions, from
  the same release rules the lake's sample generator and freshness gate use
  (:meth:`SeriesSpec.release_times`, ``policy_meetings.yaml``). Daily market and next-day
  series are not "releases".
* :func:`todays_releases` (:mod:`.morning`) — the Morning Pack's list: time, series,
  previous value and the expectation (Focus median or model forecast) as a view knows them.
* :func:`compute_surprises` / :func:`update_surprises` (:mod:`.surprises`) — surprise =
  first print − expected, and its z-score against the surprises known before, written to
  the lake as derived series (``<ID>.EXPECTED``, ``<ID>.SURPRISE``, ``<ID>.SURPRISE.Z``,
  source ``derived``) released at the print's own release time, so ``lake.at(D)`` sees a
  surprise only once the print is out. Brazil's IPCA is measured against the Focus median
  for that month as known at the end of the day before the release; US releases (no free
  consensus) against an AR(1) forecast fitted by OLS only on the values released before
  the print — a *model* forecast, labelled so, not a market consensus.
"""

from research_core.events.clock import (
    CALENDAR_COLUMNS,
    COUNTRIES,
    DECISIONS,
    DUE_COLUMNS,
    calendar_table,
    due_series,
    next_decisions,
    period_label,
    release_calendar,
)
from research_core.events.morning import (
    morning_releases,
    releases_on,
    todays_releases,
    week_ahead,
)
from research_core.events.surprises import (
    AR_MIN,
    AR_WINDOW,
    BASIS_FOCUS,
    BASIS_MODEL,
    FOCUS_CONSENSUS,
    MODEL_TARGETS,
    SOURCE,
    SURPRISE_COLUMNS,
    TARGETS,
    Z_MIN,
    Z_WINDOW,
    Surprises,
    ar1_forecast,
    compute_surprises,
    expectation,
    focus_expectation,
    known_surprise_z,
    register_surprise_series,
    surprise_history,
    survey_targets,
    update_surprises,
)

__all__ = [
    "AR_MIN",
    "AR_WINDOW",
    "BASIS_FOCUS",
    "BASIS_MODEL",
    "CALENDAR_COLUMNS",
    "COUNTRIES",
    "DECISIONS",
    "DUE_COLUMNS",
    "FOCUS_CONSENSUS",
    "MODEL_TARGETS",
    "SOURCE",
    "SURPRISE_COLUMNS",
    "TARGETS",
    "Z_MIN",
    "Z_WINDOW",
    "Surprises",
    "ar1_forecast",
    "calendar_table",
    "compute_surprises",
    "due_series",
    "expectation",
    "focus_expectation",
    "known_surprise_z",
    "morning_releases",
    "next_decisions",
    "period_label",
    "register_surprise_series",
    "release_calendar",
    "releases_on",
    "surprise_history",
    "survey_targets",
    "todays_releases",
    "update_surprises",
    "week_ahead",
]

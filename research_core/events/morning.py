"""The Morning Pack's release lists: today's, the week ahead, yesterday's surprises."""

from __future__ import annotations

import pandas as pd

from research_core._typing import AsOf
from research_core.calendars import roll_forward
from research_core.config import get_settings
from research_core.events.clock import period_label, period_labels, release_calendar
from research_core.events.surprises import _derived, _stored, expectation
from research_core.lake import Lake
from research_core.lake.pit import PITView


def todays_releases(view: PITView, day: AsOf | None = None) -> pd.DataFrame:
    """Releases scheduled on ``day`` (default: the view's date in the fund's time zone):
    local time, series, period, the previous value and the expectation as ``view`` knows
    them, and the actual once it is out by the view's instant."""
    local_day = (
        pd.Timestamp(day)
        if day is not None
        else view.as_of.tz_convert(get_settings().timezone).tz_localize(None)
    )
    cal = release_calendar(local_day, local_day)
    rows = []
    for sid, name, publisher, when, obs, released in zip(
        cal["series_id"],
        cal["name"],
        cal["publisher"],
        cal["local_time"],
        cal["obs_date"],
        cal["release_time"],
        strict=True,
    ):
        period = pd.Timestamp(obs)
        history = view.series(str(sid)).dropna()
        before = history[history.index < period]
        previous = float(before.iloc[-1]) if len(before) else float("nan")
        actual = float(history[period]) if period in history.index else float("nan")
        out = pd.Timestamp(released)
        known = view if view.as_of < out else view.at(out - pd.Timedelta(1, "ns"))
        expected, basis = expectation(known, str(sid), period)
        rows.append((when, sid, name, publisher, period, previous, expected, basis, actual))
    cols = ["time", "series_id", "name", "publisher", "obs_date", "previous", "expected"]
    return pd.DataFrame(rows, columns=[*cols, "basis", "actual"])


def morning_releases(lake: Lake, as_of: AsOf) -> pd.DataFrame:
    """The Morning Pack's "today's releases": what the next B3/NYSE session after ``as_of``
    brings (local time, series, period, previous value, expected value and its basis), as
    known at the end of ``as_of`` — the pack is read the morning after its run."""
    view = lake.at(as_of)
    local = view.as_of.tz_convert(lake.tz).tz_localize(None).normalize()
    day = roll_forward(pd.DatetimeIndex([local + pd.Timedelta(days=1)]), "B3")[0]
    frame = todays_releases(view, day)
    freq = {sid: lake.spec(sid).frequency for sid in frame["series_id"].unique()}
    return pd.DataFrame(
        {
            "time": frame["time"],
            "series": frame["series_id"],
            "period": period_labels(frame, freq),
            "previous": frame["previous"],
            "expected": frame["expected"],
            "basis": frame["basis"],
        }
    )


def week_ahead(lake: Lake, as_of: AsOf, days: int = 7) -> pd.DataFrame:
    """The Morning Pack's week ahead: every scheduled release and rate decision in the
    ``days`` calendar days after ``as_of`` — local time with its zone, country, publisher,
    series, name, period, units, previous value and the expectation with its basis (Focus
    median or AR(1) model forecast; none for a decision or a series with neither), as known
    at the end of ``as_of``."""
    view = lake.at(as_of)
    start = pd.Timestamp(as_of) + pd.Timedelta(days=1)
    cal = release_calendar(start, start + pd.Timedelta(days=days - 1))
    rows = []
    for r in cal.itertuples(index=False):
        spec = lake.spec(str(r.series_id))
        period = pd.Timestamp(str(r.obs_date))
        history = view.series(spec.id).dropna()
        before = history[history.index < period]
        expected, basis = expectation(view, spec.id, period)
        decision = spec.release.get("rule") == "decision"
        rows.append(
            {
                "time": r.local_time,
                "country": r.country,
                "publisher": r.publisher,
                "series": spec.id,
                "name": spec.name,
                "period": "decision" if decision else period_label(period, spec.frequency),
                "units": spec.units,
                "previous": float(before.iloc[-1]) if len(before) else float("nan"),
                "expected": expected,
                "basis": basis or ("no consensus in the lake" if decision else "none"),
            }
        )
    cols = ["time", "country", "publisher", "series", "name", "period", "units", "previous"]
    return pd.DataFrame(rows, columns=[*cols, "expected", "basis"])


def releases_on(lake: Lake, as_of: AsOf) -> pd.DataFrame:
    """The releases of ``as_of`` itself (yesterday, for the morning reader): actual, the
    expectation with its basis, the surprise and its z-score — the stored derived series
    where the pipeline computed them, else the expectation known just before the print
    (and no z)."""
    view = lake.at(as_of)
    frame = todays_releases(view, pd.Timestamp(as_of))
    z = []
    for i, (sid, period) in enumerate(zip(frame["series_id"], frame["obs_date"], strict=True)):
        ids, when = _derived(str(sid)), pd.Timestamp(str(period))
        stored = _stored(view, ids["expected"])  # empty where none was computed
        if when in stored.index:  # the expectation the stored surprise was measured against
            frame.loc[i, "expected"] = float(stored[when])
        z.append(float(_stored(view, ids["z"]).get(when, float("nan"))))
    frame["surprise"] = frame["actual"] - frame["expected"]
    frame["z"] = z
    frame["units"] = [lake.spec(str(s)).units for s in frame["series_id"]]
    return frame

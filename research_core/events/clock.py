"""The release clock: what comes out when, from the catalog's release rules
(:meth:`SeriesSpec.release_times`, ``policy_meetings.yaml``), and which series are due."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd

from research_core._typing import AsOf
from research_core.calendars import COUNTRY_CALENDAR, period_end, roll_forward
from research_core.catalog import (
    SeriesSpec,
    policy_decisions,
    release_publisher,
    series,
    series_catalog,
)
from research_core.config import get_settings
from research_core.errors import WorkbenchError
from research_core.lake import Lake
from research_core.lake.asof import as_of_instant
from research_core.lake.quality import STEP

COUNTRIES = ("BR", "US")
_WEEKDAY = {"cftc": "W-TUE"}  # weekly series' obs_date weekday by source (Focus, flows: Fri)
CALENDAR_COLUMNS = [
    "release_time",
    "local_time",
    "country",
    "publisher",
    "series_id",
    "name",
    "obs_date",
]


# ---- the release clock -------------------------------------------------------------------
def _scheduled(spec: SeriesSpec) -> bool:
    if spec.country not in COUNTRIES:
        return False
    return spec.release.get("rule") == "decision" or spec.frequency in ("W", "M", "Q")


def _periods(spec: SeriesSpec, lo: pd.Timestamp, hi: pd.Timestamp) -> pd.DatetimeIndex:
    """Candidate obs_dates whose release may fall in [lo, hi] (releases lag < 1 year)."""
    first = (lo.tz_convert(None) - pd.DateOffset(years=1)).normalize()
    last = hi.tz_convert(None).normalize()
    if spec.frequency == "W":
        first = lo.tz_convert(None).normalize() - pd.Timedelta(days=31)  # weekly lags < 1 month
    freq = {"W": _WEEKDAY.get(spec.source, "W-FRI"), "M": "MS", "Q": "QS"}[spec.frequency]
    return pd.date_range(first, last, freq=freq)


def release_calendar(
    start: AsOf, end: AsOf, *, countries: tuple[str, ...] = COUNTRIES
) -> pd.DataFrame:
    """Scheduled releases between ``start`` and ``end`` (bare dates: whole days in the fund's
    time zone), sorted by time: UTC ``release_time``, ``local_time`` (the publisher's),
    country, publisher, series_id, name and the ``obs_date`` (period) released."""
    tz = get_settings().timezone
    day_before = (pd.Timestamp(start) - pd.Timedelta(days=1)).strftime("%Y-%m-%d")
    lo = as_of_instant(day_before, tz) + pd.Timedelta(1, "ns")  # the start of ``start``
    hi = as_of_instant(pd.Timestamp(end).strftime("%Y-%m-%d"), tz)
    if lo > hi:
        raise WorkbenchError(f"calendar start {start} is after its end {end}")
    rows: list[pd.DataFrame] = []
    for spec in series_catalog().values():
        if spec.country not in countries or not _scheduled(spec):
            continue
        if spec.release.get("rule") == "decision":
            times = policy_decisions(spec.release["meetings"])
            dates = times.tz_convert(spec.release["tz"]).tz_localize(None).normalize()
        else:
            dates = _periods(spec, lo, hi)
            times = spec.release_times(dates)
        keep = (times >= lo) & (times <= hi)
        if not keep.any():
            continue
        local = times[keep].tz_convert(spec.release.get("tz", spec.tz))
        rows.append(
            pd.DataFrame(
                {
                    "release_time": times[keep],
                    "local_time": local.strftime("%Y-%m-%d %H:%M %Z"),
                    "country": spec.country,
                    "publisher": release_publisher(spec),
                    "series_id": spec.id,
                    "name": spec.name,
                    "obs_date": dates[keep],
                }
            )
        )
    if not rows:
        return pd.DataFrame(columns=CALENDAR_COLUMNS)
    out = pd.concat(rows, ignore_index=True)
    return out.sort_values(["release_time", "series_id"], kind="stable").reset_index(drop=True)


DUE_COLUMNS = [
    "series_id", "source", "frequency", "last_obs", "last_release", "next_obs", "next_release",
    "due",
]  # fmt: skip


def due_series(lake: Lake, as_of: AsOf, specs: Iterable[SeriesSpec]) -> pd.DataFrame:
    """Which of ``specs`` the release clock says are due by the end of ``as_of``.

    Per series: the last period and release the lake holds (whatever the source), the next
    period (the next session of the rule's calendar for daily series, one period on for the
    others) and its scheduled release under the catalog rule; due when that release is at
    or before ``as_of``, or when the lake holds nothing of it. "Since the last run" is thus
    since each series' newest stored release, so missed days are caught up by the same
    call. Revisions of series with nothing due are picked up with their next release.
    """
    from research_core.lake.maintenance import lake_info

    cutoff = as_of_instant(as_of, get_settings().timezone)
    info = lake_info(lake).table
    last_obs = info.groupby("series_id")["last_obs"].max()
    last_release = pd.to_datetime(info.groupby("series_id")["last_release"].max(), utc=True)
    rows: list[tuple[Any, ...]] = []
    for spec in specs:
        if spec.id not in last_obs.index:
            rows.append((spec.id, spec.source, spec.frequency, *[pd.NaT] * 4, True))
            continue
        following = _next_period(spec, pd.Timestamp(last_obs[spec.id]))
        release = spec.release_times(pd.DatetimeIndex([following]))[0]
        known = (last_obs[spec.id], last_release[spec.id], following, release)
        rows.append((spec.id, spec.source, spec.frequency, *known, bool(release <= cutoff)))
    frame = pd.DataFrame(rows, columns=DUE_COLUMNS)
    for col in ("last_release", "next_release"):
        frame[col] = pd.to_datetime(frame[col], utc=True)
    return frame


def _next_period(spec: SeriesSpec, last_obs: pd.Timestamp) -> pd.Timestamp:
    """The period after ``last_obs``: next session (daily) or one period on."""
    if spec.frequency == "D":
        calendar = spec.release.get("calendar", COUNTRY_CALENDAR[spec.country])
        nxt = roll_forward(pd.DatetimeIndex([last_obs + pd.Timedelta(days=1)]), calendar)
        return pd.Timestamp(nxt[0])
    return pd.Timestamp(last_obs + STEP[spec.frequency])


# meeting calendar -> (bank, the series its decisions set: its release zone is the bank's)
DECISIONS = {"copom": ("Copom", "BR.SELIC.TARGET"), "fomc": ("FOMC", "US.FEDFUNDS.TARGET")}


def next_decisions(as_of: AsOf) -> dict[str, pd.Timestamp]:
    """{"Copom": time, "FOMC": time}: each bank's next rate decision after the end of
    ``as_of``, wherever it falls, in the bank's own time zone; banks with none scheduled
    are left out."""
    after = as_of_instant(pd.Timestamp(as_of).strftime("%Y-%m-%d"), get_settings().timezone)
    out = {}
    for meetings, (name, sid) in DECISIONS.items():
        times = policy_decisions(meetings)
        later = times[times > after]
        if len(later):
            out[name] = pd.Timestamp(later[0]).tz_convert(series(sid).release["tz"])
    return out


def period_label(obs_date: pd.Timestamp, frequency: str) -> str:
    """'2026-10' for a month, '2026Q3' for a quarter, the date otherwise."""
    end = period_end(pd.DatetimeIndex([obs_date]), frequency)[0]
    if frequency == "M":
        return f"{end:%Y-%m}"
    if frequency == "Q":
        return f"{end.year}Q{end.quarter}"
    return f"{obs_date:%Y-%m-%d}"


def period_labels(frame: pd.DataFrame, frequency: Mapping[str, str]) -> list[str]:
    """:func:`period_label` of each row's ``obs_date``, by its ``series_id``'s frequency."""
    pairs = zip(frame["obs_date"], frame["series_id"], strict=True)
    return [period_label(pd.Timestamp(d), frequency[s]) for d, s in pairs]


# ---- ``workbench calendar`` ------------------------------------------------------------------
def calendar_table(start: AsOf, end: AsOf, *, countries: tuple[str, ...] = COUNTRIES) -> str:
    """The release calendar as text: local time, publisher, series, period, name."""
    cal = release_calendar(start, end, countries=countries)
    if cal.empty:
        return f"no scheduled releases from {start} to {end}"
    freq = {sid: spec.frequency for sid, spec in series_catalog().items()}
    show = pd.DataFrame(
        {
            "local time": cal["local_time"],
            "publisher": cal["publisher"],
            "series": cal["series_id"],
            "period": period_labels(cal, freq),
            "name": cal["name"],
        }
    )
    return f"{len(cal)} scheduled releases\n{show.to_string(index=False)}"

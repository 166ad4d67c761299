"""Business-day calendars (B3/ANBIMA, NYSE) and the release-time rules of the catalog.

A release rule says when a value for a period became public. Rules are plain dicts kept in
``catalog/series.yaml``::

    {rule: close, time: "17:30", tz: America/Sao_Paulo, calendar: B3}
        market data: public at the close of its own session (next session if obs_date is
        not one).
    {rule: after_period, lag_days: 0, lag_bdays: 8, time: "09:00", tz: ..., calendar: B3}
        macro data: ``lag_days`` calendar days then ``lag_bdays`` business days after the
        end of the period that ``obs_date`` starts (month end for monthly series, quarter
        end for quarterly, the date itself for daily/weekly), at ``time`` local time.
    {rule: decision, meetings: copom, tz: America/Sao_Paulo, calendar: B3}
        policy-rate targets: released by the decision, not by a clock. A value dated on a
        decision day, or on a between-meeting change (``catalog/policy_meetings.yaml``), is
        public at its announcement, any other at its own local midnight. See
        :func:`decision_release_times`.
"""

from __future__ import annotations

import logging
import warnings
import zipfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from research_core.errors import CalendarError

log = logging.getLogger(__name__)

CalendarName = Literal["B3", "NYSE", "WEEKDAYS"]
_EXCHANGE_CODES: dict[str, str] = {"B3": "BVMF", "NYSE": "XNYS"}
_CAL_START, _CAL_END = "1999-01-04", "2031-12-31"
_HISTORY_START = "1900-01-01"
COUNTRY_TZ: dict[str, str] = {
    "BR": "America/Sao_Paulo",
    "US": "America/New_York",
    "GLOBAL": "America/New_York",
}
COUNTRY_CALENDAR: dict[str, CalendarName] = {"BR": "B3", "US": "NYSE", "GLOBAL": "NYSE"}
_DAY_NS = 86_400 * 10**9
# The B3 and NYSE sessions of _CAL_START.._CAL_END as shipped data: the weekdays each
# exchange is closed, with the span and the exchange_calendars version that wrote them
# (:func:`write_sessions`; ``make sessions`` after upgrading exchange_calendars). Building
# the two calendars with exchange_calendars costs about 0.3 s of CPU per process.
SESSIONS_FILE = Path(__file__).with_name("catalog") / "sessions.npz"
_NAT = np.iinfo(np.int64).min
B3_SESSIONS_PER_YEAR = 252  # the house's year of sessions: du/252 (ANBIMA), annualization
REBALANCE_SESSIONS: dict[str, int] = {"D": 1, "W": 5, "M": 21}  # sessions a rebalance holds
REBALANCE_PERIODS_PER_YEAR: dict[str, int] = {"D": B3_SESSIONS_PER_YEAR, "W": 52, "M": 12}


@lru_cache(maxsize=8)
def business_days(calendar: str = "B3") -> pd.DatetimeIndex:
    """All sessions of ``calendar`` ("B3", "NYSE" or "WEEKDAYS") to 2031, naive dates.

    Exchange holidays are known from 1999; earlier dates (old macro history such as FRED's
    1947 GDP) use plain weekdays, so release times before 1999 may be off by a holiday.
    """
    if calendar == "WEEKDAYS":
        early = pd.bdate_range(_HISTORY_START, pd.Timestamp(_CAL_START) - pd.Timedelta(days=1))
        return pd.DatetimeIndex(early.append(pd.bdate_range(_CAL_START, _CAL_END)))
    days = _session_days(calendar)
    return pd.DatetimeIndex((days * _DAY_NS).astype("datetime64[ns]"), name="date")


def business_day_range(start: object, end: object, calendar: str = "B3") -> pd.DatetimeIndex:
    """Sessions of ``calendar`` between ``start`` and ``end`` inclusive."""
    days = business_days(calendar)
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)  # type: ignore[arg-type]
    return days[days.searchsorted(lo, side="left") : days.searchsorted(hi, side="right")]


def roll_forward(dates: pd.DatetimeIndex, calendar: str, bdays: int = 0) -> pd.DatetimeIndex:
    """The first session on or after each date, then ``bdays`` sessions further."""
    days = _roll_days(_day_numbers(dates.normalize()), calendar, bdays)
    return pd.DatetimeIndex((days * _DAY_NS).astype("datetime64[ns]"))


@lru_cache(maxsize=8)
def _session_days(calendar: str) -> np.ndarray:
    """The sessions of :func:`business_days` as int64 days since 1970-01-01 (read-only)."""
    if calendar == "WEEKDAYS":
        return _day_numbers(business_days(calendar))
    if calendar not in _EXCHANGE_CODES:
        raise ValueError(f"unknown calendar {calendar!r}; valid: B3, NYSE, WEEKDAYS")
    first = _day(_CAL_START)
    days = np.concatenate([_weekdays(_day(_HISTORY_START), first - 1), _exchange_days(calendar)])
    days.flags.writeable = False  # shared by every caller
    return days


def _exchange_days(calendar: str, path: Path = SESSIONS_FILE) -> np.ndarray:
    """The exchange's sessions from ``_CAL_START`` to ``_CAL_END`` as day numbers: the
    shipped file's when its span covers those dates, else exchange_calendars' (also when
    the file is missing or unreadable: said once in the log, the answer is the same)."""
    lo, hi = _day(_CAL_START), _day(_CAL_END)
    try:
        with np.load(path) as shipped:
            span = shipped["span"].astype(np.int64)
            if span[0] <= lo and span[1] >= hi and calendar in shipped.files:
                days = _weekdays(lo, hi)
                return days[~np.isin(days, shipped[calendar].astype(np.int64))]
    except (OSError, ValueError, KeyError, zipfile.BadZipFile) as err:
        log.warning(
            "shipped sessions %s unreadable (%s): exchange_calendars builds them", path, err
        )
    return _exchange_calendar_days(calendar, _CAL_START, _CAL_END)


def _exchange_calendar_days(calendar: str, start: str, end: str) -> np.ndarray:
    """The sessions of ``calendar`` from ``start`` to ``end`` built by exchange_calendars."""
    import exchange_calendars as xcals  # its holiday rules: only when a calendar is built

    with warnings.catch_warnings():  # exchange_calendars uses an API pandas 3.1 deprecates
        warnings.filterwarnings("ignore", message="Series.values returning an ndarray")
        cal = xcals.get_calendar(_EXCHANGE_CODES[calendar], start=start, end=end)
    return _day_numbers(pd.DatetimeIndex(cal.sessions.tz_localize(None)))


def write_sessions(
    path: Path = SESSIONS_FILE, start: str = _CAL_START, end: str = _CAL_END
) -> Path:
    """Write the session file (:data:`SESSIONS_FILE`) from exchange_calendars: for B3 and
    NYSE the weekdays from ``start`` to ``end`` that are not sessions, the span and the
    exchange_calendars version."""
    import exchange_calendars as xcals

    weekdays = _weekdays(_day(start), _day(end))
    closed: dict[str, Any] = {}  # the calendar's name: the weekdays it has no session
    for calendar in _EXCHANGE_CODES:
        sessions = _exchange_calendar_days(calendar, start, end)
        if not np.isin(sessions, weekdays).all():
            raise CalendarError(
                f"{calendar} has a weekend session: the session file cannot hold it"
            )
        closed[calendar] = weekdays[~np.isin(weekdays, sessions)].astype("datetime64[D]")
    span = np.array([start, end], dtype="datetime64[D]")
    np.savez_compressed(path, span=span, exchange_calendars=np.array(xcals.__version__), **closed)
    return path


def _day(text: str) -> int:
    """A ``YYYY-MM-DD`` date as days since 1970-01-01."""
    return int(np.datetime64(text, "D").astype(np.int64))


def _weekdays(first: int, last: int) -> np.ndarray:
    """Monday to Friday from day ``first`` to day ``last`` (inclusive) as day numbers."""
    days = np.arange(first, last + 1, dtype=np.int64)
    return days[(days + 3) % 7 < 5]  # 1970-01-01 was a Thursday (weekday 3, Monday 0)


def _day_numbers(dates: pd.DatetimeIndex) -> np.ndarray:
    """Naive dates as int64 days since 1970-01-01 (whatever the index's resolution)."""
    return np.asarray(dates.values.astype("datetime64[D]").astype(np.int64))


def _roll_days(days: np.ndarray, calendar: str, bdays: int) -> np.ndarray:
    """:func:`roll_forward` on day numbers: the first session on or after, then ``bdays``."""
    sessions = _session_days(calendar)
    idx = np.searchsorted(sessions, days, side="left") + bdays
    if (idx >= len(sessions)).any():
        raise CalendarError(f"dates beyond the {calendar} calendar's end ({_CAL_END})")
    return sessions[idx]


def period_end(obs_dates: pd.DatetimeIndex, frequency: str) -> pd.DatetimeIndex:
    """Last day of the period that each ``obs_date`` (period start) describes."""
    if frequency in ("D", "W"):
        return obs_dates
    periods = {"M": "M", "Q": "Q", "A": "Y"}
    if frequency not in periods:
        raise ValueError(f"unknown frequency {frequency!r}; valid: D, W, M, Q, A")
    return obs_dates.to_period(periods[frequency]).to_timestamp(how="end").normalize()


def release_times(obs_dates: Any, frequency: str, rule: dict[str, Any]) -> pd.DatetimeIndex:
    """UTC release times of ``obs_dates`` under a catalog release ``rule``.

    Day arithmetic on int64 day numbers and the local clock time from a table per (time
    zone, time of day): a few microseconds per date, so a staleness check can ask for one.
    """
    dates = pd.DatetimeIndex(pd.to_datetime(obs_dates)).normalize()
    if dates.tz is not None:
        dates = dates.tz_localize(None)  # the local calendar date of each
    utc = release_ns(_day_numbers(dates), frequency, rule)
    return pd.DatetimeIndex(utc.view("datetime64[ns]")).tz_localize("UTC")


def release_ns(days: np.ndarray, frequency: str, rule: dict[str, Any]) -> np.ndarray:
    """:func:`release_times` of local dates given as int64 days since 1970-01-01, as int64
    UTC ns: what a check of one period's release needs, without building an index."""
    kind = rule.get("rule")
    calendar = rule.get("calendar", "WEEKDAYS")
    hh, mm = (int(x) for x in str(rule.get("time", "18:00")).split(":"))
    if kind == "close":
        day = _roll_days(days, calendar, 0)
    elif kind == "after_period":
        end = _period_end_days(days, frequency) + int(rule.get("lag_days", 0))
        bdays = int(rule.get("lag_bdays", 0))
        # lag_bdays=N: the N-th session strictly after the (lagged) period end;
        # lag_bdays=0: that day itself, or the next session when it is not one.
        day = _roll_days(end + 1, calendar, bdays - 1) if bdays else _roll_days(end, calendar, 0)
    elif kind == "decision":
        raise ValueError("decision rules need the meeting calendar: use SeriesSpec.release_times")
    else:
        raise ValueError(f"unknown release rule {kind!r}; valid: close, after_period, decision")
    return _local_clock_utc(day, rule.get("tz", "UTC"), 60 * hh + mm)


def _period_end_days(days: np.ndarray, frequency: str) -> np.ndarray:
    """:func:`period_end` on day numbers: the last day of each period."""
    if frequency in ("D", "W"):
        return days
    months = days.astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    if frequency == "M":
        nxt = months + 1
    elif frequency == "Q":
        nxt = months - months % 3 + 3  # 1970-01 starts a quarter
    elif frequency == "A":
        nxt = months - months % 12 + 12
    else:
        raise ValueError(f"unknown frequency {frequency!r}; valid: D, W, M, Q, A")
    return nxt.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1


def _local_clock_utc(days: np.ndarray, tz: str, minutes: int) -> np.ndarray:
    """UTC ns of ``minutes`` after local midnight in ``tz`` on each day (a time skipped by a
    clock change moves forward; one that happens twice raises, as pandas does)."""
    first, table = _clock_table(tz, minutes)
    pos = days - first
    inside = (pos >= 0) & (pos < len(table))
    out = np.full(len(days), _NAT, dtype=np.int64)
    out[inside] = table[pos[inside]]
    odd = out == _NAT  # outside the table, or ambiguous: pandas decides (and raises)
    if odd.any():
        local = pd.DatetimeIndex((days[odd] * _DAY_NS).astype("datetime64[ns]"))
        local = local + pd.Timedelta(minutes=minutes)
        stamped = local.tz_localize(tz, nonexistent="shift_forward").tz_convert("UTC")
        out[odd] = stamped.as_unit("ns").asi8
    return out


@lru_cache(maxsize=32)
def _clock_table(tz: str, minutes: int) -> tuple[int, np.ndarray]:
    """First day number and the UTC ns of local ``minutes`` past midnight on every day the
    calendars cover (NaT where that local time happens twice)."""
    first, last = (int(np.datetime64(d, "D").astype(np.int64)) for d in (_HISTORY_START, _CAL_END))
    local = pd.DatetimeIndex((np.arange(first, last + 1) * _DAY_NS).astype("datetime64[ns]"))
    local = local + pd.Timedelta(minutes=minutes)
    stamped = local.tz_localize(tz, nonexistent="shift_forward", ambiguous="NaT")
    table = stamped.tz_convert("UTC").as_unit("ns").asi8.copy()
    table.flags.writeable = False  # shared by every caller
    return first, table


def decision_release_times(
    obs_dates: Any, announcements: pd.DatetimeIndex, tz: str
) -> pd.DatetimeIndex:
    """UTC release times of a policy-rate target's daily values.

    A value dated on the day of an announcement (a decision, or a change between meetings)
    is released at that announcement (the source may date the change that day, and it is
    not known before); any other date's value at its own local midnight, the earliest a
    value for that day can exist (the target in force that day is known since the last
    announcement, which was earlier).
    """
    dates = pd.DatetimeIndex(pd.to_datetime(obs_dates)).normalize()
    ann = pd.DatetimeIndex(announcements)
    midnight = dates.tz_localize(tz, nonexistent="shift_forward", ambiguous=False)
    if len(ann) == 0 or len(dates) == 0:
        return midnight.tz_convert("UTC")
    pos = ann.tz_convert(tz).tz_localize(None).normalize().get_indexer(dates)
    at = ann.tz_convert(None).to_numpy()[np.maximum(pos, 0)]
    out = np.where(pos >= 0, at, midnight.tz_convert(None).to_numpy())
    return pd.DatetimeIndex(out).tz_localize("UTC")


def period_start_utc(obs_dates: Any, tz: str) -> pd.DatetimeIndex:
    """Start of each period (midnight of ``obs_date`` in ``tz``) as UTC."""
    dates = pd.DatetimeIndex(pd.to_datetime(obs_dates)).normalize()
    return dates.tz_localize(tz, nonexistent="shift_forward", ambiguous=False).tz_convert("UTC")

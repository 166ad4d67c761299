"""Turn what users type as an as-of moment into an exact UTC instant: the one parser.

Rules (the same for ``lake.at``, ``lake.panel``, views and the CLI):

* tz-aware timestamps are exact instants;
* a bare date (``"2024-03-15"``, ``datetime.date``, or a naive timestamp at midnight)
  means the *end* of that day in the fund's time zone (config ``timezone``): the last
  nanosecond before the next local midnight (or before the first instant of the next day
  when DST skips its midnight);
* a naive timestamp with a time of day is that wall-clock time in the fund's time zone.
  An ambiguous wall time (DST fall-back, the hour that happens twice) is its *earlier*
  instant; a wall time that does not exist (DST spring-forward gap) raises
  :class:`AsOfError` naming the gap, rather than guessing.
* instants must lie in 1677-09-22 .. 2262-04-11 (nanosecond timestamps); anything else
  raises :class:`AsOfError` instead of wrapping around.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from research_core._typing import AsOf
from research_core.errors import AsOfError

RANGE = f"{pd.Timestamp.min:%Y-%m-%d} .. {pd.Timestamp.max:%Y-%m-%d}"


def _parse(value: object) -> tuple[pd.Timestamp, bool]:
    """A timestamp at nanosecond resolution, and whether it is a bare date."""
    try:
        ts = pd.Timestamp(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as err:
        raise AsOfError(f"as_of {value!r} is not a date or timestamp ({err})") from err
    if pd.isna(ts):
        raise AsOfError(f"as_of {value!r} is missing (NaT)")
    try:
        ts = ts.as_unit("ns")
    except (OverflowError, ValueError) as err:
        raise AsOfError(f"as_of {value!r} is outside the supported range {RANGE}") from err
    is_date = isinstance(value, dt.date) and not isinstance(value, dt.datetime)
    return ts, is_date or (ts.tzinfo is None and ts == ts.normalize())


def _local(ts: pd.Timestamp, tz: str, value: object, *, end_of_day: bool) -> pd.Timestamp:
    try:
        if end_of_day:  # the next local midnight; DST may skip it or make it happen twice
            nxt = ts.normalize() + pd.Timedelta(days=1)
            start = nxt.tz_localize(tz, ambiguous=True, nonexistent="shift_forward")
            return start.tz_convert("UTC") - pd.Timedelta(1, "ns")
        return ts.tz_localize(tz, ambiguous=True, nonexistent="raise").tz_convert("UTC")
    except (OverflowError, pd.errors.OutOfBoundsDatetime) as err:
        raise AsOfError(f"as_of {value!r} is outside the supported range {RANGE}") from err
    except ValueError as err:  # NonExistentTimeError
        raise AsOfError(
            f"as_of {value!r} does not exist in {tz} (the clocks skipped it for daylight "
            "saving); give a time outside the gap or a tz-aware timestamp"
        ) from err


def as_of_instant(value: AsOf, tz: str) -> pd.Timestamp:
    """One as-of moment as a UTC Timestamp (nanosecond unit)."""
    if isinstance(value, pd.DatetimeIndex | list | tuple):
        raise AsOfError(f"as_of must be one moment, got {type(value).__name__}")
    ts, is_date = _parse(value)
    if ts.tzinfo is not None:
        return ts.tz_convert("UTC")
    return _local(ts, tz, value, end_of_day=is_date)


def as_of_index(values: AsOf | Iterable[AsOf], tz: str) -> pd.DatetimeIndex:
    """Many as-of moments as a UTC DatetimeIndex (order preserved)."""
    if isinstance(values, str | dt.date | pd.Timestamp):
        values = [values]
    items = list(values)
    if not items:
        raise AsOfError("no as-of dates given")
    fast = _naive_index(items, tz)
    if fast is not None:
        return fast
    return pd.DatetimeIndex([as_of_instant(v, tz) for v in items]).as_unit("ns")


def _naive_index(items: list[Any], tz: str) -> pd.DatetimeIndex | None:
    """The same rules, vectorized, for the common case of many naive dates/times; None
    when anything needs the one-by-one path (which also words the errors)."""
    try:
        idx = pd.DatetimeIndex(items)
        if idx.tz is not None or idx.hasnans:
            return None
        idx = idx.as_unit("ns")
        earlier = np.ones(len(idx), dtype=bool)
        is_date = np.asarray(idx == idx.normalize())
        nxt = (idx.normalize() + pd.Timedelta(days=1)).tz_localize(
            tz, ambiguous=earlier, nonexistent="shift_forward"
        )
        ends = nxt.tz_convert("UTC") - pd.Timedelta(1, "ns")
        times = idx.where(~is_date, idx.normalize() + pd.Timedelta(hours=12))
        walls = times.tz_localize(tz, ambiguous=earlier, nonexistent="raise").tz_convert("UTC")
    except (TypeError, ValueError, OverflowError):
        return None
    return pd.DatetimeIndex(
        np.where(is_date, ends.asi8, walls.asi8).view("datetime64[ns]")
    ).tz_localize("UTC")


def as_of_date(value: AsOf) -> pd.Timestamp:
    """A calendar date (naive midnight, nanosecond unit) from what a user typed, checked
    like an as-of (unparseable or out-of-range dates raise :class:`AsOfError`)."""
    ts, _ = _parse(value)
    return ts.tz_localize(None).normalize() if ts.tzinfo is not None else ts.normalize()


_SNAPSHOT_RE = re.compile(r"(\d{8}T\d{6})\.(\d{9})Z@(\d{8}T\d{6})\.(\d{9})Z")


def _stamp(ts: pd.Timestamp) -> str:
    return f"{ts.tz_convert('UTC'):%Y%m%dT%H%M%S}.{ts.value % 10**9:09d}Z"


def snapshot_id(as_of: pd.Timestamp, known_by: pd.Timestamp) -> str:
    """``<as_of>@<known_by>``, both UTC to the nanosecond, e.g.
    ``20240316T025959.999999999Z@20261201T084512.123456789Z``.

    The two instants are all a lake read depends on: rows released by ``as_of`` and
    committed by ``known_by`` (commit stamps only grow), so the id names the same data
    for as long as the lake exists (compaction keeps every row and its stamp).
    """
    return f"{_stamp(as_of)}@{_stamp(known_by)}"


def parse_snapshot_id(text: str) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The (as_of, known_by) pair a :func:`snapshot_id` names."""
    m = _SNAPSHOT_RE.fullmatch(str(text).strip())
    if m is None:
        raise AsOfError(
            f"snapshot id {text!r} is not of the form "
            "YYYYMMDDTHHMMSS.nnnnnnnnnZ@YYYYMMDDTHHMMSS.nnnnnnnnnZ"
        )
    a, an, k, kn = m.groups()
    stamps = tuple(
        pd.Timestamp(dt.datetime.strptime(d, "%Y%m%dT%H%M%S"), tz="UTC") + pd.Timedelta(int(n))
        for d, n in ((a, an), (k, kn))
    )
    return stamps[0], stamps[1]

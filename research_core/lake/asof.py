"""Turn what users type as an as-of moment into an exact UTC instant.

Rules (the same for ``lake.at`` and ``lake.panel``):

* tz-aware timestamps are exact instants;
* a bare date (``"2024-03-15"``, ``datetime.date``, or a naive timestamp at midnight)
  means the *end* of that day in the fund's time zone (config ``timezone``);
* a naive timestamp with a time of day is that wall-clock time in the fund's time zone.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from research_core._typing import AsOf
from research_core.errors import AsOfError


def as_of_index(values: AsOf | Iterable[AsOf], tz: str) -> pd.DatetimeIndex:
    """Many as-of moments as a UTC DatetimeIndex (order preserved)."""
    if isinstance(values, str | dt.date | pd.Timestamp):
        values = [values]
    items = list(values)
    if not items:
        raise AsOfError("no as-of dates given")
    out = np.empty(len(items), dtype="datetime64[ns]")
    naive_pos: list[int] = []
    naive_vals: list[pd.Timestamp] = []
    end_of_day: list[bool] = []
    for i, v in enumerate(items):
        try:
            ts = pd.Timestamp(v)
        except (TypeError, ValueError) as err:
            raise AsOfError(f"as_of {v!r} is not a date or timestamp") from err
        if pd.isna(ts):
            raise AsOfError(f"as_of {v!r} is missing (NaT)")
        if ts.tzinfo is not None:
            out[i] = ts.tz_convert("UTC").tz_localize(None).to_datetime64()
            continue
        is_date = (
            isinstance(v, dt.date) and not isinstance(v, dt.datetime)
        ) or ts == ts.normalize()
        if is_date:
            ts = ts.normalize() + pd.Timedelta(days=1)
        naive_pos.append(i)
        naive_vals.append(ts)
        end_of_day.append(bool(is_date))
        out[i] = np.datetime64("NaT")
    if naive_pos:
        local = pd.DatetimeIndex(naive_vals).tz_localize(
            tz, nonexistent="shift_forward", ambiguous=False
        )
        utc = local.tz_convert("UTC").tz_localize(None).to_numpy()
        utc = np.where(np.asarray(end_of_day), utc - np.timedelta64(1, "ns"), utc)
        out[np.asarray(naive_pos)] = utc
    return pd.DatetimeIndex(out).tz_localize("UTC")


def as_of_instant(value: AsOf, tz: str) -> pd.Timestamp:
    """One as-of moment as a UTC Timestamp."""
    return as_of_index([value], tz)[0]


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

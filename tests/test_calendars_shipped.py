"""The B3 and NYSE sessions shipped as data (``catalog/sessions.npz``) against
exchange_calendars itself, the fallback when the file's span is too short, and that a
process reading the sessions does not import exchange_calendars."""

from __future__ import annotations

import subprocess
import sys
import warnings
from functools import cache

import exchange_calendars as xcals
import numpy as np
import pandas as pd
import pytest

from research_core.calendars import (
    SESSIONS_FILE,
    _exchange_days,
    business_days,
    write_sessions,
)

SPAN = ("1999-01-04", "2031-12-31")  # the exchange sessions' span of business_days
CODES = {"B3": "BVMF", "NYSE": "XNYS"}  # exchange_calendars' names


@cache
def peer(calendar: str, start: str = SPAN[0], end: str = SPAN[1]) -> pd.DatetimeIndex:
    """exchange_calendars' sessions, naive dates."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = xcals.get_calendar(CODES[calendar], start=start, end=end)
    return pd.DatetimeIndex(cal.sessions.tz_localize(None))


@pytest.mark.parametrize("calendar", ["B3", "NYSE"])
def test_the_shipped_sessions_are_exchange_calendars(calendar: str) -> None:
    """Fails when exchange_calendars' holidays change: then ``make sessions``."""
    with np.load(SESSIONS_FILE) as shipped:
        span = [str(d) for d in shipped["span"]]
        written_by = str(shipped["exchange_calendars"])
        closed = pd.DatetimeIndex(shipped[calendar].astype("datetime64[ns]"))
    assert span[0] <= SPAN[0] and span[1] >= SPAN[1]  # so business_days reads the file
    sessions = pd.bdate_range(span[0], span[1]).difference(closed)
    assert sessions.equals(peer(calendar, *span)), (
        f"{calendar}: sessions written by exchange_calendars {written_by} differ from "
        f"{xcals.__version__}'s; run `make sessions`"
    )


@pytest.mark.parametrize("calendar", ["B3", "NYSE"])
def test_business_days_are_weekdays_then_the_exchanges_sessions(calendar: str) -> None:
    """As the docstring says: plain weekdays before 1999, the exchange's sessions after
    (the composition before the file was shipped, with pandas and exchange_calendars)."""
    early = pd.bdate_range("1900-01-01", "1999-01-03")
    expected = pd.DatetimeIndex(early.append(peer(calendar)), name="date").as_unit("ns")
    got = business_days(calendar)
    pd.testing.assert_index_equal(got, expected, exact=True)
    assert got.freq is None


def test_a_file_short_of_the_span_falls_back_to_exchange_calendars(tmp_path) -> None:
    short = write_sessions(tmp_path / "sessions.npz", SPAN[0], "2020-12-31")
    with np.load(short) as data:
        assert str(data["span"][1]) == "2020-12-31"
    days = _exchange_days("B3", short)
    expected = peer("B3").values.astype("datetime64[D]").astype(np.int64)
    np.testing.assert_array_equal(days, expected)


def test_reading_the_sessions_does_not_import_exchange_calendars() -> None:
    """Building the B3 and NYSE calendars cost every process about 0.3 s of CPU."""
    code = (
        "import sys; from research_core.calendars import business_days, release_times; "
        "business_days('B3'); business_days('NYSE'); "
        "release_times(['2024-01-01'], 'M', {'rule': 'after_period', 'lag_bdays': 8, "
        "'calendar': 'B3', 'time': '09:00', 'tz': 'America/Sao_Paulo'}); "
        "print('exchange_calendars' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


@pytest.mark.parametrize("content", [None, b"not a zip file"])
def test_a_missing_or_corrupt_file_falls_back_to_exchange_calendars(tmp_path, content) -> None:
    # Review of issue 29: a broken package-data file raised BadZipFile/FileNotFoundError
    # from every date check; the sessions are still exchange_calendars' (the peer).
    path = tmp_path / "sessions.npz"
    if content is not None:
        path.write_bytes(content)
    days = _exchange_days("NYSE", path)
    expected = peer("NYSE").values.astype("datetime64[D]").astype(np.int64)
    np.testing.assert_array_equal(days, expected)

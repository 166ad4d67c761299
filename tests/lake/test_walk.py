"""Incremental as-of reads (``lake.walk``, issue 29): views walked forward, back and
forward again see exactly what was released by their own as-of. A revision released
between two as-ofs is seen from its release on and not before. Expected values are written
by hand, or computed independently with pandas from the rows written."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.lake.files import clear_cache
from tests.lake.conftest import rows

# Monthly periods: Jan and Feb released early; Feb revised on 2024-03-10 12:00 UTC; Mar
# released on 2024-04-05; Jan withdrawn on 2024-04-20 and given a value again on 05-01.
WRITES = [
    rows("TEST.A", ["2024-01-01", "2024-02-01"], [1.0, 2.0], ["2024-02-05", "2024-03-05"]),
    rows("TEST.A", ["2024-02-01"], [2.5], ["2024-03-10 12:00"]),
    rows("TEST.A", ["2024-03-01"], [3.0], ["2024-04-05"]),
    rows("TEST.A", ["2024-01-01"], [np.nan], ["2024-04-20"]).assign(withdrawn=True),
    rows("TEST.A", ["2024-01-01"], [1.5], ["2024-05-01"]),
]
# (as-of, known then): by hand from the rows above.
KNOWN = [
    ("2024-03-09 00:00+00:00", [1.0, 2.0]),
    ("2024-03-10 11:59:59.999999999+00:00", [1.0, 2.0]),  # a nanosecond before the revision
    ("2024-03-10 12:00+00:00", [1.0, 2.5]),  # the revision, from its release on
    ("2024-04-30 00:00+00:00", [2.5, 3.0]),  # Jan withdrawn
    ("2024-05-02 00:00+00:00", [1.5, 2.5, 3.0]),
]


def test_a_revision_is_seen_from_its_release_on_walking_forward_and_back(lake):
    for frame in WRITES:
        lake.write(frame)
    clear_cache()
    walk = KNOWN + KNOWN[::-1] + KNOWN[1::2]  # forward, back (one as-of after the other), jumps
    for as_of, values in walk:
        assert lake.at(as_of).series("TEST.A").tolist() == values, as_of
        _, got = lake.at(as_of).values("TEST.A")
        assert got.tolist() == values, as_of


def test_a_revision_stored_after_known_by_is_not_seen(lake):
    lake.write(WRITES[0])
    then = lake.known_through
    lake.write(WRITES[1])  # the Feb revision, stored after ``then``
    clear_cache()
    now = "2024-03-20 00:00+00:00"
    assert lake.at(now).series("TEST.A").tolist() == [1.0, 2.5]
    assert lake.at(now, known_by=then).series("TEST.A").tolist() == [1.0, 2.0]
    assert lake.at("2024-03-25 00:00+00:00", known_by=then).series("TEST.A").tolist() == [1.0, 2.0]
    assert lake.at("2024-03-25 00:00+00:00").series("TEST.A").tolist() == [1.0, 2.5]


def _expected(frame: pd.DataFrame, as_of: pd.Timestamp) -> pd.DataFrame:
    """The newest vintage per period released by ``as_of``, withdrawn periods dropped:
    pandas on the rows written, independently of the lake's kernels."""
    known = frame[frame["release_time"] <= as_of].sort_values("release_time", kind="stable")
    newest = known.groupby("obs_date").tail(1).sort_values("obs_date")
    return newest[newest["value"].notna()]


def test_random_revisions_walked_in_any_order_match_pandas(lake):
    rng = np.random.default_rng(7)
    periods = pd.date_range("2020-01-01", periods=40, freq="MS")
    base = pd.Timestamp("2020-02-01", tz="UTC")
    obs = pd.DatetimeIndex(rng.choice(periods, size=160))
    release = obs.tz_localize("UTC") + pd.to_timedelta(rng.integers(0, 600, size=160), unit="D")
    values = rng.normal(size=160).round(3)
    frame = rows("TEST.B", list(obs), list(values), list(release.astype(str)))
    frame = frame.drop_duplicates(["obs_date", "release_time"])
    frame.loc[rng.random(len(frame)) < 0.05, "value"] = np.nan  # some withdrawals
    frame = frame.assign(withdrawn=frame["value"].isna())
    for part in (frame.iloc[:50], frame.iloc[50:100], frame.iloc[100:]):  # three files
        lake.write(part)
    clear_cache()
    stamps = base + pd.to_timedelta(np.sort(rng.integers(-30, 1900, size=60)), unit="D")
    order = np.concatenate([np.arange(60), rng.permutation(60), np.arange(60)[::3]])
    for i in order:
        expected = _expected(frame, stamps[i])
        obs, got, released = lake.at(stamps[i]).history_arrays(["TEST.B"])[0]
        np.testing.assert_array_equal(obs, expected["obs_date"].to_numpy().astype("M8[ns]"))
        np.testing.assert_array_equal(got, expected["value"].to_numpy())
        np.testing.assert_array_equal(
            released, pd.DatetimeIndex(expected["release_time"]).as_unit("ns").asi8
        )
        latest = _latest(frame, stamps[i])  # the same walk answers latest and latest_values
        (obs_ns,), (value,) = lake.at(stamps[i]).latest_values(["TEST.B"])
        assert obs_ns == latest[0]
        assert np.array_equal([value], [latest[1]], equal_nan=True)
        row = lake.at(stamps[i]).latest(["TEST.B"]).loc["TEST.B"]
        assert np.array_equal([row["value"]], [latest[1]], equal_nan=True)
        assert (pd.isna(row["obs_date"]) and obs_ns == np.iinfo(np.int64).min) or (
            row["obs_date"].value == obs_ns
        )


def _latest(frame: pd.DataFrame, as_of: pd.Timestamp) -> tuple[int, float]:
    """The latest period released by ``as_of`` (int64 ns) and its newest value, NaN if
    withdrawn; (int64 min, NaN) when nothing was released: pandas, by hand."""
    known = frame[frame["release_time"] <= as_of]
    if known.empty:
        return np.iinfo(np.int64).min, np.nan
    last = known[known["obs_date"] == known["obs_date"].max()].sort_values("release_time")
    return pd.Timestamp(last["obs_date"].iloc[-1]).as_unit("ns").value, last["value"].iloc[-1]

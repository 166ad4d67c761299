"""Property tests: random vintage histories read back exactly like a brute-force
"latest release at or before as_of", for ``at().series``, ``latest`` and ``panel``, before
and after compaction, whether written in one go or in many small ingests."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from research_core.lake import Lake
from research_core.lake.maintenance import compact_lake

SERIES = ["TEST.A", "TEST.B"]
BASE = pd.Timestamp("2024-01-01")
TZ = "America/Sao_Paulo"

row_strategy = st.tuples(
    st.sampled_from(SERIES),
    st.integers(0, 12),  # obs day offset
    st.integers(1, 30),  # release day offset after the period (>= 1 day: never early)
    st.sampled_from([0, 6, 12]),  # release hour (UTC) - small set to force ties
    st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False),
)
histories = st.lists(row_strategy, min_size=0, max_size=40, unique_by=lambda r: r[:4])
as_ofs = st.lists(
    st.tuples(st.integers(0, 45), st.sampled_from([0, 6, 12, 23])), min_size=1, max_size=6
)


def _frame(history: list[tuple[str, int, int, int, float]]) -> pd.DataFrame:
    sid, obs, rel, hour, val = zip(*history, strict=True) if history else ([], [], [], [], [])
    obs_date = BASE + pd.to_timedelta(list(obs), unit="D")
    release = (
        obs_date + pd.to_timedelta(list(rel), unit="D") + pd.to_timedelta(list(hour), unit="h")
    ).tz_localize("UTC")
    return pd.DataFrame(
        {
            "series_id": list(sid),
            "obs_date": obs_date,
            "value": list(val),
            "release_time": release,
            "source": "test",
        }
    )


def _brute_history(frame: pd.DataFrame, sid: str, as_of: pd.Timestamp) -> pd.Series:
    known = frame[(frame.series_id == sid) & (frame.release_time <= as_of)]
    newest = known.sort_values("release_time").groupby("obs_date").tail(1)
    return newest.set_index("obs_date")["value"].sort_index()


def _brute_latest(frame: pd.DataFrame, sid: str, as_of: pd.Timestamp) -> tuple:
    hist = _brute_history(frame, sid, as_of)
    if hist.empty:
        return (pd.NaT, np.nan)
    return (hist.index[-1], hist.iloc[-1])


def _open(tmp: Path) -> Lake:
    lake = Lake.open(tmp, create=True)
    for sid in SERIES:
        lake.register(sid, frequency="D", units="x")
    return lake


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(history=histories, points=as_ofs, chunks=st.integers(1, 3))
def test_reads_match_brute_force(history, points, chunks):
    tmp = Path(tempfile.mkdtemp())
    try:
        lake = _open(tmp / "lake")
        frame = _frame(history)
        for part in np.array_split(np.arange(len(frame)), chunks):
            lake.write(frame.iloc[part])
        stamps = [(BASE + pd.Timedelta(days=d, hours=h)).tz_localize("UTC") for d, h in points]
        _check(lake, frame, stamps)
        compact_lake(lake)
        assert len(lake.files()) <= 1
        _check(Lake.open(tmp / "lake"), frame, stamps)
    finally:
        shutil.rmtree(tmp)


def _check(lake: Lake, frame: pd.DataFrame, stamps: list[pd.Timestamp]) -> None:
    panel = lake.panel(SERIES, stamps)
    assert len(panel) == len(stamps) * len(SERIES)
    for i, as_of in enumerate(stamps):
        view = lake.at(as_of)
        latest = view.latest(SERIES)
        for j, sid in enumerate(SERIES):
            expected = _brute_history(frame, sid, as_of)
            got = view.series(sid)
            assert got.index.equals(pd.DatetimeIndex(expected.index)), (sid, as_of)
            assert np.array_equal(got.to_numpy(), expected.to_numpy())
            obs, val = _brute_latest(frame, sid, as_of)
            row = panel.iloc[i * len(SERIES) + j]
            assert row.series_id == sid and row.as_of == as_of
            for got_obs, got_val in (
                (row.obs_date, row.value),
                (latest.loc[sid, "obs_date"], latest.loc[sid, "value"]),
            ):
                if pd.isna(obs):
                    assert pd.isna(got_obs) and np.isnan(got_val)
                else:
                    assert got_obs == obs and got_val == val
            hist = view.history(sid)
            assert (hist["release_time"] <= as_of).all()


def test_panel_handles_ties_and_late_revisions(lake):
    # Period 2 is first released together with a revision of period 1 (same instant);
    # afterwards only period 1 is revised again: the latest period stays period 2.
    t1, t2, t3 = (
        pd.Timestamp(x, tz="UTC")
        for x in ("2024-01-03 12:00", "2024-01-04 12:00", "2024-01-20 12:00")
    )
    frame = pd.DataFrame(
        {
            "series_id": "TEST.A",
            "obs_date": pd.to_datetime(["2024-01-01", "2024-01-01", "2024-01-02", "2024-01-01"]),
            "value": [1.0, 1.1, 2.0, 1.2],
            "release_time": [t1, t2, t2, t3],
            "source": "test",
        }
    )
    lake.write(frame)
    panel = lake.panel(["TEST.A"], [t1, t2, t3, t1 - pd.Timedelta(1, "s")])
    assert panel["value"].tolist()[:3] == [1.0, 2.0, 2.0]
    assert np.isnan(panel["value"].iloc[3]) and pd.isna(panel["obs_date"].iloc[3])
    assert lake.at(t3).series("TEST.A").tolist() == [1.2, 2.0]

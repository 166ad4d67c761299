"""What the agent report store keeps (issue 29): an entry is the SHA-256 of the rest, the
pickle's size (8 bytes, little endian) and the pickle compressed with Zstandard, and a
report read back is the report kept, frames, index types and frequencies included."""

from __future__ import annotations

import hashlib
import pickle
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa

from research_core.agents.report import AgentReport
from research_core.agents.store import AgentReportStore
from research_core.lake.store import Lake
from research_core.records import Signal

AS_OF = pd.Timestamp("2024-01-31 23:00", tz="UTC")


def _report() -> AgentReport:
    """A small report with what real ones hold: NaN, a monthly index with its frequency,
    times in and out of UTC, integers and booleans."""
    months = pd.date_range("2023-10-01", periods=4, freq="MS", name="obs_date")
    signal = Signal(AS_OF, "agent:fiscal", "BR.FISCAL", 1, 0.1 + 0.2, 0.75, 63, "why", model="m")
    inputs = pd.DataFrame(
        {
            "series_id": ["BR.A", "BR.B"],
            "obs_date": pd.DatetimeIndex(["2023-12-01", "2024-01-01"]),
            "release_time": pd.DatetimeIndex(["2024-01-10", "2024-01-30"], tz="UTC"),
            "value": [1.0 / 3.0, -0.0],
            "age_days": np.array([21, 1], dtype=np.int64),
            "stale": [False, True],
        }
    )
    chart = pd.DataFrame({"x": [0.1, np.nan, 2.5e-300, -7.0]}, index=months)
    return AgentReport(
        "fiscal", AS_OF, (signal,), {"fit": chart.T}, inputs, {"path": chart}, ("a",), ("n",)
    )


def _same(a: pd.DataFrame, b: pd.DataFrame) -> bool:
    """Equal values (bit for bit), labels, dtypes, and index type and frequency."""
    return (
        a.equals(b)
        and list(a.dtypes) == list(b.dtypes)
        and type(a.index) is type(b.index)
        and getattr(a.index, "freq", None) == getattr(b.index, "freq", None)
        and all(
            a[c].to_numpy().tobytes() == b[c].to_numpy().tobytes()
            for c in a.columns
            if a[c].to_numpy().dtype != object  # numbers, times, flags: their bits
        )
    )


def test_an_entry_is_a_checksummed_sized_zstd_pickle_read_back_whole(tmp_path: Path):
    lake = Lake.open(tmp_path / "lake", create=True)
    view = lake.at(AS_OF)
    made = _report()
    AgentReportStore(lake).put(view, "fiscal", "v=1", made)
    path = AgentReportStore(lake).path(view, "fiscal", "v=1")
    blob = path.read_bytes()
    # The layout, decoded by hand: digest, size, Zstandard frame (its magic 28 B5 2F FD).
    digest, size, body = blob[:32], int.from_bytes(blob[32:40], "little"), blob[40:]
    assert hashlib.sha256(blob[32:]).digest() == digest
    assert body[:4] == bytes.fromhex("28b52ffd")
    raw = pa.decompress(body, decompressed_size=size, codec="zstd", asbytes=True)
    assert len(raw) == size
    for got in (pickle.loads(raw), AgentReportStore(lake).get(view, "fiscal", "v=1")):
        assert isinstance(got, AgentReport) and got is not made
        assert got.signals == made.signals and got.signals[0].strength == 0.1 + 0.2
        assert (got.agent, got.as_of, got.narrative, got.notes) == ("fiscal", AS_OF, ("a",), ("n",))
        assert _same(got.inputs, made.inputs) and _same(got.charts["path"], made.charts["path"])
        assert _same(got.diagnostics["fit"], made.diagnostics["fit"])
        assert got.charts["path"].index.freqstr == "MS"


def test_an_entry_that_passes_its_checksum_but_does_not_decode_is_recomputed(tmp_path: Path):
    """A sound checksum over a payload that is not a sized Zstandard pickle (written by
    other code, e.g. a zlib store's; a wrong size; a cut frame) reads as not kept (None),
    not as a crash (review of #29: pyarrow raises OSError, a wild size MemoryError)."""
    import zlib

    lake = Lake.open(tmp_path / "lake", create=True)
    view = lake.at(AS_OF)
    store = AgentReportStore(lake)
    store.put(view, "fiscal", "v=1", _report())
    path = store.path(view, "fiscal", "v=1")
    good = path.read_bytes()[32:]
    raw = pickle.dumps(_report())
    payloads = {
        "zlib": zlib.compress(raw, 1),  # what the store once kept: no size in front
        "size too small": (10).to_bytes(8, "little") + good[8:],
        "size too large": (len(raw) + 10).to_bytes(8, "little") + good[8:],
        "cut frame": good[: len(good) // 2],
    }
    for what, payload in payloads.items():
        path.write_bytes(hashlib.sha256(payload).digest() + payload)
        assert store.get(view, "fiscal", "v=1") is None, what

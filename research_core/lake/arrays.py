"""The as-of kernels on sorted numpy arrays (no I/O).

For one series, rows are kept sorted by ``(release_time, obs_date)``. After the first
``k`` releases the lake knew the periods ``obs[:k]``; the answer "latest period known, in
its newest vintage" is the last row ``j < k`` whose ``obs[j]`` equals the running maximum
of ``obs`` (releases come in time order, so among rows of that period the last one is the
newest vintage). A running max and one ``searchsorted`` per series answer any number of
as-of dates at once, without a per-date loop.

A NaN value is a *withdrawal*: from that release on the period has no value (ALFRED's
"."). The kernels treat it as the period's newest vintage; callers drop it from histories
and show NaN in panels.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_DAY_NS = 86_400 * 10**9
_I64 = np.empty(0, np.int64)


@dataclass(frozen=True)
class SeriesArrays:
    """One series' rows sorted by (release_time, obs_date): int64 ns, int64 days, float64,
    and when each row was stored (int64 ns, the commit stamp of its write)."""

    release_ns: np.ndarray
    obs_days: np.ndarray
    value: np.ndarray
    ingested_ns: np.ndarray

    @classmethod
    def empty(cls) -> SeriesArrays:
        return cls(_I64, _I64, np.empty(0, np.float64), _I64)

    @classmethod
    def split(
        cls, table: pa.Table, series_ids: Sequence[str], *, presorted: bool = False
    ) -> dict[str, SeriesArrays]:
        """Split an Arrow table of several series into sorted per-series arrays.

        ``presorted`` says the rows already come sorted by (series_id, release_time,
        obs_date), as every lake file is written; otherwise they are sorted here.
        """
        names, codes = _series_codes(table)
        rel = table.column("release_time").cast(pa.int64()).to_numpy()
        obs = table.column("obs_date").cast(pa.int32()).to_numpy().astype(np.int64)
        val = table.column("value").to_numpy()
        ing = table.column("ingested_at").cast(pa.int64()).to_numpy()
        grouped = len(codes) < 2 or bool(np.all(codes[1:] >= codes[:-1]))
        if not (presorted and grouped):
            order = np.lexsort((obs, rel, codes))
            codes, rel, obs, val = codes[order], rel[order], obs[order], val[order]
            ing = ing[order]
        bounds = np.searchsorted(codes, np.arange(len(names) + 1, dtype=codes.dtype))
        out = {
            str(names[c]): cls(rel[lo:hi], obs[lo:hi], val[lo:hi], ing[lo:hi])
            for c, (lo, hi) in enumerate(itertools.pairwise(bounds))
        }
        return {s: out.get(s, cls.empty()) for s in series_ids}

    def bounded(
        self, release_ns: int, known_by_ns: int, *, periods_by: int | None = None
    ) -> SeriesArrays:
        """A copy holding only rows released by ``release_ns`` and stored by ``known_by_ns``;
        with ``periods_by``, only rows of periods released by then (later revisions of the
        periods known at that instant, never a later period).

        Always a copy (never a numpy view of the full arrays), so nothing reachable from
        the result holds the rows it left out.
        """
        k = self.known_rows(release_ns)
        keep = self.ingested_ns[:k] <= known_by_ns
        if periods_by is not None:
            j = self.known_rows(periods_by)
            known = self.obs_days[:j][self.ingested_ns[:j] <= known_by_ns]
            keep &= np.isin(self.obs_days[:k], known)
        return SeriesArrays(
            self.release_ns[:k][keep].copy(),
            self.obs_days[:k][keep].copy(),
            self.value[:k][keep].copy(),
            self.ingested_ns[:k][keep].copy(),
        )

    def known_rows(self, as_of_ns: int) -> int:
        """How many rows were released at or before ``as_of_ns``."""
        return int(self.release_ns.searchsorted(as_of_ns, side="right"))

    def latest_rows(self, as_of_ns: np.ndarray) -> np.ndarray:
        """Row index of the latest period's newest vintage at each as-of (-1: none)."""
        n = len(self.obs_days)
        if n == 0:
            return np.full(len(as_of_ns), -1, dtype=np.int64)
        running = np.maximum.accumulate(self.obs_days)
        best = np.maximum.accumulate(np.where(self.obs_days == running, np.arange(n), -1))
        known = np.searchsorted(self.release_ns, as_of_ns, side="right")
        return np.where(known > 0, best[np.maximum(known - 1, 0)], -1)

    def history_rows(self, as_of_ns: int) -> np.ndarray:
        """Row indices of the newest vintage per period known at ``as_of_ns``, by period
        (withdrawn periods, whose newest vintage is NaN, left out)."""
        k = self.known_rows(as_of_ns)
        order = np.argsort(self.obs_days[:k], kind="stable")
        obs = self.obs_days[order]
        last = np.ones(k, dtype=bool)
        last[:-1] = obs[1:] != obs[:-1]
        rows = order[last]
        return rows[~np.isnan(self.value[rows])]


def _series_codes(table: pa.Table) -> tuple[list[str], np.ndarray]:
    """Series names and per-row integer codes (for a sorted file: in row order)."""
    column = table.column("series_id")
    if pa.types.is_dictionary(column.type):
        column = table.unify_dictionaries().column("series_id")
        if column.num_chunks == 0:
            return [], np.empty(0, dtype=np.int32)
        names = column.chunk(0).dictionary.to_pylist()
        codes = np.concatenate([c.indices.to_numpy(zero_copy_only=False) for c in column.chunks])
        return names, codes
    enc = pc.dictionary_encode(column).combine_chunks()
    return enc.dictionary.to_pylist(), enc.indices.to_numpy(zero_copy_only=False)


def dates(days: np.ndarray) -> np.ndarray:
    """int64 days since epoch as datetime64[ns]."""
    return (days * _DAY_NS).astype("datetime64[ns]")


def history_frame(obs_days: np.ndarray, value: np.ndarray, release_ns: np.ndarray) -> pd.DataFrame:
    """Rows of one series as a frame: obs_date index, value, release_time."""
    index = pd.DatetimeIndex(dates(obs_days), name="obs_date")
    release = pd.DatetimeIndex(release_ns.view("datetime64[ns]")).tz_localize("UTC")
    return pd.DataFrame({"value": value, "release_time": release}, index=index)


def panel_frame(
    series_ids: Sequence[str], arrays: Sequence[SeriesArrays], as_of: pd.DatetimeIndex
) -> pd.DataFrame:
    """Long as-of panel: as_of-major, series in the given order (see ``Lake.panel``).

    A withdrawn latest period shows its obs_date and release with a NaN value.
    """
    stamps = as_of.asi8
    k, m = len(series_ids), len(stamps)
    obs = np.full((m, k), np.iinfo(np.int64).min, dtype=np.int64)
    rel = np.full((m, k), np.iinfo(np.int64).min, dtype=np.int64)
    val = np.full((m, k), np.nan)
    for j, arr in enumerate(arrays):
        rows = arr.latest_rows(stamps)
        hit = rows >= 0
        obs[hit, j] = arr.obs_days[rows[hit]] * _DAY_NS
        rel[hit, j] = arr.release_ns[rows[hit]]
        val[hit, j] = arr.value[rows[hit]]
    return long_frame(series_ids, as_of, obs, val, rel)


def long_frame(
    series_ids: Sequence[str],
    as_of: pd.DatetimeIndex,
    obs_ns: np.ndarray,
    value: np.ndarray,
    release_ns: np.ndarray,
) -> pd.DataFrame:
    """The long as-of panel from (as-of x series) matrices of obs dates and release times
    (int64 ns, int64 min for none) and values."""
    k, m = len(series_ids), len(as_of)
    return pd.DataFrame(
        {
            "as_of": np.repeat(as_of, k),
            "series_id": np.tile(np.asarray(series_ids, dtype=object), m),
            "obs_date": obs_ns.ravel().view("datetime64[ns]"),
            "value": value.ravel(),
            "release_time": pd.DatetimeIndex(release_ns.ravel().view("datetime64[ns]")).tz_localize(
                "UTC"
            ),
        }
    )

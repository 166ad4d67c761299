"""Point-in-time reads: the as-of kernels on sorted numpy arrays, and :class:`PITView`.

For one series, rows are kept sorted by ``(release_time, obs_date)``. After the first
``k`` releases the lake knew the periods ``obs[:k]``; the answer "latest period known, in
its newest vintage" is the last row ``j < k`` whose ``obs[j]`` equals the running maximum
of ``obs`` (releases come in time order, so among rows of that period the last one is the
newest vintage). A running max and one ``searchsorted`` per series answer any number of
as-of dates at once, without a per-date loop.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from research_core._typing import SeriesIds
from research_core.errors import LookAheadError
from research_core.lake.asof import as_of_instant, snapshot_id

if TYPE_CHECKING:
    from research_core.lake.store import Lake

_DAY_NS = 86_400 * 10**9


@dataclass(frozen=True)
class SeriesArrays:
    """One series' rows sorted by (release_time, obs_date): int64 ns, int64 days, float64,
    and when each row was stored (int64 ns, the commit stamp of its write)."""

    release_ns: np.ndarray
    obs_days: np.ndarray
    value: np.ndarray
    ingested_ns: np.ndarray

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
        i64 = np.empty(0, np.int64)
        empty = cls(i64, i64, np.empty(0, np.float64), i64)
        return {s: out.get(s, empty) for s in series_ids}

    def stored_by(self, known_by_ns: int) -> SeriesArrays:
        """Only the rows stored (committed) at or before ``known_by_ns``; order is kept."""
        keep = self.ingested_ns <= known_by_ns
        if keep.all():
            return self
        return SeriesArrays(
            self.release_ns[keep], self.obs_days[keep], self.value[keep], self.ingested_ns[keep]
        )

    def known_rows(self, as_of_ns: int) -> int:
        """How many rows were released at or before ``as_of_ns``."""
        return int(np.searchsorted(self.release_ns, as_of_ns, side="right"))

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
        """Row indices of the newest vintage per period known at ``as_of_ns``, by period."""
        k = self.known_rows(as_of_ns)
        order = np.argsort(self.obs_days[:k], kind="stable")
        obs = self.obs_days[order]
        last = np.ones(k, dtype=bool)
        last[:-1] = obs[1:] != obs[:-1]
        return order[last]


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


def _dates(days: np.ndarray) -> np.ndarray:
    """int64 days since epoch (with -1 rows masked by the caller) as datetime64[ns]."""
    return (days * _DAY_NS).astype("datetime64[ns]")


def panel_frame(
    series_ids: Sequence[str], arrays: Sequence[SeriesArrays], as_of: pd.DatetimeIndex
) -> pd.DataFrame:
    """Long as-of panel: as_of-major, series in the given order (see ``Lake.panel``)."""
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
    return pd.DataFrame(
        {
            "as_of": np.repeat(as_of, k),
            "series_id": np.tile(np.asarray(series_ids, dtype=object), m),
            "obs_date": obs.ravel().view("datetime64[ns]"),
            "value": val.ravel(),
            "release_time": pd.DatetimeIndex(rel.ravel().view("datetime64[ns]")).tz_localize("UTC"),
        }
    )


class PITView:
    """The lake as it was known at one instant: nothing released later is visible.

    A view is bitemporal: it sees rows released by ``as_of`` *and* stored by ``known_by``
    (the lake's commit stamp). ``known_by`` is fixed when the view is made, so later
    ingests and revisions never change what a view (or its :attr:`snapshot_id`) returns.
    """

    def __init__(self, lake: Lake, as_of: pd.Timestamp, known_by: pd.Timestamp) -> None:
        self._lake = lake
        self._as_of = as_of
        self._known_by = known_by

    @property
    def as_of(self) -> pd.Timestamp:
        """The instant (UTC) this view sees up to, inclusive."""
        return self._as_of

    @property
    def known_by(self) -> pd.Timestamp:
        """The storage instant (UTC) this view sees up to: rows committed at or before it."""
        return self._known_by

    @property
    def snapshot_id(self) -> str:
        """Names (as_of, known_by) for this lake: ``lake.at_snapshot(id)`` reopens this view."""
        return snapshot_id(self._as_of, self._known_by)

    @property
    def cache_key(self) -> tuple[object, ...]:
        """Identifies what this view can see: lake, snapshot (as_of, known_by), vintage."""
        return (str(self._lake.root), self.snapshot_id, "as_of")

    def _arrays(self, series_ids: Sequence[str]) -> list[SeriesArrays]:
        ns = self._known_by.value
        return [a.stored_by(ns) for a in self._lake._arrays(series_ids)]

    def at(self, as_of: object) -> PITView:
        """An earlier (or the same) view; asking for a later instant is look-ahead."""
        stamp = as_of_instant(as_of, self._lake.tz)  # type: ignore[arg-type]
        if stamp > self._as_of:
            raise LookAheadError(
                f"view as of {self._as_of.isoformat()} asked for {stamp.isoformat()}: "
                "data after the as-of instant are not visible"
            )
        return type(self)(self._lake, stamp, self._known_by)

    def history(self, series_id: str) -> pd.DataFrame:
        """Periods known then, newest vintage each: obs_date index, value, release_time."""
        self._lake._check_known([series_id])
        (arr,) = self._arrays([series_id])
        rows = arr.history_rows(self._as_of.value)
        index = pd.DatetimeIndex(_dates(arr.obs_days[rows]), name="obs_date")
        release = pd.DatetimeIndex(arr.release_ns[rows].view("datetime64[ns]")).tz_localize("UTC")
        return pd.DataFrame({"value": arr.value[rows], "release_time": release}, index=index)

    def series(self, series_id: str) -> pd.Series:
        """A series' history as known then (newest vintage per period), indexed by obs_date."""
        return self.history(series_id)["value"].rename(series_id)

    def latest(self, series_ids: SeriesIds) -> pd.DataFrame:
        """Last known period per series: index series_id; obs_date, value, release_time."""
        ids = self._lake._check_known(series_ids)
        stamps = pd.DatetimeIndex([self._as_of])
        frame = panel_frame(ids, self._arrays(ids), stamps)
        return frame.drop(columns="as_of").set_index("series_id")

    def frame(self, series_ids: Iterable[str]) -> pd.DataFrame:
        """Several series as known then, side by side (columns = series, index = obs_date)."""
        return pd.concat([self.series(s) for s in series_ids], axis=1, sort=True)

    def __repr__(self) -> str:
        return f"PITView({self.snapshot_id}, lake={self._lake.root})"

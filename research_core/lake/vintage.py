"""Views for vintage-grid backtests: the same periods, different revisions.

* ``as_of`` — what was known at the time (the real-time view, :class:`PITView`).
* ``first_release`` — the periods known at the time, each at its first published value.
* ``latest`` — the periods known at the time, each at its newest value stored by the
  view's ``known_by``.

Running one strategy on all three measures how much of a result rests on revisions nobody
had in real time. Only the *values* change; which periods exist at a date never does, so
``latest`` is not a look-ahead of new data, only of revisions (which is the point: its
reader is the one view reader that hands out rows released after ``as_of``, yet a view
made from it still stops at ``as_of``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from research_core._typing import SeriesIds
from research_core.errors import BacktestError
from research_core.lake.arrays import SeriesArrays, dates
from research_core.lake.pit import Columns, Dated, PITReader, PITView, _initialize
from research_core.lake.walk import Mark

if TYPE_CHECKING:
    from research_core.lake.store import Lake

Vintage = Literal["as_of", "first_release", "latest"]
VINTAGES: tuple[Vintage, ...] = ("first_release", "as_of", "latest")


class VintageView(PITView):
    """A :class:`PITView` whose values come from the first or the newest vintage."""

    __slots__ = ("vintage",)

    vintage: Vintage

    def __init__(self, reader: PITReader, as_of: pd.Timestamp, vintage: Vintage) -> None:
        if vintage not in ("first_release", "latest"):
            raise BacktestError(f"unknown vintage {vintage!r}; valid: {list(VINTAGES)}")
        # latest: revisions of known periods released later are the point of this view
        narrowed = reader.narrowed(as_of, later_revisions=vintage == "latest")
        _initialize(self, _reader=narrowed, _as_of=as_of, vintage=vintage)

    @property
    def cache_key(self) -> tuple[object, ...]:
        return (*super().cache_key[:2], self.vintage)

    def at(self, as_of: object) -> PITView:
        stamp = self._instant(as_of)
        return VintageView(self._reader, stamp, self.vintage)

    def _histories(self, series_ids: Sequence[str]) -> list[Columns]:
        """Each series' periods known then, at the first or the newest vintage."""
        out = []
        for arr in self._reader.arrays(series_ids):
            rows = self._rows(arr)
            out.append((arr.obs_days[rows], arr.value[rows], arr.release_ns[rows]))
        return out

    def _dated(self, series_ids: Sequence[str]) -> list[Columns]:
        return [(dates(obs), v, r) for obs, v, r in self._histories(series_ids)]

    def marked_arrays(self, series_ids: Sequence[str]) -> Sequence[tuple[Dated, Mark | None]]:
        return [((obs, v), None) for obs, v, _ in self._dated(series_ids)]

    def _latest_columns(self, series_ids: list[str]) -> Columns:
        """The latest period known then, at this view's vintage: the last row of its
        history, as :meth:`latest` gives it (``latest_values`` handed out the as-of
        vintage here, so a first-release backtest read revised values through it)."""
        none = np.iinfo(np.int64).min
        n = len(series_ids)
        obs, val, rel = np.full(n, none), np.full(n, np.nan), np.full(n, none)
        for j, (o, v, r) in enumerate(self._histories(series_ids)):
            if len(o):
                obs[j], val[j], rel[j] = o[-1], v[-1], r[-1]
        return obs, val, rel

    def _rows(self, arr: SeriesArrays) -> np.ndarray:
        k = arr.known_rows(self._as_of.value)
        if self.vintage == "first_release":
            order = np.lexsort((arr.release_ns[:k], arr.obs_days[:k]))  # by period, release
            obs = arr.obs_days[:k][order]
            first = np.ones(len(obs), dtype=bool)
            first[1:] = obs[1:] != obs[:-1]
            rows = order[first]
            rows = rows[~np.isnan(arr.value[rows])]
        else:
            periods = np.unique(arr.obs_days[:k])
            newest = arr.history_rows(np.iinfo(np.int64).max)
            rows = newest[np.isin(arr.obs_days[newest], periods)]
        return rows

    def latest(self, series_ids: SeriesIds) -> pd.DataFrame:
        ids = self._reader.check_known(series_ids)
        rows = []
        for sid in ids:
            h = self.history(sid)
            if h.empty:
                rows.append((sid, pd.NaT, np.nan, pd.NaT))
            else:
                rows.append((sid, h.index[-1], h["value"].iloc[-1], h["release_time"].iloc[-1]))
        cols = ["series_id", "obs_date", "value", "release_time"]
        return pd.DataFrame(rows, columns=cols).set_index("series_id")

    def __repr__(self) -> str:
        return f"VintageView({self.vintage}, {self.snapshot_id})"


def view_at(lake: Lake, as_of: object, vintage: Vintage = "as_of") -> PITView:
    """The view a backtest hands to strategies at ``as_of`` for the chosen vintage."""
    base = lake.at(as_of)  # type: ignore[arg-type]
    if vintage == "as_of":
        return base
    return VintageView(lake.reader(known_by=base.known_by), base.as_of, vintage)

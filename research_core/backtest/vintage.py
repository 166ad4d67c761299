"""Views for vintage-grid backtests: the same periods, different revisions.

* ``as_of`` — what was known at the time (the real-time view, :class:`PITView`).
* ``first_release`` — the periods known at the time, each at its first published value.
* ``latest`` — the periods known at the time, each at its newest value in the whole lake.

Running one strategy on all three measures how much of a result rests on revisions nobody
had in real time. Only the *values* change; which periods exist at a date never does, so
``latest`` is not a look-ahead of new data, only of revisions (which is the point).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import pandas as pd

from research_core._typing import SeriesIds
from research_core.errors import BacktestError
from research_core.lake.pit import PITView, _dates
from research_core.lake.store import Lake

Vintage = Literal["as_of", "first_release", "latest"]
VINTAGES: tuple[Vintage, ...] = ("first_release", "as_of", "latest")


class VintageView(PITView):
    """A :class:`PITView` whose values come from the first or the newest vintage."""

    def __init__(
        self, lake: Lake, as_of: pd.Timestamp, known_by: pd.Timestamp, vintage: Vintage
    ) -> None:
        if vintage not in ("first_release", "latest"):
            raise BacktestError(f"unknown vintage {vintage!r}; valid: {list(VINTAGES)}")
        super().__init__(lake, as_of, known_by)
        self.vintage = vintage

    @property
    def cache_key(self) -> tuple[object, ...]:
        return (*super().cache_key[:2], self.vintage)

    def at(self, as_of: object) -> PITView:
        earlier = super().at(as_of)
        return VintageView(self._lake, earlier.as_of, self._known_by, self.vintage)

    def history(self, series_id: str) -> pd.DataFrame:
        self._lake._check_known([series_id])
        (arr,) = self._arrays([series_id])
        k = arr.known_rows(self._as_of.value)
        periods = np.unique(arr.obs_days[:k])
        if self.vintage == "first_release":
            rows_known = np.arange(k)
            order = np.lexsort((arr.release_ns[:k], arr.obs_days[:k]))  # by period, release
            obs = arr.obs_days[:k][order]
            first = np.ones(len(obs), dtype=bool)
            first[1:] = obs[1:] != obs[:-1]
            rows = rows_known[order][first]
        else:
            newest = arr.history_rows(np.iinfo(np.int64).max)
            rows = newest[np.isin(arr.obs_days[newest], periods)]
        index = pd.DatetimeIndex(_dates(arr.obs_days[rows]), name="obs_date")
        release = pd.DatetimeIndex(arr.release_ns[rows].view("datetime64[ns]")).tz_localize("UTC")
        return pd.DataFrame({"value": arr.value[rows], "release_time": release}, index=index)

    def latest(self, series_ids: SeriesIds) -> pd.DataFrame:
        ids = self._lake._check_known(series_ids)
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
        return f"VintageView({self.vintage}, as_of={self._as_of.isoformat()})"


def view_at(lake: Lake, as_of: object, vintage: Vintage = "as_of") -> PITView:
    """The view a backtest hands to strategies at ``as_of`` for the chosen vintage."""
    base = lake.at(as_of)  # type: ignore[arg-type]
    if vintage == "as_of":
        return base
    return VintageView(lake, base.as_of, base.known_by, vintage)

"""Point-in-time reads: :class:`PITReader` (what a view may ask) and :class:`PITView`.

The point-in-time boundary sits here. A view holds a reader, never the :class:`Lake`; the
reader holds its bounds (``as_of``, ``known_by``), the names of one manifest snapshot's
files and the series specs, and hands out copies of rows within its bounds only. The full
arrays live in a module-level cache (``lake.files``), not on any object a view reaches.

What Python cannot hide: code that imports ``research_core.lake`` can open the lake
itself from the configuration. That case is caught by ``run_backtest(..., verify=N)``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from research_core._typing import SeriesIds
from research_core.catalog import SeriesSpec
from research_core.errors import CatalogError, LookAheadError
from research_core.lake.arrays import SeriesArrays, history_frame, panel_frame
from research_core.lake.asof import as_of_instant, snapshot_id
from research_core.lake.files import LakeFiles, load_arrays

NO_LIMIT = np.iinfo(np.int64).max


class PITReader:
    """The small interface between a view and the store: rows released by ``release_limit``
    and stored by ``known_by``, of series the lake knows, and nothing more."""

    __slots__ = ("_files", "_known_by", "_release_ns", "_specs", "_tz")

    def __init__(
        self,
        files: LakeFiles,
        specs: Mapping[str, SeriesSpec],
        *,
        tz: str,
        known_by: pd.Timestamp,
        release_limit: pd.Timestamp | None,
    ) -> None:
        self._files = files
        self._specs = dict(specs)
        self._tz = tz
        self._known_by = known_by
        self._release_ns = NO_LIMIT if release_limit is None else int(release_limit.value)

    @property
    def tz(self) -> str:
        """The fund's time zone, in which bare as-of dates are read."""
        return self._tz

    @property
    def known_by(self) -> pd.Timestamp:
        return self._known_by

    @property
    def lake_root(self) -> str:
        return self._files.root

    def narrowed(self, as_of: pd.Timestamp) -> PITReader:
        """The same reader bounded at an earlier (or the same) release instant."""
        if as_of.value > self._release_ns:
            raise LookAheadError(
                f"a reader bounded at {pd.Timestamp(self._release_ns, tz='UTC').isoformat()} "
                f"asked for {as_of.isoformat()}: data after it are not visible"
            )
        return PITReader(
            self._files, self._specs, tz=self._tz, known_by=self._known_by, release_limit=as_of
        )

    def spec(self, series_id: str) -> SeriesSpec:
        """The spec of a known series; an unknown id raises :class:`CatalogError`."""
        spec = self._specs.get(series_id)
        if spec is None:
            raise CatalogError(
                f"unknown series {series_id!r}: not in the catalog nor registered in this lake"
            )
        return spec

    def check_known(self, series_ids: SeriesIds) -> list[str]:
        """The ids as a list; any unknown one raises :class:`CatalogError` naming them."""
        ids = [series_ids] if isinstance(series_ids, str) else list(series_ids)
        unknown = [s for s in ids if s not in self._specs]
        if unknown:
            raise CatalogError(
                f"unknown series {unknown}: not in the catalog nor registered in this lake"
            )
        return ids

    def arrays(self, series_ids: Sequence[str]) -> list[SeriesArrays]:
        """Copies of the rows within this reader's bounds, one per series."""
        ids = self.check_known(series_ids)
        self._files, full = load_arrays(self._files, ids)
        known_by = int(self._known_by.value)
        return [a.bounded(self._release_ns, known_by) for a in full]


class PITView:
    """The lake as it was known at one instant: nothing released later is visible.

    A view is bitemporal: it sees rows released by ``as_of`` *and* stored by ``known_by``
    (the lake's commit stamp). ``known_by`` is fixed when the view is made, so later
    ingests and revisions never change what a view (or its :attr:`snapshot_id`) returns.
    """

    __slots__ = ("_as_of", "_reader")

    def __init__(self, reader: PITReader, as_of: pd.Timestamp) -> None:
        self._reader = reader.narrowed(as_of)
        self._as_of = as_of

    @property
    def as_of(self) -> pd.Timestamp:
        """The instant (UTC) this view sees up to, inclusive."""
        return self._as_of

    @property
    def known_by(self) -> pd.Timestamp:
        """The storage instant (UTC) this view sees up to: rows committed at or before it."""
        return self._reader.known_by

    @property
    def snapshot_id(self) -> str:
        """Names (as_of, known_by) for this lake: ``lake.at_snapshot(id)`` reopens this view."""
        return snapshot_id(self._as_of, self.known_by)

    @property
    def cache_key(self) -> tuple[object, ...]:
        """Identifies what this view can see: lake, snapshot (as_of, known_by), vintage."""
        return (self._reader.lake_root, self.snapshot_id, "as_of")

    def spec(self, series_id: str) -> SeriesSpec:
        """The catalog (or lake-registered) spec of a series: frequency, release rule, ..."""
        return self._reader.spec(series_id)

    def _instant(self, as_of: object) -> pd.Timestamp:
        stamp = as_of_instant(as_of, self._reader.tz)  # type: ignore[arg-type]
        if stamp > self._as_of:
            raise LookAheadError(
                f"view as of {self._as_of.isoformat()} asked for {stamp.isoformat()}: "
                "data after the as-of instant are not visible"
            )
        return stamp

    def at(self, as_of: object) -> PITView:
        """An earlier (or the same) view; asking for a later instant is look-ahead."""
        stamp = self._instant(as_of)
        return PITView(self._reader.narrowed(stamp), stamp)

    def history(self, series_id: str) -> pd.DataFrame:
        """Periods known then, newest vintage each: obs_date index, value, release_time.

        A period whose value was withdrawn by a release known then is left out.
        """
        (arr,) = self._reader.arrays([series_id])
        return history_frame(arr, arr.history_rows(self._as_of.value))

    def series(self, series_id: str) -> pd.Series:
        """A series' history as known then (newest vintage per period), indexed by obs_date."""
        return self.history(series_id)["value"].rename(series_id)

    def latest(self, series_ids: SeriesIds) -> pd.DataFrame:
        """Last known period per series: index series_id; obs_date, value, release_time
        (value NaN when that period's value was withdrawn)."""
        ids = self._reader.check_known(series_ids)
        frame = panel_frame(ids, self._reader.arrays(ids), pd.DatetimeIndex([self._as_of]))
        return frame.drop(columns="as_of").set_index("series_id")

    def frame(self, series_ids: Iterable[str]) -> pd.DataFrame:
        """Several series as known then, side by side (columns = series, index = obs_date)."""
        return pd.concat([self.series(s) for s in series_ids], axis=1, sort=True)

    def __repr__(self) -> str:
        return f"PITView({self.snapshot_id}, lake={self._reader.lake_root})"

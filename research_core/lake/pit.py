"""Point-in-time reads: :class:`PITReader` (what a view may ask) and :class:`PITView`.

The point-in-time boundary sits here. A view holds a reader, never the :class:`Lake`, and
nothing else that names the lake: no root, no path, no file list. A reader holds nothing at
all: its bounds (``as_of``, ``known_by``), its manifest snapshot and the series specs sit in
a module-level table keyed by the reader itself, and it hands out copies of rows within its
bounds only. The full arrays live in another module-level cache (``lake.files``). Views and
readers are immutable (setting or deleting an attribute raises), a reader cannot be copied,
and a view made from a reader never sees past the reader's as-of, so no combination of the
parts a view exposes widens what it sees.

What this does not do: Python is not a sandbox. Code that imports ``research_core.lake``
(``Lake.open`` with the configured path, this module's table), reads the lake's files from
disk, or walks the interpreter (``gc.get_objects()``, ``inspect`` or ``sys._getframe``
frames, a function's ``__globals__``, ``object.__setattr__`` on a view, ``ctypes``) can
still reach rows released later. Two checks stand behind the view: a test scans every
registered strategy's and agent's source for such access (``tests/lake/test_doors.py``),
and ``run_backtest`` verifies by default (``verify=3``): it re-runs the decision at a few
dates on a copy of the lake holding only the rows released by then, with the configured
lake path pointing at that copy, and raises :class:`LookAheadError` on any difference.
That catches opening the configured lake and reading its files; it cannot catch taking,
through ``gc`` or frames, objects the backtest itself holds (the ``Lake`` it was given),
which are the same in the re-run: against those, the source scan is the check.
"""

from __future__ import annotations

import hashlib
import weakref
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import FrozenInstanceError, dataclass, replace
from types import MappingProxyType
from typing import NoReturn

import numpy as np
import pandas as pd

from research_core._typing import SeriesIds
from research_core.catalog import SeriesSpec
from research_core.errors import CatalogError, LakeError, LookAheadError
from research_core.lake.arrays import _DAY_NS, SeriesArrays, history_frame, long_frame
from research_core.lake.asof import as_of_instant, snapshot_id
from research_core.lake.files import LakeFiles, load_arrays
from research_core.lake.walk import Mark, history, latest_row

NO_LIMIT = np.iinfo(np.int64).max
# One series' history as arrays: obs days (int64), values, release times (int64 UTC ns).
Columns = tuple[np.ndarray, np.ndarray, np.ndarray]
Dated = tuple[np.ndarray, np.ndarray]  # obs dates (datetime64[ns]) and values


def _initialize(obj: _Frozen, **values: object) -> None:
    """Set the slots of a new view, once (a function, not a method: nothing on a view sets
    them; calling ``__init__`` again on a made view raises)."""
    if any(hasattr(obj, name) for name in values):
        raise FrozenInstanceError(f"a {type(obj).__name__} is immutable: it is already made")
    for name, value in values.items():
        object.__setattr__(obj, name, value)


class _Frozen:
    """Refuses setting and deleting attributes, copying and pickling."""

    __slots__ = ()

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise FrozenInstanceError(f"a {type(self).__name__} is immutable: cannot set {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise FrozenInstanceError(f"a {type(self).__name__} is immutable: cannot delete {name!r}")

    def __reduce__(self) -> NoReturn:
        raise TypeError(f"a {type(self).__name__} cannot be copied or pickled")


@dataclass(frozen=True)
class _Bounds:
    """What one reader may read: rows of ``files`` released by ``release_ns`` and stored by
    ``known_by``, of periods released by ``as_of_ns``; views made from it stop at
    ``as_of_ns``. The two instants differ only for the ``latest`` vintage, which reads
    later revisions of the periods known by its as-of (and no later period)."""

    files: LakeFiles
    specs: Mapping[str, SeriesSpec]
    tz: str
    known_by: pd.Timestamp
    release_ns: int
    as_of_ns: int


# Every live reader's bounds, keyed by the reader (weakly: the entry goes with the reader).
# Kept here, not on the reader, so nothing reachable from a view names the lake's files.
_BOUNDS: weakref.WeakKeyDictionary[PITReader, _Bounds] = weakref.WeakKeyDictionary()


class PITReader(_Frozen):
    """The small interface between a view and the store: rows released by ``release_limit``
    and stored by ``known_by``, of series the lake knows, and nothing more.

    Made by :meth:`Lake.reader` and narrowed by views; it has no attributes of its own (its
    bounds are in this module's table), so it cannot be widened or rebuilt from its parts.
    """

    __slots__ = ("__weakref__",)

    def __init__(
        self,
        files: LakeFiles,
        specs: Mapping[str, SeriesSpec],
        *,
        tz: str,
        known_by: pd.Timestamp,
        release_limit: pd.Timestamp | None,
    ) -> None:
        limit = NO_LIMIT if release_limit is None else int(release_limit.value)
        specs = MappingProxyType(dict(specs))
        _BOUNDS[self] = _Bounds(files, specs, tz, known_by, limit, limit)

    @property
    def tz(self) -> str:
        """The fund's time zone, in which bare as-of dates are read."""
        return _bounds(self).tz

    @property
    def known_by(self) -> pd.Timestamp:
        return _bounds(self).known_by

    @property
    def lake_key(self) -> str:
        """An opaque name of the lake (a digest of its root) for caches: not a path."""
        return hashlib.sha256(_bounds(self).files.root.encode()).hexdigest()[:16]

    def narrowed(self, as_of: pd.Timestamp, *, later_revisions: bool = False) -> PITReader:
        """The same reader bounded at an earlier (or the same) instant.

        ``later_revisions`` keeps handing out later revisions of the periods known by
        ``as_of`` (the ``latest`` vintage reads each one's newest value), never a later
        period; a view made from the result still stops at ``as_of``.
        """
        b = _bounds(self)
        if as_of.value > b.as_of_ns:
            raise LookAheadError(
                f"a reader bounded at {pd.Timestamp(b.as_of_ns, tz='UTC').isoformat()} "
                f"asked for {as_of.isoformat()}: data after it are not visible"
            )
        release = b.release_ns if later_revisions else as_of.value
        return _made(replace(b, release_ns=release, as_of_ns=as_of.value))

    def spec(self, series_id: str) -> SeriesSpec:
        """The spec of a known series; an unknown id raises :class:`CatalogError`."""
        spec = _bounds(self).specs.get(series_id)
        if spec is None:
            raise CatalogError(
                f"unknown series {series_id!r}: not in the catalog nor registered in this lake"
            )
        return spec

    def check_known(self, series_ids: SeriesIds) -> list[str]:
        """The ids as a list; any unknown one raises :class:`CatalogError` naming them."""
        ids = [series_ids] if isinstance(series_ids, str) else list(series_ids)
        specs = _bounds(self).specs
        unknown = [s for s in ids if s not in specs]
        if unknown:
            raise CatalogError(
                f"unknown series {unknown}: not in the catalog nor registered in this lake"
            )
        return ids

    def arrays(self, series_ids: Sequence[str]) -> list[SeriesArrays]:
        """Copies of the rows within this reader's bounds, one per series."""
        ids = self.check_known(series_ids)
        b = _bounds(self)
        files, full = load_arrays(b.files, ids)
        if files is not b.files:  # a compaction replaced the snapshot: read the new one
            _BOUNDS[self] = replace(b, files=files)
        periods = None if b.release_ns == b.as_of_ns else b.as_of_ns  # latest: revisions only
        return [a.bounded(b.release_ns, int(b.known_by.value), periods_by=periods) for a in full]

    def histories(self, series_ids: Sequence[str], *, dated: bool = False) -> list[Columns]:
        """Per series, copies of the newest vintage of each period known at this reader's
        as-of (withdrawn periods left out), by period: obs days (int64; ``dated``: dates,
        datetime64[ns]), values, release times (int64 UTC ns). Found incrementally when
        as-ofs come in order (:mod:`research_core.lake.walk`), never from a row outside
        the bounds."""
        return [columns for columns, _ in self.marked(series_ids, dated=dated)]  # type: ignore[misc]

    def marked(
        self, series_ids: Sequence[str], *, dated: bool = False, released: bool = True
    ) -> list[tuple[tuple[np.ndarray, ...], Mark]]:
        """:meth:`histories` (without the release times unless ``released``), each with its
        :data:`~research_core.lake.walk.Mark`: which earlier reads it starts with (an opaque
        object and a count; nothing of a later as-of), so a caller extending its work from
        an earlier read need not compare them."""
        b, full = _walked(self, series_ids)
        known_by = int(b.known_by.value)
        return [history(a, b.as_of_ns, known_by, dated=dated, released=released) for a in full]

    def latest(self, series_ids: Sequence[str]) -> Columns:
        """Each series' latest period known at this reader's as-of, in its newest vintage:
        obs days (int64 min when nothing is known), values (NaN when withdrawn or nothing is
        known), release times in ns (int64 min when nothing is known), in the order asked
        (from the same walk as :meth:`histories`)."""
        b, full = _walked(self, series_ids)
        none = np.iinfo(np.int64).min
        obs, val, rel = (
            np.full(len(full), none),
            np.full(len(full), np.nan),
            np.full(len(full), none),
        )
        for j, a in enumerate(full):
            row = latest_row(a, b.as_of_ns, int(b.known_by.value))
            if row >= 0:
                obs[j], val[j], rel[j] = a.obs_days[row], a.value[row], a.release_ns[row]
        return obs, val, rel


def _bounds(reader: PITReader) -> _Bounds:
    """A reader's bounds (module-level, so no attribute of the reader leads to them)."""
    try:
        return _BOUNDS[reader]
    except KeyError:
        raise LakeError("this reader was not made by a lake: it has no bounds") from None


def _walked(reader: PITReader, series_ids: Sequence[str]) -> tuple[_Bounds, list[SeriesArrays]]:
    """A reader's bounds and the full arrays of known series, for the walks (module-level
    like :func:`_bounds`: no method of a reader hands out the full arrays)."""
    ids = reader.check_known(series_ids)
    b = _bounds(reader)
    if b.release_ns != b.as_of_ns:
        raise LakeError("a reader handing out later revisions has no as-of history")
    files, full = load_arrays(b.files, ids)
    if files is not b.files:  # a compaction replaced the snapshot: read the new one
        _BOUNDS[reader] = replace(b, files=files)
    return b, full


def _made(bounds: _Bounds) -> PITReader:
    reader = PITReader.__new__(PITReader)
    _BOUNDS[reader] = bounds
    return reader


class PITView(_Frozen):
    """The lake as it was known at one instant: nothing released later is visible.

    A view is bitemporal: it sees rows released by ``as_of`` *and* stored by ``known_by``
    (the lake's commit stamp). ``known_by`` is fixed when the view is made, so later
    ingests and revisions never change what a view (or its :attr:`snapshot_id`) returns.
    A view is immutable and holds only its as-of and a reader narrowed to it (see the
    module docstring for what that does and does not stop).
    """

    __slots__ = ("_as_of", "_reader")
    _as_of: pd.Timestamp
    _reader: PITReader

    def __init__(self, reader: PITReader, as_of: pd.Timestamp) -> None:
        _initialize(self, _reader=reader.narrowed(as_of), _as_of=as_of)

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
        """Identifies what this view can see: lake (an opaque key, not a path), snapshot
        (as_of, known_by), vintage."""
        return (self._reader.lake_key, self.snapshot_id, "as_of")

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
        return history_frame(*self._histories([series_id])[0])

    def series(self, series_id: str) -> pd.Series:
        """A series' history as known then (newest vintage per period), indexed by obs_date."""
        obs, values = self.values(series_id)
        index = pd.DatetimeIndex(obs.view("datetime64[ns]"), name="obs_date")
        return pd.Series(values, index=index, name=series_id)

    def values(self, series_id: str) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`series` as arrays, for hot loops: obs dates (int64 ns) and values."""
        ((obs, values, _),) = self._dated([series_id])
        return obs.view(np.int64), values

    def history_arrays(
        self, series_ids: Sequence[str]
    ) -> list[tuple[np.ndarray, np.ndarray, np.ndarray]]:
        """:meth:`history` of several series as arrays, for hot loops (read in one pass over
        the files): per series, obs dates (datetime64[ns]), values and release times (int64
        UTC ns), one per period known then."""
        return self._dated(series_ids)

    def _histories(self, series_ids: Sequence[str]) -> list[Columns]:
        """What this view reads of each series: the newest vintage per period known then
        (:meth:`PITReader.histories`)."""
        return self._reader.histories(series_ids)

    def _dated(self, series_ids: Sequence[str]) -> list[Columns]:
        """:meth:`_histories` with obs dates (datetime64[ns]) for obs days (a view whose
        :meth:`_histories` reads otherwise converts them itself)."""
        return self._reader.histories(series_ids, dated=True)

    def marked_arrays(self, series_ids: Sequence[str]) -> Sequence[tuple[Dated, Mark | None]]:
        """:meth:`values` of several series in one pass, each with its mark
        (:meth:`PITReader.marked`; None where the view reads otherwise): hot loops that
        extend the work of an earlier view learn where the reads differ without comparing
        them."""
        return self._reader.marked(series_ids, dated=True, released=False)  # type: ignore[return-value]

    def latest(self, series_ids: SeriesIds) -> pd.DataFrame:
        """Last known period per series: index series_id; obs_date, value, release_time
        (value NaN when that period's value was withdrawn)."""
        ids = self._reader.check_known(series_ids)
        obs, val, rel = self._latest_columns(ids)
        none = obs == np.iinfo(np.int64).min
        obs_ns = np.where(none, obs, obs * _DAY_NS)
        stamps = pd.DatetimeIndex([self._as_of])
        frame = long_frame(ids, stamps, obs_ns[None, :], val[None, :], rel[None, :])
        return frame.drop(columns="as_of").set_index("series_id")

    def latest_values(self, series_ids: SeriesIds) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`latest` as arrays, for hot loops: each series' last known period (obs
        date, int64 ns; int64 min when nothing is known) and its value (NaN when that
        period's value was withdrawn or nothing is known), in the order asked."""
        ids = self._reader.check_known(series_ids)
        obs, val, _ = self._latest_columns(ids)
        none = obs == np.iinfo(np.int64).min
        return np.where(none, obs, obs * _DAY_NS), val

    def _latest_columns(self, series_ids: list[str]) -> Columns:
        """Each series' latest period known then (:meth:`PITReader.latest`)."""
        return self._reader.latest(series_ids)

    def frame(self, series_ids: Iterable[str]) -> pd.DataFrame:
        """Several series as known then, side by side (columns = series, index = obs_date)."""
        return pd.concat([self.series(s) for s in series_ids], axis=1, sort=True)

    def __repr__(self) -> str:
        return f"PITView({self.snapshot_id})"

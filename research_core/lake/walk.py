"""Incremental point-in-time histories for views walking forward in time (issue 29).

A backtest asks for the same series at one as-of after another, each later than the last.
Instead of finding the newest vintage of every period among all the rows released by each
as-of again, :func:`newest_rows` extends the answer at the previous as-of with the rows
released since: a row of a period already known replaces that period's row (a revision),
a row of a new period is added. Asking for an earlier as-of than the last one starts again
from the first row, so an answer never rests on a row released after its own as-of.

What is kept, per series' process-wide arrays (:mod:`research_core.lake.files`) and
``known_by``: how many rows were read, the row numbers of each period's newest vintage
among them, and the answer (row, obs day, value and release of each period not withdrawn)
in buffers grown in place at their end: when the rows released since the last as-of only
add later periods, they are appended (not the whole answer gathered again), and a caller
gets a copy of the first ``n`` entries (:func:`history`), so nothing handed out holds an
entry of a later as-of. A revision gathers the answer anew into new buffers. The arrays
of a snapshot never change, and a new lake version brings new arrays (a new key). A walk
refers to its arrays weakly: it never keeps a snapshot the file cache has let go of in
memory, and goes with it.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from research_core.lake.arrays import SeriesArrays, dates

_KEPT = 1024  # walks kept (series x known_by); the oldest used is dropped first
_KEPT_BYTES = 256 << 20  # and their buffers' bytes at most (a walk holds ~54 B per period)
_EMPTY = np.empty(0, np.int64)
_ROOM = 256  # entries of room at least a new buffer has (a year of weekly appends, daily rows)


class _Grown:
    """Columns (a walk's rows; or its answer: rows, obs days and dates, values, releases)
    filled in place up to ``filled``; an entry once written never changes, so the first
    ``n`` answer every walk that holds this object with ``n`` entries. Extended under the
    walks' lock. ``lineage`` (an opaque object) is shared by the buffers one series' answer
    grew through by appends alone: of two answers of one lineage, the shorter is the
    start of the longer."""

    __slots__ = ("columns", "filled", "lineage")

    def __init__(self, columns: tuple[np.ndarray, ...], filled: int, lineage: object) -> None:
        self.columns = columns
        self.filled = filled
        self.lineage = lineage

    @classmethod
    def of(cls, columns: tuple[np.ndarray, ...]) -> _Grown:
        """``columns`` copied into buffers with room to grow (a new lineage)."""
        return cls._new(columns, 0, columns, object())

    @classmethod
    def _new(
        cls, head: tuple[np.ndarray, ...], n: int, tail: tuple[np.ndarray, ...], lineage: object
    ) -> _Grown:
        size = n + len(tail[0])
        room = size + max(size // 4, _ROOM)  # grows by a quarter: amortized O(1), memory ~1.25x
        columns = tuple(np.empty(room, a.dtype) for a in tail)
        for c, h, t in zip(columns, head, tail, strict=True):
            c[:n] = h[:n]
            c[n:size] = t
        return cls(columns, size, lineage)

    def extended(self, n: int, tail: tuple[np.ndarray, ...]) -> _Grown:
        """These columns' first ``n`` entries and then ``tail``: written in place when
        ``n`` is where they end and there is room, else into new buffers (so the entries
        another walk holds never change); when ``n`` is where they end, the new buffers
        continue the lineage and these take no more entries."""
        size = n + len(tail[0])
        with _LOCK:
            if self.filled == n and size <= len(self.columns[0]):
                for c, t in zip(self.columns, tail, strict=True):
                    c[n:size] = t
                self.filled = size
                return self
            at_end = self.filled == n > 0
            if at_end:
                self.filled = -1  # sealed: the lineage goes on in the new buffers only
        return self._new(self.columns, n, tail, self.lineage if at_end else object())


# Where one walk stands: (full, read, newest, m, answer, n): the rows ``[0, read)`` of
# ``full`` (a weak reference) stored by its ``known_by`` were read; the first ``m`` entries
# of ``newest`` hold each period's newest vintage among them, by period, and the first
# ``n`` of ``answer`` those not withdrawn. A tuple, replaced whole.
_Walk = tuple["weakref.ref[SeriesArrays]", int, _Grown, int, _Grown, int]
_WALKS: OrderedDict[tuple[int, int], _Walk] = OrderedDict()
_BYTES: dict[tuple[int, int], int] = {}  # each kept walk's buffers (shared ones counted twice)
_TOTAL = 0  # their sum, or more (a walk its arrays' end dropped is still in it): see _walk
_LOCK = threading.Lock()
# An answer's lineage and length: two answers of one lineage agree on their first
# min(n) periods (no value or period in them differs), whatever their as-ofs.
Mark = tuple[object, int]
_NONE = _Grown((_EMPTY, _EMPTY, dates(_EMPTY), np.empty(0), _EMPTY), 0, None)
_NO_ROWS = _Grown((_EMPTY,), 0, None)


def newest_rows(full: SeriesArrays, as_of_ns: int, known_by_ns: int) -> np.ndarray:
    """Rows of ``full`` holding the newest vintage of each period known at ``as_of_ns``
    (rows released by then and stored by ``known_by_ns``), by period, withdrawn periods
    (NaN) left out: what :meth:`SeriesArrays.history_rows` gives on ``full`` bounded so."""
    walk = _walk(full, as_of_ns, known_by_ns)
    return walk[4].columns[0][: walk[5]].copy()


def history(
    full: SeriesArrays,
    as_of_ns: int,
    known_by_ns: int,
    *,
    dated: bool = False,
    released: bool = True,
) -> tuple[tuple[np.ndarray, ...], Mark]:
    """Copies of the obs days (``dated``: dates, datetime64[ns]), values and (``released``)
    releases of :func:`newest_rows` (the columns of ``full`` at those rows, not gathered
    again), and their :data:`Mark`."""
    walk = _walk(full, as_of_ns, known_by_ns)
    n, answer = walk[5], walk[4]
    columns = answer.columns
    wanted = (columns[2 if dated else 1], *columns[3 : 5 if released else 4])
    return tuple(c[:n].copy() for c in wanted), (answer.lineage, n)


def latest_row(full: SeriesArrays, as_of_ns: int, known_by_ns: int) -> int:
    """The row of the latest period known then, in its newest vintage (withdrawn or not;
    -1 when nothing is known): what :meth:`SeriesArrays.latest_rows` gives on ``full``
    bounded so."""
    walk = _walk(full, as_of_ns, known_by_ns)
    return int(walk[2].columns[0][walk[3] - 1]) if walk[3] else -1


def _walk(full: SeriesArrays, as_of_ns: int, known_by_ns: int) -> _Walk:
    """The walk over ``full`` brought to ``as_of_ns`` (started again if it stood later)."""
    k = full.known_rows(as_of_ns)
    key = (id(full), known_by_ns)
    with _LOCK:
        walk = _WALKS.get(key)
        if walk is not None:
            _WALKS.move_to_end(key)  # the oldest used is dropped first
    if walk is None or walk[0]() is not full or walk[1] > k:  # new, or back in time
        walk = (weakref.ref(full, _dropper(key)), 0, _NO_ROWS, 0, _NONE, 0)
    if k > walk[1]:
        walk = _extend(full, walk, k, known_by_ns)
        size = sum(c.nbytes for c in (*walk[2].columns, *walk[4].columns))
        with _LOCK:
            _WALKS[key] = walk
            _WALKS.move_to_end(key)
            _keep_within_bounds(key, size)
    return walk


def _keep_within_bounds(key: tuple[int, int], size: int) -> None:
    """Count ``size`` bytes for walk ``key`` and drop the oldest used walks while more
    than :data:`_KEPT` walks or :data:`_KEPT_BYTES` bytes are kept (under the lock). The
    running total only over-counts (a dropper cannot take the lock), so it is summed
    afresh before anything is dropped."""
    global _TOTAL
    _TOTAL += size - _BYTES.get(key, 0)
    _BYTES[key] = size
    if len(_WALKS) > _KEPT or _TOTAL > _KEPT_BYTES:
        _TOTAL = sum(_BYTES.values())
        while len(_WALKS) > 1 and (len(_WALKS) > _KEPT or _TOTAL > _KEPT_BYTES):
            _TOTAL -= _BYTES.pop(_WALKS.popitem(last=False)[0], 0)


def _dropper(key: tuple[int, int]) -> Callable[[weakref.ref[SeriesArrays]], None]:
    """Forget the walk ``key`` when its arrays go (before their id can be reused)."""

    def drop(ref: weakref.ref[SeriesArrays]) -> None:
        walk = _WALKS.get(key)
        if walk is not None and walk[0] is ref:  # not a newer walk under the same key
            _WALKS.pop(key, None)  # atomic: safe from a collection inside a locked block
            _BYTES.pop(key, None)

    return drop


def _extend(full: SeriesArrays, walk: _Walk, stop: int, known_by_ns: int) -> _Walk:
    """``walk`` brought from its rows read to ``stop``: the rows ``[read, stop)`` stored by
    ``known_by_ns`` added. Rows are in release order, so of two rows of one period the
    later one is the newer vintage."""
    ref, start, newest, m, answer, n = walk
    rows = np.arange(start, stop)
    every = bool((full.ingested_ns[start:stop] <= known_by_ns).all())  # all stored by then
    if not every:
        rows = rows[full.ingested_ns[start:stop] <= known_by_ns]
    if len(rows) == 0:
        return ref, stop, newest, m, answer, n
    obs = full.obs_days
    periods = obs[start:stop] if every else obs[rows]  # (slices: no gather)
    later = m == 0 or int(periods[0]) > int(obs[newest.columns[0][m - 1]])
    if later and bool((periods[1:] > periods[:-1]).all()):  # only new periods, in order
        values = full.value[start:stop] if every else full.value[rows]
        gaps = np.isnan(values)
        if every and not gaps.any():  # the usual rows: new periods, all valued
            tail = (rows, periods, dates(periods), values, full.release_ns[start:stop])
        else:
            added = rows[~gaps]
            days = obs[added]
            tail = (added, days, dates(days), full.value[added], full.release_ns[added])
        answer = answer.extended(n, tail)
        return ref, stop, newest.extended(m, (rows,)), m + len(rows), answer, n + len(tail[0])
    rows = np.concatenate([newest.columns[0][:m], rows])
    rows = rows[np.lexsort((rows, obs[rows]))]  # by period, then release order
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = obs[rows[1:]] != obs[rows[:-1]]
    rows = rows[last]
    valued = rows[~np.isnan(full.value[rows])]
    days = obs[valued]
    parts = (valued, days, dates(days), full.value[valued], full.release_ns[valued])
    return ref, stop, _Grown.of((rows,)), len(rows), _Grown.of(parts), len(valued)


def forget() -> None:
    """Drop every walk (benchmarks time cold reads; tests start clean)."""
    global _TOTAL
    with _LOCK:
        _WALKS.clear()
        _BYTES.clear()
        _TOTAL = 0

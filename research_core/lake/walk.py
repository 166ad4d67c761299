"""Incremental point-in-time histories for views walking forward in time (issue 29).

A backtest asks for the same series at one as-of after another, each later than the last.
Instead of finding the newest vintage of every period among all the rows released by each
as-of again, :func:`newest_rows` extends the answer at the previous as-of with the rows
released since: a row of a period already known replaces that period's row (a revision),
a row of a new period is added. Asking for an earlier as-of than the last one starts again
from the first row, so an answer never rests on a row released after its own as-of.

What is kept, per series' process-wide arrays (:mod:`research_core.lake.files`) and
``known_by``: how many rows were read and the row numbers of each period's newest vintage
among them. Row numbers only, no values; the arrays of a snapshot never change, and a new
lake version brings new arrays (a new key). A walk refers to its arrays weakly: it never
keeps a snapshot the file cache has let go of in memory, and goes with it.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable

import numpy as np

from research_core.lake.arrays import SeriesArrays

_KEPT = 1024  # walks kept (series x known_by); the oldest used is dropped first
_EMPTY = np.empty(0, np.int64)


# Where one walk stands: (full, read, newest, valued): the rows ``[0, read)`` of ``full``
# (a weak reference) stored by its ``known_by`` were read; ``newest`` holds each period's
# newest vintage among them, by period, and ``valued`` those not withdrawn (the answer).
# A tuple, replaced whole.
_Walk = tuple["weakref.ref[SeriesArrays]", int, np.ndarray, np.ndarray]
_WALKS: OrderedDict[tuple[int, int], _Walk] = OrderedDict()
_LOCK = threading.Lock()


def newest_rows(full: SeriesArrays, as_of_ns: int, known_by_ns: int) -> np.ndarray:
    """Rows of ``full`` holding the newest vintage of each period known at ``as_of_ns``
    (rows released by then and stored by ``known_by_ns``), by period, withdrawn periods
    (NaN) left out: what :meth:`SeriesArrays.history_rows` gives on ``full`` bounded so."""
    return _walk(full, as_of_ns, known_by_ns)[3]


def latest_row(full: SeriesArrays, as_of_ns: int, known_by_ns: int) -> int:
    """The row of the latest period known then, in its newest vintage (withdrawn or not;
    -1 when nothing is known): what :meth:`SeriesArrays.latest_rows` gives on ``full``
    bounded so."""
    newest = _walk(full, as_of_ns, known_by_ns)[2]
    return int(newest[-1]) if len(newest) else -1


def _walk(full: SeriesArrays, as_of_ns: int, known_by_ns: int) -> _Walk:
    """The walk over ``full`` brought to ``as_of_ns`` (started again if it stood later)."""
    k = full.known_rows(as_of_ns)
    key = (id(full), known_by_ns)
    with _LOCK:
        walk = _WALKS.get(key)
        if walk is not None:
            _WALKS.move_to_end(key)  # the oldest used is dropped first
    if walk is None or walk[0]() is not full or walk[1] > k:  # new, or back in time
        walk = (weakref.ref(full, _dropper(key)), 0, _EMPTY, _EMPTY)
    if k > walk[1]:
        newest = _extend(full, walk[2], walk[1], k, known_by_ns)
        walk = (walk[0], k, newest, _frozen(newest[~np.isnan(full.value[newest])]))
        with _LOCK:
            _WALKS[key] = walk
            _WALKS.move_to_end(key)
            if len(_WALKS) > _KEPT:
                _WALKS.popitem(last=False)
    return walk


def _dropper(key: tuple[int, int]) -> Callable[[weakref.ref[SeriesArrays]], None]:
    """Forget the walk ``key`` when its arrays go (before their id can be reused)."""

    def drop(ref: weakref.ref[SeriesArrays]) -> None:
        walk = _WALKS.get(key)
        if walk is not None and walk[0] is ref:  # not a newer walk under the same key
            _WALKS.pop(key, None)  # atomic: safe from a collection inside a locked block

    return drop


def _extend(
    full: SeriesArrays, newest: np.ndarray, start: int, stop: int, known_by_ns: int
) -> np.ndarray:
    """``newest`` (each period's newest vintage among the rows before ``start``) updated by
    the rows ``[start, stop)`` stored by ``known_by_ns``. Rows are in release order, so of
    two rows of one period the later one is the newer vintage."""
    rows = np.arange(start, stop)
    stored = full.ingested_ns[start:stop] <= known_by_ns
    if not stored.all():
        rows = rows[stored]
    if len(rows) == 0:
        return newest
    obs = full.obs_days
    periods = obs[rows]
    later = len(newest) == 0 or periods[0] > obs[newest[-1]]
    if later and bool((periods[1:] > periods[:-1]).all()):  # only new periods, in order
        return _frozen(np.concatenate([newest, rows]))
    rows = np.concatenate([newest, rows])
    rows = rows[np.lexsort((rows, obs[rows]))]  # by period, then release order
    last = np.ones(len(rows), dtype=bool)
    last[:-1] = obs[rows[1:]] != obs[rows[:-1]]
    return _frozen(rows[last])


def _frozen(rows: np.ndarray) -> np.ndarray:
    rows.setflags(write=False)
    return rows


def forget() -> None:
    """Drop every walk (benchmarks time cold reads; tests start clean)."""
    with _LOCK:
        _WALKS.clear()

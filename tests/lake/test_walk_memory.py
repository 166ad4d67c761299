"""The walk memo (``lake.walk``) never keeps a lake snapshot's arrays in memory: a walk
refers to its series' arrays weakly and goes with them (review of issue 29's incremental
read: strong references kept up to 1,024 snapshots' arrays alive, ~7 MB per write cycle)."""

from __future__ import annotations

import gc
import weakref

import numpy as np

from research_core.lake import walk
from research_core.lake.arrays import SeriesArrays

_DAY_NS = 86_400 * 10**9


def _arrays(n: int) -> SeriesArrays:
    """``n`` monthly-ish periods, each released a day after its period, stored at once."""
    days = np.arange(n, dtype=np.int64) * 30
    return SeriesArrays(
        (days + 1) * _DAY_NS, days, np.arange(n, dtype=np.float64), np.zeros(n, np.int64)
    )


def test_a_walk_does_not_keep_its_arrays_alive_and_is_forgotten_with_them():
    walk.forget()
    full = _arrays(50)
    # by hand: at the release of period 9 (day 271) periods 0..9 are known, rows 0..9
    assert walk.newest_rows(full, 271 * _DAY_NS, 0).tolist() == list(range(10))
    gone = weakref.ref(full)
    del full
    gc.collect()
    assert gone() is None  # the memo held no strong reference
    assert len(walk._WALKS) == 0  # and the walk went with the arrays


def test_new_arrays_under_a_reused_id_start_a_new_walk():
    walk.forget()
    for n in (40, 5, 40, 3):  # freed and reallocated: ids may repeat
        full = _arrays(n)
        known = min(n, 10)  # by hand: periods released by day 271
        assert walk.newest_rows(full, 271 * _DAY_NS, 0).tolist() == list(range(known))
        assert walk.latest_row(full, 271 * _DAY_NS, 0) == known - 1
        del full


def test_an_answer_another_walk_holds_never_changes_nor_its_lineage():
    """A walk extended from a state that is no longer the end of its buffers (a second
    thread, an older as-of's walk) writes into new buffers of a new lineage: the answer
    handed out for the later state stays what was released by its own as-of (by hand:
    periods 0..k-1), and only answers that start one another share a lineage."""
    walk.forget()
    full = _arrays(40)
    ten = walk._walk(full, 271 * _DAY_NS, 0)  # periods 0..9
    (_, values, _), twenty = walk.history(full, 571 * _DAY_NS, 0)  # 0..19, appended
    assert values.tolist() == list(range(20)) and twenty == (ten[4].lineage, 20)
    fifteen = walk._extend(full, ten, 15, 0)  # ten extended again, to another state
    assert fifteen[4].lineage is not ten[4].lineage
    assert walk.history(full, 571 * _DAY_NS, 0)[0][1].tolist() == list(range(20))
    assert fifteen[4].columns[3][: fifteen[5]].tolist() == list(range(15))
    assert ten[4].columns[3][: ten[5]].tolist() == list(range(10))
    walk.forget()  # a new walk of the same arrays: a lineage of its own
    assert walk.history(full, 571 * _DAY_NS, 0)[1][0] is not ten[4].lineage

"""How the book backtest splits its dates among the processes that gather signals."""

import numpy as np

from research_core.backtest.book import MAIN_SHARE, spans


def test_spans_cut_dates_in_contiguous_spans_balanced_by_cost():
    # 10 dates cost 1.0, 1.1, ..., 1.9 (14.5 in all); the main process's share with one
    # worker is 0.85 / 1.85 of it, 6.66: the running costs 1.0, 2.1, 3.3, 4.6, 6.0, 7.5
    # reach it at the sixth date (worked out by hand)
    assert MAIN_SHARE == 0.85
    parts = spans(10, 2)
    assert [p.tolist() for p in parts] == [[0, 1, 2, 3, 4, 5], [6, 7, 8, 9]]


def test_spans_cover_every_date_once_in_order():
    for n, workers in [(202, 3), (60, 2), (7, 4), (1, 2), (50, 1)]:
        parts = spans(n, workers)
        assert 1 <= len(parts) <= max(1, workers)
        assert all(len(p) for p in parts)
        np.testing.assert_array_equal(np.concatenate(parts), np.arange(n))


def test_gc_settings_are_shared_by_threads_and_put_back_by_the_last_one_out():
    import gc
    import threading

    from research_core._threads import fewer_collections

    before = gc.get_threshold()
    inside, leave = threading.Event(), threading.Event()

    def other() -> None:
        with fewer_collections():
            inside.set()
            leave.wait(10)

    t = threading.Thread(target=other)
    with fewer_collections():  # this block opens first and closes first
        t.start()
        assert inside.wait(10)
        assert gc.get_threshold() == (10_000, 20, 20)
    assert gc.get_threshold() == (10_000, 20, 20)  # the other thread's block is still open
    leave.set()
    t.join(10)
    assert gc.get_threshold() == before
    gc.freeze()  # a host that froze its own objects keeps them frozen
    try:
        frozen = gc.get_freeze_count()
        with fewer_collections():
            pass
        assert gc.get_freeze_count() > 0.9 * frozen  # not unfrozen (a few may be freed)
    finally:
        gc.unfreeze()


def test_an_error_among_the_decisions_stops_the_worker_processes(sample_lake_path, monkeypatch):
    import multiprocessing
    import time

    import pytest

    from research_core.backtest import book as book_module
    from research_core.errors import BacktestError
    from research_core.lake.store import Lake

    monkeypatch.setattr(book_module, "WORKER_DATES", 3)  # 6 month-ends: a worker is spawned
    calls = []

    def failing(*args, **kwargs):
        calls.append(1)
        raise BacktestError("a decision failed")

    monkeypatch.setattr(book_module, "decide", failing)
    sizing = []
    real = book_module.BookSizing.prepare

    def keep(self, *a):  # the sizing the run makes, to look at after the error
        sizing.append(self)
        return real(self, *a)

    monkeypatch.setattr(book_module.BookSizing, "prepare", keep)
    lake = Lake.open(sample_lake_path)
    with pytest.raises(BacktestError, match="a decision failed"):
        book_module.run_book_backtest(lake, "2016-01-04", "2016-06-30", workers=2, verify=0)
    assert calls and sizing[0]._coming is None
    deadline = time.monotonic() + 60  # a worker ends after the date it is gathering
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not multiprocessing.active_children()


def test_the_book_is_the_same_whatever_process_gathers_a_date(sample_lake_path, monkeypatch):
    # A spawned process starts cold at its first date; this one extends what it computed
    # for the dates before (unit histories, curves): both must give the same bits, or the
    # book depends on how many workers ran it (a one-row curve bootstrap once summed its
    # coupons in another order than a batch, and a rebalance flipped on the last bit).
    from research_core.backtest import book as book_module
    from research_core.lake.store import Lake

    monkeypatch.setattr(book_module, "WORKER_DATES", 8)  # 21 sessions: 2 processes
    lake = Lake.open(sample_lake_path)
    run = book_module.run_book_backtest
    one = run(lake, "2016-03-01", "2016-03-31", freq="D", workers=1, verify=0)
    two = run(lake, "2016-03-01", "2016-03-31", freq="D", workers=2, verify=0)
    assert one.result.weights.equals(two.result.weights)
    assert one.result.equity.equals(two.result.equity)

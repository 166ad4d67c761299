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

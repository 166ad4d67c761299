"""``book_returns`` takes the unit levels' daily changes on their array (issue 29: the
book's ordered decisions and gather): pandas' ``pct_change`` to the last bit, in its memory
layout (the covariance and VaR products after it add up in that layout)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.risk.report import _pct_change


def _levels() -> pd.DataFrame:
    rng = np.random.default_rng(29)
    x = 100.0 * np.cumprod(1.0 + 0.01 * rng.normal(size=(300, 4)), axis=0)
    days = pd.bdate_range("2020-01-01", periods=300, name="date")
    return pd.DataFrame(x, index=days, columns=["DI1.2Y", "UST.10Y.FUT", "USDBRL.FUT", "GOLD"])


def test_daily_changes_are_pct_change_to_the_last_bit_and_in_its_layout() -> None:
    level = _levels()
    got, want = _pct_change(level), level.pct_change()
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    g, w = got.to_numpy(), want.to_numpy()
    assert g.tobytes(order="A") == w.tobytes(order="A")
    assert g.strides == w.strides  # same layout: the products downstream add up alike
    tail, want_tail = got.iloc[1:].iloc[-250:], want.iloc[1:].iloc[-250:]
    assert tail.to_numpy().strides == want_tail.to_numpy().strides


def test_a_zero_or_missing_level_gives_what_pandas_gives() -> None:
    level = _levels()
    level.iloc[10, 0] = 0.0  # the next day's change divides by zero: inf
    level.iloc[20, 1] = np.nan  # NaN that day and the next
    got = _pct_change(level)
    pd.testing.assert_frame_equal(got, level.pct_change(), check_exact=True)
    # by hand: the first row has no day before; 0 → x is +inf; NaN spreads one day
    assert got.iloc[0].isna().all()
    assert got.iloc[11, 0] == np.inf
    assert np.isnan(got.iloc[20, 1]) and np.isnan(got.iloc[21, 1])
    assert got.iloc[5, 2] == level.iloc[5, 2] / level.iloc[4, 2] - 1.0


def test_a_frame_in_several_blocks_keeps_pandas_layout() -> None:
    level = _levels()
    level["IBOV.FUT"] = level["GOLD"] * 1.5  # a column added: a second block
    got, want = _pct_change(level), level.pct_change()
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    tail, want_tail = got.iloc[1:].iloc[-250:], want.iloc[1:].iloc[-250:]
    assert tail.to_numpy().strides == want_tail.to_numpy().strides
    # the column means the covariance centres on add up in the same order
    assert tail.to_numpy().mean(0).tobytes() == want_tail.to_numpy().mean(0).tobytes()

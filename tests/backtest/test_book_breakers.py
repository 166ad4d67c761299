"""The book backtest obeys the drawdown ladder: the ladder reads the simulated book's own
value, and a book past its flatten trigger trades to flat at the next rebalance."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from research_core.backtest.book import run_book_backtest
from research_core.lake.store import Lake
from research_core.portfolio import Constraints
from research_core.risk import DrawdownLadder

# a ladder with tiny triggers: any loss of 0.04 % from the high-water mark flattens the book
TINY = DrawdownLadder(alert=1e-4, cut_25=2e-4, cut_50=3e-4, flatten=4e-4)


@pytest.fixture(scope="module")
def lake(sample_lake_path: Path) -> Lake:
    return Lake.open(sample_lake_path)


def test_a_book_past_its_flatten_trigger_goes_flat_at_the_next_rebalance(lake):
    book = run_book_backtest(
        lake, "2016-01-04", "2016-03-15", freq="M", verify=0, constraints=Constraints(ladder=TINY)
    )
    res = book.result
    first, second = res.signals.index  # January's and February's month-ends
    assert res.signals.loc[first].abs().sum() > 0  # no history yet: the ladder cannot cut
    # by hand: the book's value is its equity without the CDI on the collateral; its worst
    # drawdown from the high-water mark up to February's decision
    value = (1.0 + res.returns - res.risk_free).cumprod()
    held = value[:second]
    worst = float((1.0 - held / held.cummax()).max())
    assert worst >= TINY.flatten  # so the ladder must have flattened the book
    assert (res.signals.loc[second] == 0.0).all()
    np.testing.assert_allclose(res.positions.iloc[-1].to_numpy(), 0.0, atol=1e-12)
    reasons = book.bindings.set_index("date").loc[[second], "reason"].tolist()
    assert any("flatten: manual review" in r for r in reasons)

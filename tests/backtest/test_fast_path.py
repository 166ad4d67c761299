"""Issue 29: the fast path (unit histories extended, agent reports memoized and stored, the
hot loop on arrays) gives the numbers of the slow one (every unit built from nothing, every
report computed afresh) to 1e-12, cold and warm, on a short span of the sample lake."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from research_core import pnl
from research_core._memo import MEMO
from research_core.agents import store
from research_core.backtest.engine import BacktestResult, run_backtest
from research_core.lake.store import Lake
from research_core.strategies import load_config

START, END = "2016-01-04", "2016-04-29"


@pytest.fixture
def slow() -> Iterator[None]:
    """The slow path: nothing extended, nothing remembered or stored."""
    MEMO.clear()
    pnl.INCREMENTAL = store.ENABLED = False
    try:
        yield
    finally:
        pnl.INCREMENTAL = store.ENABLED = True
        MEMO.clear()


def _run(lake: Lake, name: str) -> BacktestResult:
    return run_backtest(load_config()[name], lake, START, END, verify=0)


# a carry strategy (unit histories), an agent-driven one (reports), a z-score one (series)
@pytest.mark.parametrize("name", ["RATES_BR_01", "FX_BR_01", "RATES_BR_04"])
def test_fast_path_equals_slow_path(sample_lake_path: Path, name: str, request) -> None:
    lake = Lake.open(sample_lake_path)
    request.getfixturevalue("slow")
    want = _run(lake, name)
    pnl.INCREMENTAL = store.ENABLED = True
    cold = _run(lake, name)
    MEMO.clear()  # a new process: only the lake's store remembers
    warm = _run(lake, name)
    assert len(want.signals) >= 3 and np.abs(want.signals.to_numpy()).max() > 0
    for got in (cold, warm):
        for field in ("signals", "weights", "returns"):
            a, b = getattr(got, field), getattr(want, field)
            assert a.index.equals(b.index), (name, field)
            np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=0, atol=1e-12)

"""The engine's and the causality check's options objects (issue 28: no function with more
than 8 parameters): callers keep their keywords, a misspelt one is a one-line error raised
before any work."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.backtest.causality import VerifyOptions, verify_decisions
from research_core.backtest.engine import EngineOptions, run_backtest, run_engine
from research_core.errors import BacktestError


def test_a_misspelt_engine_option_names_itself_and_the_known_ones() -> None:
    with pytest.raises(BacktestError, match=r"unknown option 'verfy'; options: costs, ") as err:
        run_backtest(None, None, "2015-01-02", "2015-03-31", verfy=0)  # type: ignore[arg-type]
    assert "\n" not in str(err.value)
    with pytest.raises(BacktestError, match="'lag'"):
        run_engine(None, None, "2015-01-02", "2015-03-31", lag=2)  # type: ignore[arg-type]


def test_keywords_override_the_options_object() -> None:
    """``verify=0`` by keyword wins over the options given: no date is checked, so the
    (never called) decision and the absent lake are not touched."""
    dates = pd.bdate_range("2020-01-01", periods=5)

    def decide(view: object, day: pd.Timestamp) -> np.ndarray:
        raise AssertionError("verify=0 decides nothing")

    checked = verify_decisions(
        "X", decide, None, dates, np.zeros((5, 1)), options=VerifyOptions(verify=3), verify=0
    )  # type: ignore[arg-type]
    assert len(checked) == 0
    with pytest.raises(BacktestError, match="unknown option 'sed'"):
        verify_decisions("X", decide, None, dates, np.zeros((5, 1)), sed=1)  # type: ignore[arg-type]
    assert EngineOptions(verify=0).verify == 0 and EngineOptions().verify == 3  # VERIFY_DATES

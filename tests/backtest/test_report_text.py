"""What the CLI prints for a backtest (issue 26 item 6): the CDI benchmark line and the
metrics with their units in the row labels, never bare fractions."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from research_core.backtest import metrics as perf
from research_core.backtest.engine import BacktestResult
from research_core.backtest.report import cdi_line, metrics_text
from research_core.cli.backtest import _first_clause


def _result() -> BacktestResult:
    """252 sessions earning a constant 0.04 %/session CDI, the strategy 0.05 %/session."""
    days = pd.bdate_range("2024-01-02", periods=252)
    rf = pd.Series(0.0004, index=days)
    returns = pd.Series(0.0005, index=days)
    returns.iloc[::10] = -0.002  # some losing days, so the ratios are finite
    empty = pd.DataFrame()
    return BacktestResult(
        strategy="HAND", params={}, vintage="as_of", equity=(1 + returns).cumprod(),
        returns=returns, risk_free=rf, signals=empty, weights=empty, positions=empty,
        trades=empty, turnover=pd.Series(dtype=float), exposures=empty,
        metrics=perf.performance(returns, risk_free=rf, periods_per_year=252),
    )  # fmt: skip


def test_the_cdi_line_compounds_the_benchmark_by_hand() -> None:
    r = _result()
    cdi = 1.0004**252 - 1  # 252 sessions = one year: 10.60 %/y
    excess = float(r.metrics["annual_return"]) - cdi
    assert cdi_line(r) == (
        f"benchmark CDI over the same 252 sessions: {100 * cdi:.2f}%/y; "
        f"HAND {100 * excess:+.2f}%/y over it"
    )
    assert f"{100 * cdi:.2f}" == "10.60"


def test_the_metrics_carry_their_units_and_no_bare_fractions() -> None:
    r = _result()
    text = metrics_text([r])
    assert "Sharpe (excess over CDI)" in text and "return, %/y" in text
    row = next(line for line in text.splitlines() if line.startswith("return, %/y"))
    assert row.split()[-1] == f"{100 * float(r.metrics['annual_return']):+.2f}%"
    assert not re.search(r"\d[eE][+-]\d", text)
    assert not re.search(r"\s0\.\d{4,}\b", text)  # no fraction printed where a % is meant
    assert np.isclose(float(r.metrics["periods"]), 252)


def test_the_strategy_list_reads_as_one_line_each() -> None:
    long = "FX_BR_09 — BRL carry filtered by valuation: be long BRL when the differential is high, less so when the agent says it is overvalued."  # noqa: E501
    line = _first_clause(long)
    assert line.startswith("BRL carry filtered") and line.endswith("…") and len(line) <= 72
    assert " " not in line[-2:]  # cut at a word, not inside one
    assert _first_clause("X — short one.") == "short one."

"""A CLI backtest's statistics and figures without work a person does not see (#29 row 3):
the deflated Sharpe without importing scipy (the normal law from the standard library, the
same numbers as scipy.stats.norm), and figures that carry the house template without
changing plotly's default for the caller."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.io as pio
import pytest
from scipy import stats

from research_core.backtest.engine import BacktestResult
from research_core.backtest.validation import (
    EULER_GAMMA,
    deflated_sharpe,
    expected_max_sharpe,
    probabilistic_sharpe,
)
from research_core.viz.backtests import figures
from research_core.viz.theme import template
from tests.backtest.test_report_text import _result as _hand_result

REPO = Path(__file__).resolve().parents[2]


def test_the_deflated_sharpe_imports_no_scipy():
    # A fresh process computes what the trial ledger prints (expected maximum Sharpe of
    # the trials, probabilistic Sharpe) without loading any of scipy (scipy.special ~0.13 s).
    code = """if True:
        import sys
        from research_core.backtest import validation as v
        v.expected_max_sharpe(9, 1e-4), v.probabilistic_sharpe(0.1, 0.0, 101, 0, 3)
        print(sorted(m for m in sys.modules if m.split(".")[0] == "scipy"))"""
    loaded = subprocess.check_output([sys.executable, "-c", code], text=True, cwd=REPO)
    assert loaded.strip() == "[]"


@pytest.mark.parametrize("n_trials", [2, 7, 100, 10_000])
def test_expected_max_sharpe_is_the_formula_with_scipys_normal_quantile(n_trials):
    # Bailey & López de Prado (2014), eq. for E[max SR]: sqrt(V) ((1 - g) Z^-1(1 - 1/N)
    # + g Z^-1(1 - 1/(N e))), g the Euler-Mascheroni constant; the peer is scipy.stats.norm.
    v = 0.0004
    z1, z2 = stats.norm.ppf(1 - 1 / n_trials), stats.norm.ppf(1 - 1 / (n_trials * np.e))
    by_hand = np.sqrt(v) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2)
    assert expected_max_sharpe(n_trials, v) == pytest.approx(by_hand, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("sharpe", [-0.6, -0.05, 0.0, 0.1, 0.45])
def test_probabilistic_sharpe_is_scipys_normal_cdf_into_the_tails(sharpe):
    # z = (SR - SR*) sqrt(n - 1) / sqrt(1 - g3 SR + (g4 - 1)/4 SR^2), Phi from scipy.stats.
    n, g3, g4 = 501, -0.4, 5.0
    z = sharpe * np.sqrt(n - 1) / np.sqrt(1 - g3 * sharpe + (g4 - 1) / 4 * sharpe**2)
    assert probabilistic_sharpe(sharpe, 0.0, n, g3, g4) == pytest.approx(
        stats.norm.cdf(z), rel=1e-12, abs=1e-15
    )
    r = pd.Series(np.random.default_rng(29).normal(4e-4, 0.01, 600))
    sr, var = r.mean() / r.std(ddof=1), 0.0003
    star = np.sqrt(var) * (
        (1 - EULER_GAMMA) * stats.norm.ppf(1 - 1 / 12)
        + EULER_GAMMA * stats.norm.ppf(1 - 1 / (12 * np.e))
    )
    z = (
        (sr - star)
        * np.sqrt(599)
        / np.sqrt(1 - stats.skew(r) * sr + (stats.kurtosis(r) + 2) / 4 * sr**2)
    )
    assert deflated_sharpe(r, 12, var) == pytest.approx(stats.norm.cdf(z), rel=1e-12)


def _result() -> BacktestResult:
    """The hand-built 252 sessions of the report's text test, with two exposure lines."""
    r = _hand_result()
    exposures = pd.DataFrame({"rates.gross": 1.5, "rates.net": -0.5}, index=r.returns.index)
    return replace(r, exposures=exposures)


def test_figures_carry_the_house_template_and_leave_plotlys_default():
    house = template().to_plotly_json()
    before = pio.templates.default
    pio.templates.default = "plotly_dark"  # a caller's own choice
    try:
        made = figures([_result()])
        assert pio.templates.default == "plotly_dark"
    finally:
        pio.templates.default = before
    assert list(made) == ["equity", "drawdown", "rolling_sharpe", "monthly_returns", "exposures"]
    for fig in made.values():
        assert fig.layout.template.to_plotly_json() == house
    equity = made["equity"].data[0]
    assert np.array_equal(np.asarray(equity.y), _result().equity.to_numpy())
    assert [t.name for t in made["exposures"].data] == ["rates.gross", "rates.net"]

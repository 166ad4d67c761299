"""The Risk Monitor's VaR history against its limit (``backtesting.var_history``), checked
against pandas' rolling quantile for the VaR path (the peer the backtest table's test uses),
and its chart (``viz.risk_cards.var_history_figure``): the limit line, the marked days."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.errors import RiskError
from research_core.risk.backtesting import var_history, var_paths
from research_core.viz import theme
from research_core.viz.risk_cards import var_history_figure

LIMIT = 0.02  # 2% of NAV, the RiskLimits.var_99 default (limits.yaml)


def _book() -> tuple[pd.Series, pd.DataFrame]:
    rng = np.random.default_rng(11)
    days = pd.bdate_range("2025-01-01", periods=300)
    scale = np.r_[np.full(200, 0.006), np.full(100, 0.02)]  # volatility triples: breaches
    returns = pd.DataFrame(
        {"A": rng.standard_t(4, 300) * scale, "B": rng.normal(0, 0.005, 300)}, index=days
    )
    return pd.Series({"A": 0.8, "B": 0.5}), returns


def test_var_history_matches_rolling_quantile_and_flags_breaches() -> None:
    weights, returns = _book()
    hist = var_history(var_paths(weights, returns, window=120), LIMIT)

    pnl = returns["A"] * 0.8 + returns["B"] * 0.5
    var = {a: -pnl.rolling(120).quantile(1 - a).shift(1)[120:] for a in (0.95, 0.99)}
    assert list(hist["date"]) == list(returns.index[120:])
    assert np.allclose(hist["pnl"], pnl[120:])
    assert np.allclose(hist["var_95"], var[0.95]) and np.allclose(hist["var_99"], var[0.99])
    assert (hist["limit_99"] == LIMIT).all()
    breach = (var[0.99] > LIMIT).to_numpy()
    assert 0 < breach.sum() < len(breach)  # the test book crosses its limit
    assert (hist["breach"].to_numpy() == breach).all()
    assert (hist["exception_99"].to_numpy() == (pnl[120:] < -var[0.99]).to_numpy()).all()


def test_var_history_needs_the_99_level() -> None:
    weights, returns = _book()
    with pytest.raises(RiskError, match="99%"):
        var_history(var_paths(weights, returns, (0.95,), window=120), LIMIT)


def test_var_history_figure_draws_limit_and_marks_in_percent_of_nav() -> None:
    hist = pd.DataFrame(  # by hand: VaR 99% of 1.5%, 2.5%, 1.0% against a 2% limit
        {
            "date": pd.bdate_range("2026-10-26", periods=3),
            "pnl": [-0.001, -0.03, 0.002],
            "var_95": [0.010, 0.018, 0.007],
            "var_99": [0.015, 0.025, 0.010],
            "exception_99": [False, True, False],
            "limit_99": [LIMIT] * 3,
            "breach": [False, True, False],
        }
    )
    fig = var_history_figure(hist, "Held book", sample=False)
    traces = {t.name: t for t in fig.data}
    assert list(traces["VaR 99% limit"].y) == pytest.approx([2.0, 2.0, 2.0])
    assert list(traces["VaR 99% 1d (historical)"].y) == pytest.approx([1.5, 2.5, 1.0])
    assert list(traces["VaR 99% above its limit (1 days)"].y) == pytest.approx([2.5])
    assert list(traces["loss beyond VaR 99% (1 days)"].y) == pytest.approx([3.0])
    assert fig.layout.template.layout.colorway == theme.SERIES  # the house plot theme
    assert fig.layout.yaxis.title.text == "% of NAV"

"""The Risk Monitor's VaR backtest table (``backtesting.backtest_table``), checked against
pandas' rolling quantile for the VaR path and scipy for the two tests: Kupiec's LR as twice
the binomial log-likelihood ratio, Christoffersen's as the G-test of independence of the
2×2 table of day-to-day exception transitions (the same statistic, Christoffersen 1998)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats

from research_core.risk.backtesting import backtest_table


def test_backtest_table_matches_peer_computations() -> None:
    rng = np.random.default_rng(7)
    days = pd.bdate_range("2024-01-01", periods=400)
    returns = pd.DataFrame(
        {"A": rng.standard_t(4, 400) * 0.01, "B": rng.normal(0, 0.01, 400)}, index=days
    )
    weights = pd.Series({"A": 0.6, "B": -0.4})
    table = backtest_table(weights, returns, (0.95,), window=200).iloc[0]

    pnl = returns["A"] * 0.6 - returns["B"] * 0.4
    var = -pnl.rolling(200).quantile(0.05).shift(1)  # known the day before
    hits = (pnl < -var)[200:].to_numpy()
    n, x = len(hits), int(hits.sum())
    assert (table["window"], table["days"], table["exceptions"]) == (200, n, x) == (200, 200, x)
    assert np.isclose(table["expected"], 10.0)  # 200 days × 5%
    lr = 2 * (stats.binom.logpmf(x, n, x / n) - stats.binom.logpmf(x, n, 0.05))
    assert np.isclose(table["p_kupiec"], stats.chi2.sf(lr, 1))
    h = hits.astype(int)
    counts = np.array([[np.sum((h[:-1] == a) & (h[1:] == b)) for b in (0, 1)] for a in (0, 1)])
    g, p_ind, _, _ = stats.chi2_contingency(counts, correction=False, lambda_="log-likelihood")
    assert np.isclose(table["p_christoffersen"], p_ind)
    assert np.isclose(table["p_conditional"], stats.chi2.sf(lr + g, 2))

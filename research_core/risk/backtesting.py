"""VaR backtests: Kupiec's proportion of failures and Christoffersen's independence and
conditional-coverage tests, plus a rolling out-of-sample VaR of a book on the lake.

References: Kupiec (1995), "Techniques for verifying the accuracy of risk measurement
models", J. Derivatives 3(2); Christoffersen (1998), "Evaluating interval forecasts",
Int. Econ. Rev. 39(4).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from research_core.errors import RiskError


@dataclass(frozen=True)
class VaRBacktest:
    """Exceedance counts and the three likelihood-ratio tests (LR statistics, p-values)."""

    alpha: float
    n: int
    exceedances: int
    lr_pof: float
    p_pof: float
    lr_ind: float
    p_ind: float
    lr_cc: float
    p_cc: float

    @property
    def rate(self) -> float:
        return self.exceedances / self.n

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "statistic": [self.lr_pof, self.lr_ind, self.lr_cc],
                "p_value": [self.p_pof, self.p_ind, self.p_cc],
                "df": [1, 1, 2],
            },
            index=["Kupiec POF", "Christoffersen independence", "conditional coverage"],
        )

    def summary(self, level: float = 0.05) -> str:
        verdict = "rejected" if self.p_cc < level else "not rejected"
        return (
            f"{self.alpha:.1%} VaR: {self.exceedances} exceedances in {self.n} days "
            f"({self.rate:.2%} vs {1 - self.alpha:.2%} expected); Kupiec p={self.p_pof:.3f}, "
            f"independence p={self.p_ind:.3f}, conditional coverage p={self.p_cc:.3f} "
            f"({verdict} at {level:.0%})"
        )


def _xlogy(x: float, y: float) -> float:
    return float(x * np.log(y)) if x > 0 else 0.0


def kupiec(hits: np.ndarray, alpha: float) -> tuple[float, float]:
    """Proportion-of-failures LR statistic and p-value (χ²₁) for a 0/1 exceedance series."""
    h = _hits(hits)
    n, x, p = len(h), int(h.sum()), 1.0 - alpha
    phat = x / n
    lr = -2.0 * (_xlogy(n - x, 1 - p) + _xlogy(x, p) - _xlogy(n - x, 1 - phat) - _xlogy(x, phat))
    lr = max(lr, 0.0)
    return lr, float(stats.chi2.sf(lr, 1))


def christoffersen(hits: np.ndarray) -> tuple[float, float]:
    """Independence LR statistic and p-value (χ²₁) from the first-order Markov transitions."""
    h = _hits(hits).astype(int)
    prev, cur = h[:-1], h[1:]
    n00 = int(((prev == 0) & (cur == 0)).sum())
    n01 = int(((prev == 0) & (cur == 1)).sum())
    n10 = int(((prev == 1) & (cur == 0)).sum())
    n11 = int(((prev == 1) & (cur == 1)).sum())
    pi0 = n01 / (n00 + n01) if n00 + n01 else 0.0
    pi1 = n11 / (n10 + n11) if n10 + n11 else 0.0
    pi = (n01 + n11) / (n00 + n01 + n10 + n11)
    restricted = _xlogy(n00 + n10, 1 - pi) + _xlogy(n01 + n11, pi)
    free = _xlogy(n00, 1 - pi0) + _xlogy(n01, pi0) + _xlogy(n10, 1 - pi1) + _xlogy(n11, pi1)
    lr = max(-2.0 * (restricted - free), 0.0)
    return lr, float(stats.chi2.sf(lr, 1))


def _hits(hits: np.ndarray) -> np.ndarray:
    h = np.asarray(hits, dtype=float)
    if h.ndim != 1 or len(h) < 2:
        raise RiskError(f"exceedances must be a 1-d series of at least 2 days, got {h.shape}")
    if not np.isin(h, (0.0, 1.0)).all():
        raise RiskError("exceedances must be 0/1 (or booleans)")
    return h


def backtest_var(pnl: pd.Series, var: pd.Series, alpha: float) -> VaRBacktest:
    """Test a VaR forecast series (positive losses, known the day before) against P&L."""
    both = pd.concat({"pnl": pnl, "var": var}, axis=1, sort=True).dropna()
    if len(both) < 2:
        raise RiskError("no overlapping days of P&L and VaR forecasts")
    hits = (both["pnl"] < -both["var"]).to_numpy()
    lr_pof, p_pof = kupiec(hits, alpha)
    lr_ind, p_ind = christoffersen(hits)
    lr_cc = lr_pof + lr_ind
    return VaRBacktest(
        alpha,
        len(hits),
        int(hits.sum()),
        lr_pof,
        p_pof,
        lr_ind,
        p_ind,
        lr_cc,
        float(stats.chi2.sf(lr_cc, 2)),
    )


def rolling_var(
    weights: pd.Series,
    returns: pd.DataFrame,
    alpha: float,
    measure: Callable[[pd.Series, pd.DataFrame, float], float],
    *,
    window: int = 500,
    step: int = 1,
) -> pd.DataFrame:
    """Out-of-sample VaR of fixed ``weights``: on each day t, ``measure(weights,
    returns[t-window:t], alpha)`` (data up to the day before) against the P&L of day t."""
    if len(returns) <= window:
        raise RiskError(f"{len(returns)} days of returns, need more than the window {window}")
    x = weights.reindex(returns.columns, fill_value=0.0)
    pnl = returns.to_numpy() @ x.to_numpy()
    rows = []
    var = np.nan
    for i, t in enumerate(range(window, len(returns))):
        if i % step == 0:
            var = measure(x, returns.iloc[t - window : t], alpha)
        rows.append((returns.index[t], pnl[t], var))
    return pd.DataFrame(rows, columns=["date", "pnl", "var"]).set_index("date")


def _historical_var(weights: pd.Series, returns: pd.DataFrame, alpha: float) -> float:
    """Historical VaR (a positive loss, fraction of NAV) of ``weights`` over ``returns``."""
    pnl = returns.to_numpy() @ weights.to_numpy()
    return float(-np.quantile(pnl, 1.0 - alpha))


def var_paths(
    weights: pd.Series,
    returns: pd.DataFrame,
    alphas: tuple[float, ...] = (0.95, 0.99),
    *,
    window: int = 500,
) -> dict[float, pd.DataFrame]:
    """:func:`rolling_var` (historical) of fixed ``weights`` at each level, the window at
    most half the history: what the backtest tests and the VaR history draws."""
    window = min(window, len(returns) // 2)
    return {a: rolling_var(weights, returns, a, _historical_var, window=window) for a in alphas}


def backtest_table(
    weights: pd.Series,
    returns: pd.DataFrame,
    alphas: tuple[float, ...] = (0.95, 0.99),
    *,
    window: int = 500,
    paths: dict[float, pd.DataFrame] | None = None,
) -> pd.DataFrame:
    """Out-of-sample historical VaR of fixed ``weights`` over the last days of ``returns``
    (window: ``window`` days, at most half the history) tested per level: days, exceptions,
    expected exceptions and the Kupiec, Christoffersen and conditional-coverage p-values.
    ``paths``: :func:`var_paths` already computed with these arguments."""
    window = min(window, len(returns) // 2)
    paths = paths or var_paths(weights, returns, alphas, window=window)
    rows = []
    for alpha in alphas:
        path = paths[alpha]
        bt = backtest_var(path["pnl"], path["var"], alpha)
        rows.append(
            {
                "alpha": alpha,
                "window": window,
                "days": bt.n,
                "exceptions": bt.exceedances,
                "expected": bt.n * (1.0 - alpha),
                "p_kupiec": bt.p_pof,
                "p_christoffersen": bt.p_ind,
                "p_conditional": bt.p_cc,
            }
        )
    return pd.DataFrame(rows)


def var_history(paths: dict[float, pd.DataFrame], limit: float) -> pd.DataFrame:
    """Per day (``date``): the book's P&L and its VaR at each level (``var_95``,
    ``var_99``: fractions of NAV), whether the day's loss exceeded each (``exception_95``,
    ...), the 99% VaR limit (``limit_99``, from the limits file) and whether the 99% VaR
    was above it (``breach``)."""
    if 0.99 not in paths:
        raise RiskError(f"the VaR history needs the 99% level; got {sorted(paths)}")
    out = pd.DataFrame({"pnl": paths[0.99]["pnl"]})
    for alpha, path in sorted(paths.items()):
        level = round(alpha * 100)
        out[f"var_{level}"] = path["var"]
        out[f"exception_{level}"] = path["pnl"] < -path["var"]
    out["limit_99"] = float(limit)
    out["breach"] = out["var_99"] > out["limit_99"]
    return out.rename_axis("date").reset_index()

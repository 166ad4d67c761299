"""Performance metrics of a daily return series (conventions as in empyrical).

Returns are simple, per period; ``risk_free`` is per period too (a scalar or a series aligned
to the returns). Annualization uses ``periods_per_year`` (252 for business days).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.errors import BacktestError

PERIODS_PER_YEAR = B3_SESSIONS_PER_YEAR


def _clean(returns: pd.Series) -> pd.Series:
    r = pd.Series(returns, dtype=float).dropna()
    if len(r) < 2:
        raise BacktestError(f"metrics need at least 2 returns, got {len(r)}")
    if not np.isfinite(r.to_numpy()).all():
        raise BacktestError("returns contain inf")
    return r


def _excess(r: pd.Series, risk_free: float | pd.Series) -> pd.Series:
    if isinstance(risk_free, pd.Series):
        rf = risk_free.reindex(r.index).ffill().fillna(0.0)
        return r - rf
    return r - float(risk_free)


def annual_return(returns: pd.Series, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Compound annual growth rate."""
    r = _clean(returns)
    growth = float(np.prod(1.0 + r.to_numpy()))
    return growth ** (periods_per_year / len(r)) - 1.0 if growth > 0 else -1.0


def annual_volatility(returns: pd.Series, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Standard deviation (ddof=1) scaled by the square root of time."""
    return float(_clean(returns).std(ddof=1) * np.sqrt(periods_per_year))


def sharpe_ratio(
    returns: pd.Series,
    risk_free: float | pd.Series = 0.0,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> float:
    """Mean excess return over its standard deviation, annualized."""
    ex = _excess(_clean(returns), risk_free)
    sd = float(ex.std(ddof=1))
    return float(ex.mean() / sd * np.sqrt(periods_per_year)) if sd > 0 else float("nan")


def sortino_ratio(
    returns: pd.Series,
    required_return: float | pd.Series = 0.0,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> float:
    """Annualized mean excess return over annualized downside deviation."""
    ex = _excess(_clean(returns), required_return).to_numpy()
    downside = np.sqrt(np.mean(np.minimum(ex, 0.0) ** 2)) * np.sqrt(periods_per_year)
    return float(ex.mean() * periods_per_year / downside) if downside > 0 else float("nan")


def drawdown(returns: pd.Series) -> pd.Series:
    """Drawdown from the running peak of the compounded value (0 at peaks, negative below)."""
    wealth = (1.0 + _clean(returns)).cumprod()
    peak = np.maximum(wealth.cummax(), 1.0)
    return pd.Series(wealth / peak - 1.0, name="drawdown")


def max_drawdown(returns: pd.Series) -> float:
    """Deepest drawdown (a negative number)."""
    return float(min(drawdown(returns).min(), 0.0))


def max_drawdown_duration(returns: pd.Series) -> int:
    """Longest run of periods spent below a previous peak."""
    under = (drawdown(returns) < 0).to_numpy()
    longest = run = 0
    for flag in under:
        run = run + 1 if flag else 0
        longest = max(longest, run)
    return longest


def calmar_ratio(returns: pd.Series, periods_per_year: int = PERIODS_PER_YEAR) -> float:
    """Annual return over the absolute max drawdown."""
    mdd = max_drawdown(returns)
    return annual_return(returns, periods_per_year) / abs(mdd) if mdd < 0 else float("nan")


def win_rate(returns: pd.Series) -> float:
    """Share of non-zero periods that made money."""
    r = _clean(returns)
    r = r[r != 0]
    return float((r > 0).mean()) if len(r) else float("nan")


def profit_factor(returns: pd.Series) -> float:
    """Sum of gains over the absolute sum of losses."""
    r = _clean(returns)
    losses = float(-r[r < 0].sum())
    return float(r[r > 0].sum()) / losses if losses > 0 else float("inf")


def tail_ratio(returns: pd.Series) -> float:
    """95th percentile over the absolute 5th percentile of returns."""
    r = _clean(returns).to_numpy()
    return float(abs(np.percentile(r, 95)) / abs(np.percentile(r, 5)))


def hit_ratio(returns: pd.Series, rebalances: pd.Index) -> float:
    """Share of holding periods (rebalance to rebalance) with a positive compounded return."""
    r = _clean(returns)
    label = np.searchsorted(rebalances.values, r.index.values, side="right")
    held = r[label > 0]
    if held.empty:
        return float("nan")
    period = (1.0 + held).groupby(label[label > 0]).prod() - 1.0
    period = period[period != 0]
    return float((period > 0).mean()) if len(period) else float("nan")


def moments(r: np.ndarray, bias: bool = True) -> tuple[float, float]:
    """Skewness and Pearson kurtosis (3 for a normal) from the central moments, as
    ``scipy.stats.skew`` and ``kurtosis(fisher=False)`` give them (``bias=False``: the
    adjusted skewness G1, for n > 2); NaN for a constant series. Written out because
    importing ``scipy.stats`` costs a backtest from the command line ~0.5 s CPU (issue 29)."""
    r = np.asarray(r, dtype=float)
    n, mean = len(r), r.mean()
    d = r - mean
    m2, m3, m4 = (d**2).mean(), (d**3).mean(), (d**4).mean()
    if not m2 > (np.finfo(float).resolution * 10 * mean) ** 2:
        return float("nan"), float("nan")
    skew = m3 / m2**1.5
    if not bias and n > 2:
        skew *= np.sqrt((n - 1.0) * n) / (n - 2.0)
    return float(skew), float(m4 / m2**2)


def performance(
    returns: pd.Series,
    *,
    risk_free: float | pd.Series = 0.0,
    turnover: float | None = None,
    rebalances: pd.Index | None = None,
    periods_per_year: int = PERIODS_PER_YEAR,
) -> pd.Series:
    """Every headline metric in one labelled series (``turnover``: annual, in book value)."""
    r = _clean(returns)
    out = {
        "annual_return": annual_return(r, periods_per_year),
        "annual_volatility": annual_volatility(r, periods_per_year),
        "sharpe": sharpe_ratio(r, risk_free, periods_per_year),
        "sortino": sortino_ratio(r, risk_free, periods_per_year),
        "calmar": calmar_ratio(r, periods_per_year),
        "max_drawdown": max_drawdown(r),
        "max_drawdown_days": float(max_drawdown_duration(r)),
        "win_rate": win_rate(r),
        "profit_factor": profit_factor(r),
        "hit_ratio": hit_ratio(r, rebalances) if rebalances is not None else float("nan"),
        "turnover": float("nan") if turnover is None else float(turnover),
        "skew": moments(r.to_numpy(), bias=False)[0],
        "tail_ratio": tail_ratio(r),
        "periods": float(len(r)),
    }
    return pd.Series(out, name="value")

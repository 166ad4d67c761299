"""Implementation drift: does live P&L move with a backtest replay of the same dates?

The replay is the backtest run point-in-time over the live dates; the live side comes
from the PMS (``pnl_history`` per strategy, ``nav_history`` for the book). Two checks
(scipy): Spearman rank correlation of the daily returns (flagged below 0.8: the two do
not move together) and the two-sample Kolmogorov–Smirnov statistic (flagged above 0.09:
their distributions differ — costs, slippage, sizing).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from research_core.errors import HealthError

MIN_SPEARMAN = 0.8
MAX_KS = 0.09
MIN_OBS = 20


@dataclass(frozen=True)
class Drift:
    """Live against replay on their common dates."""

    n_obs: int
    spearman: float
    ks: float
    ks_pvalue: float

    @property
    def flags(self) -> tuple[str, ...]:
        out = []
        if self.spearman < MIN_SPEARMAN:
            out.append(f"live/replay Spearman {self.spearman:.2f} < {MIN_SPEARMAN}")
        if self.ks > MAX_KS:
            out.append(f"live/replay KS {self.ks:.3f} > {MAX_KS}")
        return tuple(out)


def implementation_drift(live: pd.Series, replay: pd.Series) -> Drift:
    """Compare daily ``live`` and ``replay`` returns on the dates both have."""
    both = pd.concat({"live": live, "replay": replay}, axis=1, join="inner").dropna()
    if len(both) < MIN_OBS:
        raise HealthError(
            f"implementation drift needs {MIN_OBS} common dates of live and replay returns, "
            f"got {len(both)}"
        )
    a, b = both["live"].to_numpy(), both["replay"].to_numpy()
    rho = stats.spearmanr(a, b).statistic
    ks = stats.ks_2samp(a, b)
    return Drift(len(both), float(np.nan_to_num(rho)), float(ks.statistic), float(ks.pvalue))


def live_returns(pnl_history: pd.DataFrame, nav_history: pd.DataFrame) -> pd.DataFrame:
    """Daily live returns per strategy and for the book (column ``BOOK``) from the PMS
    tables: each day's P&L in BRL over the NAV before it."""
    if nav_history.empty:
        return pd.DataFrame()
    nav = nav_history["nav_brl"].astype(float)
    prev = (nav - nav_history["pnl_brl"].astype(float)).rename("nav_prev")
    book = (nav_history["pnl_brl"] / prev).rename("BOOK")
    if pnl_history.empty:
        return book.to_frame()
    pnl = pnl_history.pivot_table(
        index="as_of", columns="strategy", values="pnl_brl", aggfunc="sum", fill_value=0.0
    )
    pnl.index = pd.DatetimeIndex(pd.to_datetime(pnl.index), name="as_of")
    out = pnl.div(prev.reindex(pnl.index), axis=0)
    return pd.concat([out, book], axis=1).sort_index()

"""What the engine knows about its instruments, read once from one view.

:class:`MarketData` is built from the view at the backtest's end (the engine's marks and
costs, like a broker's statement, are not decisions: they never reach a strategy) and
holds the unit-return index (carry and FX translation included, :mod:`research_core.pnl`),
the raw quotes, USD/BRL and the CDI. The engine asks it for everything else — sessions,
trailing volatilities, impact coefficients, the collateral's accrual — by row or date,
instead of going back to the view. Volatilities at a date use rows up to it only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research_core import ntnb
from research_core.catalog import instrument
from research_core.lake.pit import PITView
from research_core.pnl import (
    FUNDING,
    USDBRL,
    cdi_accrual,
    known_on,
    unit_index,
    unit_volatility,
)

if TYPE_CHECKING:
    from research_core.backtest.engine import CostModel

WARMUP_DAYS = 1100  # calendar days of marks before ``start`` for the first volatilities
VOL_FLOOR = 0.5  # sizing never uses less than this share of the long-run volatility


@dataclass(frozen=True, eq=False)
class MarketData:
    """Marks, quotes, FX and funding of ``ids`` on ``calendar`` sessions, from one view."""

    ids: tuple[str, ...]
    calendar: str
    marks: pd.DataFrame  # unit-return index per instrument (warm-up rows included)
    quotes: pd.DataFrame  # raw price series, one column per instrument
    usdbrl: pd.Series
    cdi: pd.Series  # BRL funding (% a year)
    vna: pd.Series = field(default_factory=lambda: pd.Series(dtype=float))  # NTN-B face, R$

    @classmethod
    def build(
        cls,
        view: PITView,
        ids: Sequence[str],
        start: pd.Timestamp,
        end: pd.Timestamp,
        calendar: str,
        warmup_days: int = WARMUP_DAYS,
    ) -> MarketData:
        """Read everything once; the marks start ``warmup_days`` before ``start`` (or where
        every instrument has a price)."""
        ids = tuple(ids)
        marks = unit_index(
            view, list(ids), start - pd.Timedelta(days=warmup_days), end, calendar, trim=True
        )
        quotes = view.frame([instrument(i).price_series for i in ids])
        vna = pd.Series(dtype=float)
        if any(instrument(i).dv01_convention == "real_yield" for i in ids):
            days = pd.DatetimeIndex(marks.index)
            vna = pd.Series(ntnb.vna_on(view, days), index=days).dropna()
        fx, cdi = view.series(USDBRL), view.series(FUNDING["BRL"])
        return cls(ids, calendar, marks, quotes, fx, cdi, vna)

    def sessions(self, start: pd.Timestamp) -> pd.DatetimeIndex:
        """The backtest's sessions: mark rows from ``start``."""
        return pd.DatetimeIndex(self.marks.index[self.marks.index >= start])

    @property
    def returns(self) -> np.ndarray:
        """Daily unit returns, one row per mark row (the first is NaN)."""
        return self.marks.pct_change().to_numpy()

    def volatility(self, dates: pd.DatetimeIndex, lookback: int) -> np.ndarray:
        """(dates x ids) daily volatility known at each date (rows up to it only), floored
        at ``VOL_FLOOR`` of the long-run one (:func:`~research_core.pnl.unit_volatility`)."""
        rets = self.returns[1:]
        bounds = sd_bounds(rets)  # most dates need no sd over the whole history
        rows = self.marks.index.get_indexer(dates)
        return np.vstack(
            [
                unit_volatility(
                    rets[: max(r, 0)], lookback, VOL_FLOOR, bounds[r - 1] if r > 0 else None
                )
                for r in rows
            ]
        )

    def impact(
        self, costs: CostModel, dates: pd.DatetimeIndex, vol: np.ndarray, ids: Sequence[str]
    ) -> np.ndarray:
        """(dates x ids) square-root impact coefficients from the quotes, USD/BRL and NTN-B
        VNA known at each date (:meth:`CostModel.impact_coefficients`)."""
        cols = [self.ids.index(i) for i in ids]
        quotes = known_on(self.quotes, dates)[:, cols]
        fx = known_on(self.usdbrl, dates)
        vna = known_on(self.vna, dates)
        return np.vstack(
            [
                costs.impact_coefficients(list(ids), vol[k], quotes[k], fx[k], vna[k])
                for k in range(len(dates))
            ]
        )

    def risk_free(self, days: pd.DatetimeIndex) -> pd.Series:
        """Daily CDI accrual on the collateral: each session earns the rate known the
        session before (the first earns nothing)."""
        return pd.Series(cdi_accrual(known_on(self.cdi, days)), index=days, name="risk_free")


def sd_bounds(returns: np.ndarray) -> np.ndarray:
    """Row ``i``: an upper bound of each column's sample sd (ddof 1, NaN skipped) over rows
    ``[0, i]`` of ``returns``, for :func:`unit_volatility`: sqrt(sum x² / (n − 1)) is at
    least the sd (the sum of squares about the mean is the smallest), widened by 1e-9 for
    the rounding of both sums (under 1e-12 here) and by 1e-150 absolute (squares of
    returns below 1e-154 underflow, where a relative margin means nothing); inf or NaN
    where n < 2 (then no bound)."""
    x = np.asarray(returns, dtype=float)
    seen = ~np.isnan(x)
    squares = np.cumsum(np.where(seen, x * x, 0.0), axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sqrt(squares / (np.cumsum(seen, axis=0) - 1) * (1.0 + 1e-9)) + 1e-150

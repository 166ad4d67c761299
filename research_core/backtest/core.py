"""The simulation core: target weights → holdings → equity, on numpy arrays only.

Semantics (the same as vectorbt's ``from_orders(size_type="targetpercent")`` with shared
cash and fees paid from cash): at a rebalance row ``r`` the book's value ``V`` is marked at
that row's price; each instrument is traded to ``w * V`` of value; each trade pays
``|traded| * (fee + impact * sqrt(|traded|))`` from cash. Between rebalances the units are
held, so weights drift with prices; a book whose value reaches zero is liquidated. Many
books (strategies, parameter variants) run at once: the only Python loop is over
rebalance rows, each step is a handful of (books x instruments) array operations, and the
daily equity is one ``einsum`` over all rows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from research_core.errors import BacktestError


@dataclass(frozen=True)
class Simulation:
    """Arrays out of :func:`simulate` (books on axis 1 / 0 as noted)."""

    equity: np.ndarray  # (T, S) book value per row, starting at ``initial``
    units: np.ndarray  # (K, S, N) units held after each rebalance
    traded: np.ndarray  # (K, S, N) signed value traded at each rebalance
    costs: np.ndarray  # (K, S, N) costs paid at each rebalance
    value_before: np.ndarray  # (K, S) book value marked just before each rebalance

    def weights(self, prices: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """(T, S, N) drifted weights: held value over book value on every row."""
        seg = np.searchsorted(rows, np.arange(len(prices)), side="right") - 1
        held = np.where(seg[:, None, None] >= 0, self.units[np.maximum(seg, 0)], 0.0)
        return held * prices[:, None, :] / self.equity[:, :, None]


def simulate(
    prices: np.ndarray,
    weights: np.ndarray,
    rows: np.ndarray,
    fee: np.ndarray | float = 0.0,
    impact: np.ndarray | float = 0.0,
    initial: float = 1.0,
) -> Simulation:
    """Simulate books that rebalance to target ``weights`` at ``rows``.

    Parameters
    ----------
    prices : (T, N) positive, finite price (or total-return index) per row and instrument.
    weights : (K, S, N) or (K, N) target weight of book value per rebalance and instrument.
    rows : (K,) strictly increasing row index of each rebalance.
    fee : proportional cost per unit of value traded; scalar, (N,) or (K, N).
    impact : square-root impact coefficient (cost = impact * traded**1.5, value in units of
        ``initial``); scalar, (N,) or (K, N). Zero gives purely proportional costs.
    initial : starting book value.
    """
    prices = np.asarray(prices, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim == 2:
        w = w[:, None, :]
    rows = np.asarray(rows, dtype=np.int64)
    _check(prices, w, rows)
    k, s, n = w.shape
    fee_k = np.broadcast_to(np.asarray(fee, dtype=np.float64), (k, n))
    imp_k = np.broadcast_to(np.asarray(impact, dtype=np.float64), (k, n))
    use_impact = bool(np.any(imp_k))
    units = np.zeros((k, s, n))
    traded = np.zeros((k, s, n))
    costs = np.zeros((k, s, n))
    value_before = np.zeros((k, s))
    cash_after = np.full((k + 1, s), float(initial))  # row 0: before the first rebalance
    cash = cash_after[0]
    held = np.zeros((s, n))
    for j in range(k):
        px = prices[rows[j]]
        value = cash + held @ px
        target = w[j] * np.maximum(value, 0.0)[:, None]  # a ruined book is liquidated
        dv = target - held * px
        absdv = np.abs(dv)
        cost = absdv * fee_k[j]
        if use_impact:
            cost += imp_k[j] * absdv * np.sqrt(absdv)
        cash = value - target.sum(axis=1) - cost.sum(axis=1)
        held = target / px
        units[j], traded[j], costs[j], value_before[j], cash_after[j + 1] = (
            held,
            dv,
            cost,
            value,
            cash,
        )
    equity = np.empty((len(prices), s))
    equity[: rows[0] if k else len(prices)] = initial
    bounds = np.append(rows, len(prices))
    for j in range(k):  # mark each holding period: (rows x instruments) @ (instruments x books)
        lo, hi = bounds[j], bounds[j + 1]
        equity[lo:hi] = cash_after[j + 1] + prices[lo:hi] @ units[j].T
    return Simulation(equity, units, traded, costs, value_before)


def _check(prices: np.ndarray, w: np.ndarray, rows: np.ndarray) -> None:
    if prices.ndim != 2 or w.ndim != 3 or w.shape[2] != prices.shape[1]:
        raise BacktestError(
            f"shapes do not match: prices {prices.shape} (rows, instruments), "
            f"weights {w.shape} (rebalances, books, instruments)"
        )
    if len(rows) != w.shape[0]:
        raise BacktestError(f"{len(rows)} rebalance rows for {w.shape[0]} weight rows")
    if len(rows) and (rows[0] < 0 or rows[-1] >= len(prices) or np.any(np.diff(rows) <= 0)):
        raise BacktestError("rebalance rows must be strictly increasing and inside the prices")
    if not np.all(np.isfinite(prices)) or np.any(prices <= 0):
        raise BacktestError("prices must be finite and positive on every row")
    if not np.all(np.isfinite(w)):
        bad = np.argwhere(~np.isfinite(w))[0]
        raise BacktestError(f"non-finite target weight at rebalance {bad[0]}, instrument {bad[-1]}")

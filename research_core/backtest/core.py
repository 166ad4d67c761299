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
        value, held, dv, cost, cash = _trade(cash, held, px, w[j], fee_k[j], imp_k[j], use_impact)
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


def _trade(
    cash: np.ndarray,
    held: np.ndarray,
    px: np.ndarray,
    w: np.ndarray,
    fee: np.ndarray,
    impact: np.ndarray,
    use_impact: bool,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """One rebalance at prices ``px``: (value before, units after, traded, costs, cash)."""
    value = cash + held @ px
    target = w * np.maximum(value, 0.0)[:, None]  # a ruined book is liquidated
    dv = target - held * px
    absdv = np.abs(dv)
    cost = absdv * fee
    if use_impact:
        cost += impact * absdv * np.sqrt(absdv)
    return value, target / px, dv, cost, value - target.sum(axis=1) - cost.sum(axis=1)


class Continued:
    """One book simulated as its rebalances arrive, in row order: :func:`simulate`'s
    arithmetic, but each new rebalance and each new row only extends the run, where a
    re-simulation of the whole prefix at every date costs the square of its length.

    ``equity(row)`` equals ``simulate(prices[: row + 1], weights so far, rows so far,
    ...).equity[:, 0]`` bit for bit: closed holding periods are marked once with the
    same products, and the open one is marked afresh from its rebalance row, as
    :func:`simulate` would on that prefix."""

    def __init__(self, prices: np.ndarray, fee: np.ndarray | float = 0.0, initial: float = 1.0):
        self.prices = np.asarray(prices, dtype=np.float64)
        _check(self.prices, np.zeros((0, 1, self.prices.shape[-1])), np.zeros(0, dtype=int))
        self.fee = np.broadcast_to(np.asarray(fee, dtype=np.float64), self.prices.shape[1:])
        self.initial = float(initial)
        self.rows: list[int] = []
        self.units = np.zeros((1, self.prices.shape[1]))
        self.cash = np.full(1, self.initial)
        self.closed = np.full(0, self.initial)  # equity on rows before the last rebalance

    def rebalance(self, row: int, weights: np.ndarray, impact: np.ndarray | float) -> None:
        """Trade to target ``weights`` (N,) of book value at ``row`` (after the last)."""
        if row >= len(self.prices) or (self.rows and row <= self.rows[-1]) or row < 0:
            raise BacktestError(f"rebalance row {row} is not after {self.rows[-1:]} and inside")
        lo = self.rows[-1] if self.rows else 0
        self.closed = np.concatenate([self.closed, self._mark(lo, row)])
        imp = np.broadcast_to(np.asarray(impact, dtype=np.float64), self.fee.shape)
        w = np.asarray(weights, dtype=np.float64)[None, :]
        if not np.all(np.isfinite(w)):  # as simulate refuses it, naming where
            bad = int(np.flatnonzero(~np.isfinite(w[0]))[0])
            raise BacktestError(
                f"non-finite target weight at rebalance {len(self.rows)}, instrument {bad}"
            )
        px = self.prices[row]
        _, self.units, _, _, self.cash = _trade(
            self.cash, self.units, px, w, self.fee, imp, bool(np.any(imp))
        )
        self.rows.append(row)

    def _mark(self, lo: int, hi: int) -> np.ndarray:
        if not self.rows:
            return np.full(hi - lo, self.initial)
        return (self.cash + self.prices[lo:hi] @ self.units.T)[:, 0]

    def equity(self, row: int) -> np.ndarray:
        """The book's value on rows 0..``row`` (not before the last rebalance)."""
        lo = self.rows[-1] if self.rows else 0
        if row < lo:
            raise BacktestError(f"row {row} is before the last rebalance at row {lo}")
        return np.concatenate([self.closed, self._mark(lo, row + 1)])


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

"""Benchmark: the backtester's simulation core against vectorbt and a pandas loop (issue #5).

Case: ``--instruments`` (30) instruments, ``--years`` (20) of daily prices, ``--strategies``
(24) books with weekly target weights, 5 bp proportional costs. Every method gets the same
prices and weights; equity curves must agree to 1e-6 before any time is reported.

* ``engine core``  ``research_core.backtest.simulate`` (numpy; loop over rebalances only)
* ``vectorbt``     ``Portfolio.from_orders(size_type="targetpercent")`` with cash sharing per
                   book, then ``.value()``; warmed up first so JIT compilation is excluded
* ``pandas loop``  a plain per-day loop over pandas objects

Target: the engine core at least 25x faster than vectorbt. Run
``python benchmarks/backtest.py``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
from _args import options  # benchmarks/ is on sys.path when run as a script
from _timing import best_of

from research_core.backtest import simulate

TARGET_VS_VECTORBT = 25.0


def make_case(
    instruments: int, years: int, strategies: int, seed: int = 7
) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """Prices (GBM), weekly rebalance rows and long-only target weights (books x assets)."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2005-01-03", periods=252 * years)
    vol = rng.uniform(0.08, 0.35, instruments) / np.sqrt(252)
    steps = rng.standard_normal((len(days), instruments)) * vol + 0.0002
    prices = pd.DataFrame(100 * np.exp(np.cumsum(steps, axis=0)), index=days)
    rows = np.flatnonzero(days.day_of_week == 4)  # Fridays
    weights = rng.dirichlet(np.ones(instruments), size=(len(rows), strategies)) * 0.95
    weights[rng.random(weights.shape) < 0.2] = 0.0  # some instruments out of some books
    return prices, rows, weights


def run_core(prices: pd.DataFrame, rows: np.ndarray, weights: np.ndarray, fee: float) -> np.ndarray:
    return simulate(prices.to_numpy(), weights, rows, fee=fee).equity


def run_vectorbt(
    prices: pd.DataFrame, rows: np.ndarray, weights: np.ndarray, fee: float
) -> np.ndarray:
    import vectorbt as vbt

    k, s, n = weights.shape
    size = np.full((len(prices), s * n), np.nan)
    size[rows] = weights.reshape(k, s * n)
    close = pd.DataFrame(np.tile(prices.to_numpy(), (1, s)), index=prices.index)
    pf = vbt.Portfolio.from_orders(
        close,
        size=pd.DataFrame(size, index=prices.index),
        size_type="targetpercent",
        group_by=np.repeat(np.arange(s), n),
        cash_sharing=True,
        call_seq="auto",
        fees=fee,
        init_cash=1.0,
        freq="D",
    )
    return pf.value().to_numpy()


def run_pandas_loop(
    prices: pd.DataFrame, rows: np.ndarray, weights: np.ndarray, fee: float
) -> np.ndarray:
    s = weights.shape[1]
    books, cols = range(s), prices.columns
    units = pd.DataFrame(0.0, index=books, columns=cols)
    cash = pd.Series(1.0, index=books)
    targets = {
        int(r): pd.DataFrame(weights[j], index=books, columns=cols) for j, r in enumerate(rows)
    }
    out = []
    for t, (_, px) in enumerate(prices.iterrows()):
        if t in targets:
            value = cash + units.mul(px, axis=1).sum(axis=1)
            target = targets[t].mul(value, axis=0)
            traded = target - units.mul(px, axis=1)
            cash = value - target.sum(axis=1) - fee * traded.abs().sum(axis=1)
            units = target.div(px, axis=1)
        out.append(cash + units.mul(px, axis=1).sum(axis=1))
    return pd.concat(out, axis=1).T.to_numpy()


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    args = options(
        __doc__, argv, instruments=30, years=20, strategies=24, fee_bps=5.0, repeat=5,
        pandas_repeat=1,
    )  # fmt: skip
    prices, rows, weights = make_case(args.instruments, args.years, args.strategies)
    fee = args.fee_bps / 1e4
    peers = {
        "engine core": (args.repeat, run_core),
        "vectorbt": (args.repeat, run_vectorbt),
        "pandas loop": (args.pandas_repeat, run_pandas_loop),
    }
    run_vectorbt(prices, rows[:2], weights[:2], fee)  # compile numba kernels (excluded)
    seconds, curves = {}, {}
    for name, (repeat, func) in peers.items():
        seconds[name], curves[name] = best_of(repeat, lambda f=func: f(prices, rows, weights, fee))
    for name, curve in curves.items():
        gap = float(np.max(np.abs(curve - curves["engine core"])))
        if not gap < 1e-6:
            raise AssertionError(f"{name} equity differs from the engine core by {gap:.2e}")
    k, s, n = weights.shape
    print(
        f"{n} instruments x {len(prices)} days, {s} books, {k} weekly rebalances, "
        f"{args.fee_bps:g} bp; equity curves agree to 1e-6"
    )
    print(f"{'method':<14}{'seconds':>10}{'x engine':>11}")
    for name, sec in seconds.items():
        print(f"{name:<14}{sec:>10.4f}{sec / seconds['engine core']:>11.1f}")
    ratio = seconds["vectorbt"] / seconds["engine core"]
    verdict = "meets" if ratio >= TARGET_VS_VECTORBT else "MISSES"
    print(
        f"engine core is {ratio:.1f}x faster than vectorbt "
        f"({verdict} the {TARGET_VS_VECTORBT:g}x target)"
    )
    return seconds


if __name__ == "__main__":
    main()

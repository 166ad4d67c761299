"""Benchmark: HRP against PyPortfolioOpt and a plain scipy version; Monte Carlo VaR/ES with
component VaR against the time to draw its random normals (issue #6).

HRP case: ``--assets`` (50) assets, ``--days`` (1,000) of factor-model returns; each method
starts from the returns. Weights must equal PyPortfolioOpt's to 1e-10 before any time is
reported. Target: ``portfolio.hrp`` within 2x of the plain scipy implementation.

Monte Carlo case: ``--instruments`` (50) with a Ledoit–Wolf covariance, ``--scenarios``
(100,000), VaR, ES and component VaR/ES at 95 % and 99 %. The baseline is
``rng.standard_normal((scenarios, instruments))`` alone; a naive peer builds the full
scenario matrix and the components with ``np.quantile``. Target: within 1.3x of the draw.

Run ``python benchmarks/risk.py``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from _args import options  # benchmarks/ is on sys.path when run as a script
from _timing import best_of
from scipy.cluster import hierarchy
from scipy.spatial.distance import squareform

from research_core.models.covariance import ledoit_wolf
from research_core.portfolio import hrp
from research_core.risk import monte_carlo

TARGET_HRP = 2.0
TARGET_MC = 1.3


def make_returns(assets: int, days: int, seed: int = 11) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    factors = rng.standard_normal((days, 5))
    load = rng.normal(0, 1, (5, assets))
    x = (factors @ load + rng.standard_normal((days, assets)) * 1.5) * 0.003
    return pd.DataFrame(
        x * rng.uniform(0.5, 2.5, assets), columns=[f"X{i:02d}" for i in range(assets)]
    )


def plain_scipy_hrp(returns: pd.DataFrame) -> np.ndarray:
    """The textbook HRP in a few lines of numpy/scipy, no checks."""
    cov, corr = np.cov(returns.to_numpy(), rowvar=False), returns.corr().to_numpy()
    dist = squareform(np.sqrt(np.clip((1 - corr) / 2, 0, 1)), checks=False)
    order = hierarchy.to_tree(hierarchy.linkage(dist, "single"), rd=False).pre_order()
    w, clusters = np.ones(len(cov)), [np.array(order)]
    while clusters:
        clusters = [
            c[s]
            for c in clusters
            if len(c) > 1
            for s in (slice(None, len(c) // 2), slice(len(c) // 2, None))
        ]
        for a, b in zip(clusters[::2], clusters[1::2], strict=True):
            va, vb = (
                (iv := 1 / np.diag(cov)[c] / (1 / np.diag(cov)[c]).sum()) @ cov[np.ix_(c, c)] @ iv
                for c in (a, b)
            )
            w[a] *= 1 - va / (va + vb)
            w[b] *= va / (va + vb)
    return w


def ours_hrp(returns: pd.DataFrame) -> np.ndarray:
    return hrp(returns.cov(), returns.corr()).to_numpy()


def pypfopt_hrp(returns: pd.DataFrame) -> np.ndarray:
    from pypfopt import HRPOpt

    return pd.Series(HRPOpt(returns=returns).optimize("single"))[returns.columns].to_numpy()


def naive_mc(w: pd.Series, cov: pd.DataFrame, n: int, seed: int) -> list[tuple[float, float]]:
    """Full scenario matrix, np.quantile, components from the whole tail."""
    rng = np.random.default_rng(seed)
    z = rng.standard_normal((n, len(w)))
    sims = z @ np.linalg.cholesky(cov.to_numpy()).T
    pos = sims * w.to_numpy()
    pnl = pos.sum(axis=1)
    out = []
    for a in (0.95, 0.99):
        # 1 - 0.95 is 0.050000000000000044 in floating point: round the level so the
        # k-th worst loss is k = n(1 - a) exactly when that is a whole number
        var = -np.quantile(pnl, round(1 - a, 12), method="inverted_cdf")
        tail = pnl <= -var
        _ = -pos[tail].mean(axis=0)
        out.append((float(var), float(-pnl[tail].mean())))
    return out


def main(argv: Sequence[str] | None = None) -> dict[str, float]:
    args = options(__doc__, argv, assets=50, days=1000, instruments=50, scenarios=100_000, repeat=7)
    seconds: dict[str, float] = {}

    r = make_returns(args.assets, args.days)
    hrp_runs = {
        "hrp: research_core": ours_hrp,
        "hrp: plain scipy": plain_scipy_hrp,
        "hrp: PyPortfolioOpt": pypfopt_hrp,
    }
    weights = {}
    for name, func in hrp_runs.items():
        seconds[name], weights[name] = best_of(args.repeat, lambda f=func: f(r))
    for name, w in weights.items():
        gap = float(np.max(np.abs(w - weights["hrp: PyPortfolioOpt"])))
        if not gap < 1e-10:
            raise AssertionError(f"{name} weights differ from PyPortfolioOpt by {gap:.2e}")
    print(f"HRP: {args.assets} assets x {args.days} days; weights equal PyPortfolioOpt's to 1e-10")
    base = seconds["hrp: plain scipy"]
    for name in hrp_runs:
        print(f"  {name:<24}{seconds[name]:>10.5f} s{seconds[name] / base:>8.2f}x plain")
    ratio = seconds["hrp: research_core"] / base
    verdict = "meets" if ratio <= TARGET_HRP else "MISSES"
    print(f"  research_core is {ratio:.2f}x plain scipy ({verdict} the {TARGET_HRP:g}x target)")

    cov = ledoit_wolf(make_returns(args.instruments, 750, seed=5)).covariance
    w = pd.Series(np.random.default_rng(2).normal(0, 0.3, args.instruments), index=cov.index)
    n = args.scenarios

    def draw() -> np.ndarray:
        return np.random.default_rng(0).standard_normal((n, args.instruments))

    def ours() -> list[Any]:
        return monte_carlo(w, cov, (0.95, 0.99), n=n, seed=0)

    seconds["mc: draw normals only"], _ = best_of(args.repeat, draw)
    seconds["mc: research_core"], res = best_of(args.repeat, ours)
    seconds["mc: naive full matrix"], naive = best_of(args.repeat, lambda: naive_mc(w, cov, n, 0))
    for got, (var, es) in zip(res, naive, strict=True):
        if abs(got.var - var) > 1e-10 * abs(var) or abs(got.es - es) > 1e-9 * abs(es):
            raise AssertionError(f"VaR/ES differ from the naive peer at {got.alpha}")
        if abs(got.component_var.sum() - got.var) > 1e-12:
            raise AssertionError("component VaR does not add up to VaR")
    print(
        f"Monte Carlo: {args.instruments} instruments x {n:,} scenarios, 95/99% VaR/ES/components"
    )
    print("  VaR and ES equal the naive peer's on the same draws")
    base = seconds["mc: draw normals only"]
    for name in ("mc: draw normals only", "mc: research_core", "mc: naive full matrix"):
        print(f"  {name:<24}{seconds[name]:>10.5f} s{seconds[name] / base:>8.2f}x draw")
    ratio = seconds["mc: research_core"] / base
    verdict = "meets" if ratio <= TARGET_MC else "MISSES"
    print(f"  research_core is {ratio:.2f}x the draw ({verdict} the {TARGET_MC:g}x target)")
    return seconds


if __name__ == "__main__":
    main()

"""Portfolio optimizers on a covariance: equal risk contribution, hierarchical risk parity,
Black–Litterman, fractional Kelly and mean-variance. Pure functions of arrays/frames.

References: Spinu (2013) "An algorithm for computing risk parity weights" (ERC as a convex
problem); López de Prado (2016) "Building diversified portfolios that outperform out of
sample" (HRP; the bisection follows PyPortfolioOpt's ``HRPOpt``); Black and Litterman
(1992) with Idzorek's (2005) confidences in Walters' (2014) closed form; Kelly (1956) /
Thorp (2006) for the growth-optimal fraction; Markowitz (1952).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from research_core.errors import PortfolioError, RiskError
from research_core.risk.measures import check_covariance, variance_terms


def _cov(cov: pd.DataFrame) -> np.ndarray:
    try:
        return check_covariance(cov)
    except RiskError as err:
        raise PortfolioError(str(err)) from err


def erc(cov: pd.DataFrame, budgets: pd.Series | None = None) -> pd.Series:
    """Long-only weights (sum 1) whose risk contributions w_i(Σw)_i are proportional to
    ``budgets`` (equal by default): Spinu's convex problem min ½yᵀΣy − Σ b_i ln y_i, solved
    by Newton-CG in log y, then normalized."""
    from scipy import optimize  # on first use: importing portfolio stays light

    c = _cov(cov)
    n = len(c)
    b = np.full(n, 1.0 / n) if budgets is None else budgets.reindex(cov.index).to_numpy(float)
    if not np.all(np.isfinite(b)) or np.any(b <= 0):
        raise PortfolioError("risk budgets must be positive for every asset")
    b = b / b.sum()
    if np.any(np.diag(c) <= 0):
        raise PortfolioError(f"zero variance for {cov.index[np.diag(c) <= 0].tolist()}")

    def f(x: np.ndarray) -> float:
        y = np.exp(x)
        return float(0.5 * y @ c @ y - b @ x)

    def grad(x: np.ndarray) -> np.ndarray:  # y_i(Σy)_i − b_i: risk contributions minus budgets
        return variance_terms(np.exp(x), c)[0] - b

    def hess(x: np.ndarray) -> np.ndarray:
        y = np.exp(x)
        return c * np.outer(y, y) + np.diag(variance_terms(y, c)[0])

    x0 = np.log(b / np.sqrt(np.diag(c)))
    res = optimize.minimize(
        f, x0, jac=grad, hess=hess, method="trust-exact", options={"gtol": 1e-13}
    )
    x = res.x
    if not res.success and np.abs(grad(x)).max() > 1e-8:
        x = _newton_polish(x, grad, hess)  # trust-exact stalls where f stops resolving
        if np.abs(grad(x)).max() > 1e-8:
            raise PortfolioError(f"risk parity did not converge: {res.message}")
    y = np.exp(x)
    return pd.Series(y / y.sum(), index=cov.index, name="erc")


def _newton_polish(x: np.ndarray, grad: Any, hess: Any, steps: int = 5) -> np.ndarray:
    """Plain Newton steps on the gradient from ``x``, the best point kept. trust-exact
    accepts a step only if f falls, and near the optimum f's change (|g|² ≈ 1e-16) is
    below its rounding: it stops ("a bad approximation") with risk contributions still
    ~1e-8 off their budgets, and whether that is under the tolerance or not turned on the
    last bit of the inputs (a book held instead of rebuilt). Newton's steps read the
    gradient alone, and the problem is strictly convex: they converge from there."""
    best, best_g = x, float(np.abs(grad(x)).max())
    for _ in range(steps):
        try:
            x = x + np.linalg.solve(hess(x), -grad(x))
        except np.linalg.LinAlgError:
            break
        g = float(np.abs(grad(x)).max())
        if not g < best_g:
            break
        best, best_g = x, g
    return best


def cov_to_corr(cov: np.ndarray) -> np.ndarray:
    sd = np.sqrt(np.diag(cov))
    return cov / np.outer(sd, sd)


def hrp(
    cov: pd.DataFrame, corr: pd.DataFrame | None = None, *, linkage: str = "single"
) -> pd.Series:
    """Hierarchical risk parity (long-only, sum 1): cluster on the correlation distance
    √((1−ρ)/2), order by the dendrogram, then split the order in halves recursively,
    sharing weight by inverse cluster variance (inverse-variance weights within)."""
    from scipy.cluster import hierarchy  # on first use: importing portfolio stays light
    from scipy.spatial.distance import squareform

    c = _cov(cov)
    rho = cov_to_corr(c) if corr is None else corr.loc[cov.index, cov.index].to_numpy(float)
    if np.any(np.diag(c) <= 0):
        raise PortfolioError(f"zero variance for {cov.index[np.diag(c) <= 0].tolist()}")
    dist = squareform(np.sqrt(np.clip((1.0 - rho) / 2.0, 0.0, 1.0)), checks=False)
    order = hierarchy.to_tree(hierarchy.linkage(dist, linkage), rd=False).pre_order()
    w = np.ones(len(c))
    inv_var = 1.0 / np.diag(c)
    clusters = [np.asarray(order)]
    while clusters:
        clusters = [
            part
            for cl in clusters
            if len(cl) > 1
            for part in (cl[: len(cl) // 2], cl[len(cl) // 2 :])
        ]
        for left, right in zip(clusters[::2], clusters[1::2], strict=True):
            v_left, v_right = (_cluster_var(c, inv_var, cl) for cl in (left, right))
            alpha = 1.0 - v_left / (v_left + v_right)
            w[left] *= alpha
            w[right] *= 1.0 - alpha
    return pd.Series(w, index=cov.index, name="hrp")


def _cluster_var(c: np.ndarray, inv_var: np.ndarray, items: np.ndarray) -> float:
    iv = inv_var[items] / inv_var[items].sum()
    return float(iv @ c[np.ix_(items, items)] @ iv)


@dataclass(frozen=True, eq=False)
class BlackLitterman:
    """Posterior expected returns, the implied weights (δΣ)⁻¹μ and the view uncertainty."""

    posterior: pd.Series
    weights: pd.Series
    omega: np.ndarray
    prior: pd.Series


def black_litterman(
    cov: pd.DataFrame,
    views: pd.Series,
    confidences: pd.Series,
    *,
    prior: pd.Series | None = None,
    tau: float = 0.05,
    risk_aversion: float = 2.5,
) -> BlackLitterman:
    """Black–Litterman with absolute views (one per instrument in ``views``, expected
    return in the covariance's units) and Idzorek confidences in [0, 1]; the prior is
    ``prior`` (default zero: a futures book has no market portfolio)."""
    c = _cov(cov)
    assets = list(cov.index)
    unknown = [v for v in views.index if v not in assets]
    if unknown:
        raise PortfolioError(f"views on instruments not in the covariance: {unknown}")
    conf = confidences.reindex(views.index).to_numpy(float)
    if not np.all((conf >= 0) & (conf <= 1)):
        raise PortfolioError("view confidences must be in [0, 1]")
    pi = np.zeros(len(assets)) if prior is None else prior.reindex(assets).fillna(0.0).to_numpy()
    p = np.zeros((len(views), len(assets)))
    p[np.arange(len(views)), [assets.index(v) for v in views.index]] = 1.0
    q = views.to_numpy(float)
    pcp = np.einsum("ij,jk,ik->i", p, c, p)
    with np.errstate(divide="ignore"):
        omega = np.diag(np.where(conf > 0, tau * (1.0 - conf) / conf * pcp, 1e6))
    tsp = tau * c @ p.T
    post = pi + tsp @ np.linalg.solve(p @ tsp + omega, q - p @ pi)
    w = np.linalg.solve(risk_aversion * c, post)
    return BlackLitterman(
        pd.Series(post, index=assets),
        pd.Series(w, index=assets, name="bl"),
        omega,
        pd.Series(pi, index=assets),
    )


def kelly(mu: pd.Series, cov: pd.DataFrame, *, fraction: float = 0.5) -> pd.Series:
    """Fractional Kelly: ``fraction`` × Σ⁻¹μ, the growth-optimal leverage for log utility
    (half Kelly by default: most of the growth for a quarter of the variance)."""
    c = _cov(cov)
    if not 0 < fraction <= 1:
        raise PortfolioError(f"Kelly fraction must be in (0, 1], got {fraction}")
    m = mu.reindex(cov.index).fillna(0.0).to_numpy(float)
    return pd.Series(fraction * np.linalg.solve(c, m), index=cov.index, name="kelly")


def mean_variance(
    mu: pd.Series,
    cov: pd.DataFrame,
    *,
    risk_aversion: float = 2.5,
    bounds: tuple[float, float] = (-1.0, 1.0),
    budget: float | None = None,
) -> pd.Series:
    """Maximize μᵀw − ½δ wᵀΣw within ``bounds`` per asset (and Σw = ``budget`` if given)."""
    from scipy import optimize  # on first use: importing portfolio stays light

    c = _cov(cov)
    m = mu.reindex(cov.index).fillna(0.0).to_numpy(float)
    n = len(m)

    def neg_utility(w: np.ndarray) -> float:
        return float(-(m @ w) + 0.5 * risk_aversion * w @ c @ w)

    def grad(w: np.ndarray) -> np.ndarray:
        return -m + risk_aversion * c @ w

    box = [bounds] * n
    cons = (
        []
        if budget is None
        else [{"type": "eq", "fun": lambda w: w.sum() - budget, "jac": lambda w: np.ones(n)}]
    )
    x0 = np.full(n, (budget or 0.0) / n)
    res = optimize.minimize(
        neg_utility,
        x0,
        jac=grad,
        bounds=box,
        constraints=cons,
        method="SLSQP",
        options={"ftol": 1e-15, "maxiter": 1000},
    )
    if not res.success:
        raise PortfolioError(f"mean-variance did not solve: {res.message}")
    return pd.Series(res.x, index=cov.index, name="mv")

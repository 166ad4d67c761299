"""Value at risk and expected shortfall of a book, with Euler component allocations.

A book is a Series of weights: signed notional per unit of NAV, per instrument, in the
house sign (+ profits when the quote rises). Returns are daily unit returns in BRL
(``pnl.unit_index``), so ``returns @ weights`` is the book's daily return and
every number here is a 1-day loss as a fraction of NAV (positive = loss).

Methods: historical simulation; parametric normal and Student-t (elliptical, exact Euler
components from the covariance; ν by maximum likelihood on the book's returns);
Cornish–Fisher (skew/kurtosis-modified quantile, exact Euler gradient from the co-moments —
Boudt, Peterson and Croux (2008)); Monte Carlo from a covariance (Gaussian or Student-t
copula). Historical and Monte Carlo components of ES are the positions' mean loss in the
tail (they add up exactly); components of VaR are the positions' mean loss in a small
window of scenarios around the VaR quantile, normalised to add up to VaR (Epperlein and
Smillie (2006) kernel estimate).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core.errors import RiskError

METHODS = ("historical", "normal", "student_t", "cornish_fisher", "monte_carlo")


@dataclass(frozen=True, eq=False)
class VaRResult:
    """One method at one confidence level: totals and per-position components."""

    method: str
    alpha: float
    var: float
    es: float
    component_var: pd.Series
    component_es: pd.Series
    weights: pd.Series

    @property
    def marginal_var(self) -> pd.Series:
        """∂VaR/∂w_i (zero where the weight is zero)."""
        w = self.weights.replace(0.0, np.nan)
        return (self.component_var / w).fillna(0.0)

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "weight": self.weights,
                "marginal_var": self.marginal_var,
                "component_var": self.component_var,
                "component_es": self.component_es,
                "pct_var": self.component_var / self.var if self.var else np.nan,
            }
        )

    def summary(self) -> str:
        top = self.component_var.abs().sort_values(ascending=False).index[:3]
        parts = ", ".join(f"{i} {self.component_var[i]:+.3%}" for i in top)
        return (
            f"{self.method} {self.alpha:.1%} 1-day VaR {self.var:.3%}, ES {self.es:.3%} of NAV; "
            f"largest components: {parts}"
        )


def check_book(weights: pd.Series, columns: Sequence[str]) -> pd.Series:
    """Weights as float, aligned to ``columns``; clear errors for an empty book, NaN
    weights and instruments that have no returns."""
    if weights is None or len(weights) == 0 or not np.any(np.asarray(weights, float) != 0.0):
        raise RiskError("empty book: no non-zero weights to measure")
    w = pd.Series(weights, dtype="float64")
    if w.isna().any() or np.isinf(w.to_numpy()).any():
        raise RiskError(f"weights are NaN/inf for {w.index[~np.isfinite(w)].tolist()}")
    known = set(columns)
    unknown = [str(i) for i in w.index if i not in known]
    if unknown:
        raise RiskError(f"unknown instruments (no returns/covariance): {unknown}")
    return w.reindex(list(columns), fill_value=0.0)


def check_returns(returns: pd.DataFrame, *, min_obs: int = 30) -> np.ndarray:
    """Returns as a float array; NaN/inf name their columns; too short says how short."""
    r = returns.to_numpy(dtype="float64")
    bad = returns.columns[~np.isfinite(r).all(axis=0)].tolist()
    if bad:
        raise RiskError(f"returns contain NaN/inf for {bad}; align or drop them first")
    if len(r) < min_obs:
        raise RiskError(f"{len(r)} return observations, need at least {min_obs}")
    return r


def check_covariance(cov: pd.DataFrame, *, tol: float = 1e-10) -> np.ndarray:
    """Covariance as an array; errors for NaN, asymmetry and negative eigenvalues."""
    c = cov.to_numpy(dtype="float64")
    if c.ndim != 2 or c.shape[0] != c.shape[1]:
        raise RiskError(f"covariance must be square, got shape {c.shape}")
    if not np.isfinite(c).all():
        raise RiskError(
            f"covariance has NaN/inf for {cov.columns[~np.isfinite(c).all(0)].tolist()}"
        )
    if not np.allclose(c, c.T, atol=tol * max(1.0, np.abs(c).max())):
        raise RiskError("covariance is not symmetric")
    low = float(np.linalg.eigvalsh(c).min())
    if low < -tol * max(1.0, float(np.abs(c).max())):
        raise RiskError(
            f"covariance is not positive semi-definite (smallest eigenvalue {low:.3g}); "
            "use a shrunk estimate such as models.covariance.ledoit_wolf"
        )
    return c


def variance_terms(w: np.ndarray, c: np.ndarray) -> tuple[np.ndarray, float]:
    """(w_i(Σw)_i for each i, wᵀΣw): the Euler terms of the variance and the variance.
    The one primitive behind risk contributions, the ERC optimiser and the parametric
    component VaR/ES (Σ symmetric: the terms sum to the variance)."""
    sigma_w = c @ w
    return w * sigma_w, float(w @ sigma_w)


def risk_contributions(weights: pd.Series, cov: pd.DataFrame) -> pd.Series:
    """Each position's share of the book's variance, w_i(Σw)_i / wᵀΣw (Euler; the shares
    sum to 1), NaN when the book has no variance. A position missing from ``cov`` has none.
    The one home of risk contributions (construction, risk parity checks, reports)."""
    c = cov.reindex(index=weights.index, columns=weights.index, fill_value=0.0).to_numpy(float)
    terms, var = variance_terms(weights.to_numpy(dtype=float), c)
    return pd.Series(terms / var if var > 0 else np.nan, index=weights.index)


def _alpha(alpha: float) -> float:
    if not 0.5 < alpha < 1.0:
        raise RiskError(f"confidence level must be in (0.5, 1), got {alpha!r}")
    return float(alpha)


def _result(
    method: str,
    alpha: float,
    var: float,
    es: float,
    cvar: np.ndarray,
    ces: np.ndarray,
    w: pd.Series,
) -> VaRResult:
    idx = w.index
    return VaRResult(
        method, alpha, float(var), float(es), pd.Series(cvar, idx), pd.Series(ces, idx), w
    )


def tail_size(n: int, alpha: float) -> int:
    """Scenarios in the ``alpha`` tail of ``n``: k = ⌈n(1 − α)⌉, at least 1.

    The quantile convention: VaR is the k-th worst loss (the lower empirical quantile, no
    interpolation) and ES the mean of the k worst. ``n(1 − α)`` is rounded to 9 decimals
    first, because 1 − 0.99 is 0.010000000000000009 in floating point and ⌈10.000…09⌉
    would take the 11th worst of 1,000 instead of the 10th.
    """
    return max(int(np.ceil(round(n * (1.0 - _alpha(alpha)), 9))), 1)


def tail_components(
    pnl: np.ndarray,
    mean_positions: Callable[[np.ndarray], np.ndarray],
    alphas: Sequence[float],
    *,
    window: float = 0.0025,
) -> list[tuple[float, float, float, np.ndarray, np.ndarray]]:
    """VaR, ES and their components from simulated book P&L.

    ``pnl`` is the book's P&L per scenario; ``mean_positions(rows)`` returns the mean
    per-position P&L over those scenarios, so a Monte Carlo caller never builds the
    per-position matrix. Returns (alpha, var, es, component_var, component_es) per alpha;
    VaR is the k-th worst P&L and ES the mean of the k worst, k = ``tail_size(len(pnl), α)``.
    """
    s = len(pnl)
    m = max(round(window * s), 2)
    ks = [tail_size(s, a) - 1 for a in alphas]
    kth = sorted({j for k in ks for j in (max(k - m, 0), k, min(k + m, s - 1))})
    order = np.argpartition(pnl, kth)  # one partition serves every level
    out = []
    for alpha, k in zip(alphas, ks, strict=True):
        lo, hi = max(k - m, 0), min(k + m, s - 1)
        var = -float(pnl[order[k]])
        ces = -mean_positions(order[: k + 1])
        near_loss = -mean_positions(order[lo : hi + 1])
        total = near_loss.sum()
        cvar = near_loss * (var / total) if total != 0 else np.full(len(near_loss), np.nan)
        out.append((float(alpha), var, float(ces.sum()), cvar, ces))
    return out


def historical(
    weights: pd.Series, returns: pd.DataFrame, alphas: Sequence[float] = (0.95, 0.99)
) -> list[VaRResult]:
    """Historical-simulation VaR/ES: today's weights on each past day's returns."""
    r = check_returns(returns)
    w = check_book(weights, list(returns.columns))
    x = w.to_numpy()
    pnl = r @ x
    rows = tail_components(pnl, lambda i: r[i].mean(axis=0) * x, alphas)
    return [_result("historical", a, v, e, cv, ce, w) for a, v, e, cv, ce in rows]


_SQRT_2PI = np.sqrt(2 * np.pi)


def _normal_tail(p: float) -> tuple[float, float]:
    """The normal VaR and ES multiples of a tail of probability ``p``: z = −Φ⁻¹(p) and
    φ(z)/p, with the very operations of ``scipy.stats.norm.ppf`` and ``.pdf`` (``ndtri``;
    the density on a one-element array), so the same bits, without importing scipy.stats
    (the VaR cap of every construction reads it)."""
    from scipy.special import ndtri  # on first use: a light import of risk

    z = -ndtri(p)
    return z, (np.exp(-(np.array([z]) ** 2) / 2.0) / _SQRT_2PI)[0] / p


def parametric(
    weights: pd.Series,
    cov: pd.DataFrame,
    alphas: Sequence[float] = (0.95, 0.99),
    *,
    dist: str = "normal",
    df: float | None = None,
    mean: pd.Series | None = None,
) -> list[VaRResult]:
    """Parametric VaR/ES for normal or Student-t (``df`` > 2, scaled to the covariance)
    returns. Components are w_i·∂/∂w_i of the closed forms and add up exactly."""
    c = check_covariance(cov)
    w = check_book(weights, list(cov.columns))
    x = w.to_numpy()
    mu = np.zeros(len(x)) if mean is None else mean.reindex(cov.columns).fillna(0.0).to_numpy()
    rows = parametric_components(x, c, mu, alphas, dist=dist, df=df)
    return [_result(dist, a, cvar.sum(), ces.sum(), cvar, ces, w) for a, cvar, ces in rows]


def parametric_components(
    x: np.ndarray,
    c: np.ndarray,
    mu: np.ndarray,
    alphas: Sequence[float],
    *,
    dist: str = "normal",
    df: float | None = None,
) -> list[tuple[float, np.ndarray, np.ndarray]]:
    """:func:`parametric` on arrays already checked (weights ``x``, covariance ``c``, mean
    ``mu``): per level, the component VaR and ES (they sum to the VaR and ES). The
    construction's VaR cap reads it on arrays, several times per decision."""
    terms, var = variance_terms(x, c)
    sd = float(np.sqrt(var))
    if sd <= 0:
        raise RiskError("book has zero variance under this covariance")
    out = []
    for alpha in alphas:
        p = 1.0 - _alpha(alpha)
        if dist == "normal":
            z, e = _normal_tail(p)
        elif dist == "student_t":
            from scipy import stats  # on first use: half a second to import

            if df is None or df <= 2:
                raise RiskError(f"student_t needs df > 2, got {df!r}")
            scale = np.sqrt((df - 2.0) / df)  # unit-variance t
            tq = -stats.t.ppf(p, df)
            z = tq * scale
            e = stats.t.pdf(tq, df) / p * (df + tq**2) / (df - 1.0) * scale
        else:
            raise RiskError(f"unknown distribution {dist!r}; use 'normal' or 'student_t'")
        cvar = -mu * x + z * terms / sd  # Euler: x_i ∂VaR/∂x_i, x_i(Σx)_i/sd the vol's share
        ces = -mu * x + e * terms / sd
        out.append((alpha, cvar, ces))
    return out


DF_BOUNDS = (2.5, 1000.0)  # ν > 2 for a variance; by ν = 1000 the t is the normal


@dataclass(frozen=True)
class StudentTFit:
    """Maximum-likelihood Student-t fit of the book's daily returns (fractions of NAV)."""

    df: float
    loc: float
    scale: float
    loglik: float
    n: int
    converged: bool  # every optimizer reported success
    at_bound: bool  # ν stopped at an end of DF_BOUNDS (the likelihood wants it beyond)

    def summary(self) -> str:
        state = "converged" if self.converged else "did NOT converge"
        end = "lower" if self.df < 10 else "upper"
        bound = f"; ν at its {end} bound {self.df:.1f}" if self.at_bound else ""
        return (
            f"ν {self.df:.1f} (ML over {self.n} days: location {self.loc:+.3%}, scale "
            f"{self.scale:.3%} of NAV a day, log-likelihood {self.loglik:,.1f}, {state}{bound})"
        )


def _t_profile(z: np.ndarray, df: float) -> tuple[float, float, float, bool]:
    """(location, scale, log-likelihood, converged) of a t with ``df`` degrees of freedom
    fitted by ML to ``z`` (standardised data: start at location 0, scale 1)."""
    from scipy import optimize, special  # on first use: a light import of risk

    const = special.gammaln((df + 1) / 2) - special.gammaln(df / 2) - 0.5 * np.log(df * np.pi)

    def nll(p: np.ndarray) -> tuple[float, np.ndarray]:
        s = np.exp(p[1])
        u = (z - p[0]) / s
        g = (df + 1.0) * u / (df + u * u)  # −∂ log f / ∂u
        ll = len(z) * (const - p[1]) - 0.5 * (df + 1.0) * np.log1p(u * u / df).sum()
        return -float(ll), np.array([-g.sum() / s, len(z) - (g * u).sum()])

    res = optimize.minimize(nll, np.zeros(2), jac=True, method="BFGS")
    return float(res.x[0]), float(np.exp(res.x[1])), -float(res.fun), bool(res.success)


def fit_student_t(weights: pd.Series, returns: pd.DataFrame) -> StudentTFit:
    """Student-t (ν, location, scale) of the book's historical returns by maximum likelihood.

    The likelihood is profiled over ν: location and scale are fitted by BFGS at each ν on
    a log grid over DF_BOUNDS, then bounded Brent refines ν between the best grid point's
    neighbours. (``scipy.stats.t.fit`` from its default start stops far from the optimum
    on daily returns of a few tenths of a percent.)
    """
    from scipy import optimize  # on first use: a light import of risk

    r = check_returns(returns)
    x = check_book(weights, list(returns.columns)).to_numpy()
    pnl = r @ x
    centre, sd = float(np.median(pnl)), float(pnl.std())
    if np.ptp(pnl) == 0:
        raise RiskError("book has zero variance over the sample")
    z = (pnl - centre) / sd
    grid = np.linspace(np.log(DF_BOUNDS[0]), np.log(DF_BOUNDS[1]), 25)
    prof = [_t_profile(z, float(np.exp(g)))[2] for g in grid]
    i = int(np.argmax(prof))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)]
    best = optimize.minimize_scalar(
        lambda g: -_t_profile(z, float(np.exp(g)))[2],
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-6},
    )
    df = float(np.exp(best.x))
    loc, scale, ll, ok = _t_profile(z, df)
    at_bound = bool(np.isclose(best.x, grid[[0, -1]], atol=1e-4).any())
    return StudentTFit(
        df=df,
        loc=centre + sd * loc,
        scale=sd * scale,
        loglik=ll - len(z) * float(np.log(sd)),
        n=len(z),
        converged=bool(best.success) and ok,
        at_bound=at_bound,
    )


def _cf_quantile(z: np.ndarray, s: float, k: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cornish–Fisher quantile and its derivatives in skew ``s`` and excess kurtosis ``k``."""
    q = z + (z**2 - 1) * s / 6 + (z**3 - 3 * z) * k / 24 - (2 * z**3 - 5 * z) * s**2 / 36
    return q, (z**2 - 1) / 6 - (2 * z**3 - 5 * z) * s / 18, (z**3 - 3 * z) / 24


def cornish_fisher(
    weights: pd.Series, returns: pd.DataFrame, alphas: Sequence[float] = (0.95, 0.99)
) -> list[VaRResult]:
    """Modified (Cornish–Fisher) VaR/ES from the book's mean, sd, skew and kurtosis; ES
    averages the modified quantile over the tail. Components are the exact Euler terms."""
    from scipy import stats  # on first use: a light import of risk

    r = check_returns(returns)
    w = check_book(weights, list(returns.columns))
    x = w.to_numpy()
    mu = r.mean(axis=0)
    rc = r - mu
    p = rc @ x
    n = len(p)
    m2, m3, m4 = (p**2).mean(), (p**3).mean(), (p**4).mean()
    if m2 <= 0:
        raise RiskError("book has zero variance over the sample")
    dm2, dm3, dm4 = 2 * rc.T @ p / n, 3 * rc.T @ p**2 / n, 4 * rc.T @ p**3 / n
    sd = np.sqrt(m2)
    skew, kurt = m3 / m2**1.5, m4 / m2**2 - 3.0
    dsd = dm2 / (2 * sd)
    dskew = dm3 / m2**1.5 - 1.5 * m3 / m2**2.5 * dm2
    dkurt = dm4 / m2**2 - 2 * m4 / m2**3 * dm2

    def risk(z: np.ndarray) -> np.ndarray:
        q, qs, qk = (v.mean() for v in _cf_quantile(z, skew, kurt))
        return -(mu + dsd * q + sd * (qs * dskew + qk * dkurt))

    out = []
    for alpha in alphas:
        tail = 1.0 - _alpha(alpha)
        grid = stats.norm.ppf(tail * (np.arange(200) + 0.5) / 200)
        cvar = x * risk(np.array([stats.norm.ppf(tail)]))
        ces = x * risk(grid)
        out.append(_result("cornish_fisher", alpha, cvar.sum(), ces.sum(), cvar, ces, w))
    return out


def _sqrt_cov(c: np.ndarray) -> np.ndarray:
    """A matrix square root L with L Lᵀ = c (Cholesky; eigen-decomposition if singular)."""
    try:
        return np.linalg.cholesky(c)
    except np.linalg.LinAlgError:
        vals, vecs = np.linalg.eigh(c)
        return vecs * np.sqrt(np.clip(vals, 0.0, None))


def monte_carlo(
    weights: pd.Series,
    cov: pd.DataFrame,
    alphas: Sequence[float] = (0.95, 0.99),
    *,
    n: int = 100_000,
    seed: int | np.random.Generator | None = 0,
    copula: str = "normal",
    df: float = 5.0,
    mean: pd.Series | None = None,
) -> list[VaRResult]:
    """Monte Carlo VaR/ES from a covariance (e.g. Ledoit–Wolf).

    ``copula="normal"`` draws multivariate normal returns; ``copula="t"`` keeps each
    instrument's normal margin but joins them with a Student-t copula (``df``), which puts
    joint crashes in the tail. With the normal copula only the book's P&L is built for all
    scenarios; per-position P&L is built for the tail rows alone.
    """
    c = check_covariance(cov)
    w = check_book(weights, list(cov.columns))
    if n < 1000:
        raise RiskError(f"Monte Carlo needs at least 1,000 scenarios, got {n}")
    x = w.to_numpy()
    mu = np.zeros(len(x)) if mean is None else mean.reindex(cov.columns).fillna(0.0).to_numpy()
    rng = np.random.default_rng(seed)
    chol = _sqrt_cov(c)
    z = rng.standard_normal((n, len(x)))
    if copula == "normal":
        pnl = z @ (chol.T @ x) + mu @ x
        rows = tail_components(pnl, lambda i: (z[i].mean(axis=0) @ chol.T + mu) * x, alphas)
    elif copula == "t":
        if df <= 2:
            raise RiskError(f"t copula needs df > 2, got {df!r}")
        from scipy import special  # on first use: a light import of risk

        sd = np.sqrt(np.diag(c))
        y = (z @ chol.T) / np.sqrt(rng.chisquare(df, n) / df)[:, None]
        u = special.stdtr(df, y / np.where(sd > 0, sd, 1.0))
        sims = special.ndtri(np.clip(u, 1e-16, 1 - 1e-16)) * sd + mu
        pnl = sims @ x
        rows = tail_components(pnl, lambda i: sims[i].mean(axis=0) * x, alphas)
    else:
        raise RiskError(f"unknown copula {copula!r}; use 'normal' or 't'")
    return [_result(f"monte_carlo_{copula}", a, v, e, cv, ce, w) for a, v, e, cv, ce in rows]

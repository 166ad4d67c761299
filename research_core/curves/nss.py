"""Nelson–Siegel–Svensson zero curve: the yield formula and a least-squares fit (scipy).

The Svensson (1994) form as the Federal Reserve's Gürkaynak–Sack–Wright curve publishes it
(FEDS 2006-28, equation 22; continuously compounded zero yields, % a.a., maturity n years):

    y(n) = β0 + β1 (1 − e^(−n/τ1)) / (n/τ1)
              + β2 [(1 − e^(−n/τ1)) / (n/τ1) − e^(−n/τ1)]
              + β3 [(1 − e^(−n/τ2)) / (n/τ2) − e^(−n/τ2)]

The fit is separable: for given (τ1, τ2) the β are a linear least-squares solution, so only
the two decay times are searched — a coarse grid, then ``scipy.optimize.least_squares`` on
their logs (τ2 kept above 1.2 τ1 so the two humps stay apart). With fewer than six points
the four-parameter Nelson–Siegel (β3 = 0) is fitted instead; the fit says which.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from research_core.errors import CurveError


@dataclass(frozen=True)
class NSSFit:
    """Fitted parameters (β0..β3 in %, τ1, τ2 in years) and the fit's quality in bp."""

    params: tuple[float, float, float, float, float, float]
    model: str  # "NSS" or "NS"
    n_points: int
    rmse_bp: float
    max_abs_bp: float

    def summary(self) -> str:
        b0, b1, b2, b3, t1, t2 = self.params
        return (
            f"{self.model} fit on {self.n_points} points: RMSE {self.rmse_bp:.2f} bp, "
            f"max |error| {self.max_abs_bp:.2f} bp (β0 {b0:.3f} %, β1 {b1:.3f} %, "
            f"β2 {b2:.3f} %, β3 {b3:.3f} %, τ1 {t1:.2f} y, τ2 {t2:.2f} y)"
        )


def _loadings(t: np.ndarray, tau1: float, tau2: float) -> np.ndarray:
    x1, x2 = t / tau1, t / tau2
    e1, e2 = np.exp(-x1), np.exp(-x2)
    slope = (1.0 - e1) / x1
    return np.stack([np.ones_like(t), slope, slope - e1, (1.0 - e2) / x2 - e2], axis=-1)


def nss_yield(params: tuple[float, ...], t: np.ndarray) -> np.ndarray:
    """Continuously compounded zero yield (%) at maturities ``t`` > 0 years."""
    b0, b1, b2, b3, tau1, tau2 = params
    t = np.asarray(t, dtype=float)
    if (t <= 0).any():
        raise CurveError("NSS yields need maturities > 0 years")
    return _loadings(t, tau1, tau2) @ np.array([b0, b1, b2, b3])


def _betas(t: np.ndarray, y: np.ndarray, tau1: float, tau2: float, k: int) -> np.ndarray:
    design = _loadings(t, tau1, tau2)[:, :k]
    beta = np.linalg.lstsq(design, y, rcond=None)[0]
    return np.r_[beta, np.zeros(4 - k)]


def fit_nss(t: np.ndarray, y: np.ndarray) -> NSSFit:
    """Fit NSS (NS below six points) to continuously compounded zero yields ``y`` (%)."""
    t, y = np.asarray(t, dtype=float), np.asarray(y, dtype=float)
    ok = np.isfinite(t) & np.isfinite(y)
    t, y = t[ok], y[ok]
    if len(t) < 4 or (t <= 0).any():
        raise CurveError(f"an NSS fit needs ≥ 4 points at maturities > 0, got {len(t)}")
    k = 4 if len(t) >= 6 else 3

    def taus(u: np.ndarray) -> tuple[float, float]:
        tau1 = float(np.exp(u[0]))
        return tau1, tau1 * (1.2 + float(np.exp(u[1]))) if k == 4 else 1.0

    def resid(u: np.ndarray) -> np.ndarray:
        tau1, tau2 = taus(u)
        beta = _betas(t, y, tau1, tau2, k)
        return _loadings(t, tau1, tau2) @ beta - y

    pairs = [(a, b) for a in np.geomspace(0.2, 8, 9) for b in np.geomspace(1, 30, 8)]
    grid = [np.array([np.log(a), np.log(b / a - 1.2)]) for a, b in pairs if b > 1.3 * a]
    lo, hi = np.array([-3.0, -6.0]), np.array([3.5, 4.0])
    start = np.clip(min(grid, key=lambda u: float(np.sum(resid(u) ** 2))), lo + 1e-9, hi - 1e-9)
    from scipy.optimize import least_squares  # on first fit: a light import of curves

    u = least_squares(resid, start, bounds=(lo, hi)).x
    tau1, tau2 = taus(u)
    beta = _betas(t, y, tau1, tau2, k)
    err = resid(u) * 100.0
    params = (*map(float, beta), tau1, tau2)
    return NSSFit(
        params=params,  # type: ignore[arg-type]
        model="NSS" if k == 4 else "NS",
        n_points=len(t),
        rmse_bp=float(np.sqrt(np.mean(err**2))),
        max_abs_bp=float(np.max(np.abs(err))),
    )

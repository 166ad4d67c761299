"""Monotone-convex interpolation (Hagan and West, "Interpolation methods for curve
construction", Applied Mathematical Finance 13(2), 2006, section 5 and appendix).

From the pillars' discrete forwards f^d_i = (y_i t_i − y_{i−1} t_{i−1}) / (t_i − t_{i−1})
(continuously compounded, y t = −log DF), instantaneous forwards at the pillars are
interpolated (f_i, eq. 25–27); inside each interval the forward is f^d_i + g(x),
x = (t − t_{i−1}) / (t_i − t_{i−1}), g built from g0 = f_{i−1} − f^d_i and
g1 = f_i − f^d_i in the four regions of the paper so the forward stays continuous and
local, and ∫g over the interval is 0: every pillar's discount factor is given back exactly.
Beyond the last pillar the last discrete forward continues (as the log-linear curve).
"""

from __future__ import annotations

import numpy as np

from research_core.errors import CurveError


def _node_forwards(t: np.ndarray, fd: np.ndarray) -> np.ndarray:
    """Instantaneous forwards at 0, t_1 … t_n (Hagan–West eq. 25–27)."""
    n = len(fd)
    f = np.empty(n + 1)
    if n == 1:
        f[:] = fd[0]
        return f
    dt = np.diff(t)
    f[1:n] = (dt[:-1] * fd[1:] + dt[1:] * fd[:-1]) / (dt[:-1] + dt[1:])
    f[0] = fd[0] - 0.5 * (f[1] - fd[0])
    f[n] = fd[-1] - 0.5 * (f[n - 1] - fd[-1])
    return f


def _g_integral(g0: float, g1: float, x: float) -> float:
    """∫_0^x g(s) ds on one interval (the paper's four regions, and g ≡ 0)."""
    if abs(g0) < 1e-15 and abs(g1) < 1e-15:
        return 0.0
    if (g0 < 0 and -g0 / 2 <= g1 <= -2 * g0) or (g0 > 0 and -g0 / 2 >= g1 >= -2 * g0):
        return g0 * (x - 2 * x**2 + x**3) + g1 * (-(x**2) + x**3)  # region (i)
    if (g0 < 0 and g1 > -2 * g0) or (g0 > 0 and g1 < -2 * g0):  # region (ii)
        eta = (g1 + 2 * g0) / (g1 - g0)
        extra = (g1 - g0) * (x - eta) ** 3 / (3 * (1 - eta) ** 2) if x > eta else 0.0
        return g0 * x + extra
    if (g0 > 0 and 0 > g1 > -g0 / 2) or (g0 < 0 and 0 < g1 < -g0 / 2):  # region (iii)
        eta = 3 * g1 / (g1 - g0)
        head = (eta**3 - (eta - min(x, eta)) ** 3) / (3 * eta**2)
        return g1 * x + (g0 - g1) * head
    eta = g1 / (g0 + g1)  # region (iv): g0, g1 of one sign (or one of them 0)
    a = -g0 * g1 / (g0 + g1)
    head = (eta**3 - (eta - min(x, eta)) ** 3) / (3 * eta**2) if eta > 0 else 0.0
    tail = (x - eta) ** 3 / (3 * (1 - eta) ** 2) if x > eta else 0.0
    return a * x + (g0 - a) * head + (g1 - a) * tail


def monotone_convex_log_df(grid: np.ndarray, log_df: np.ndarray, t: np.ndarray) -> np.ndarray:
    """log DF at times ``t`` (years ≥ 0) from one curve's pillars by monotone convex."""
    grid, log_df, t = (np.asarray(a, dtype=float) for a in (grid, log_df, t))
    if (t < 0).any():
        raise CurveError("a curve reads times ≥ 0 years")
    knots, cum = np.r_[0.0, grid], np.r_[0.0, -log_df]  # cum = ∫_0^t f = y t
    fd = np.diff(cum) / np.diff(knots)
    f = _node_forwards(knots, fd)
    out = np.empty_like(t)
    for k, s in enumerate(t):
        i = min(max(int(np.searchsorted(knots, s, side="left")), 1), len(fd))
        h = knots[i] - knots[i - 1]
        if s > knots[-1]:  # beyond the last pillar: the last discrete forward continues
            out[k] = -(cum[-1] + fd[-1] * (s - knots[-1]))
            continue
        x = (s - knots[i - 1]) / h
        g = _g_integral(f[i - 1] - fd[i - 1], f[i] - fd[i - 1], x)
        out[k] = -(cum[i - 1] + fd[i - 1] * (s - knots[i - 1]) + h * g)
    return out


def refit_par_pillars(
    grid: np.ndarray, log_df: np.ndarray, kinds: tuple[str, ...], coupons_pct: np.ndarray, freq: int
) -> np.ndarray:
    """Pillars re-solved so every par bond is worth par when coupon dates between pillars
    are read by monotone convex (a pillar moves its neighbours' intervals too, so the par
    pillars are solved together, ``scipy.optimize.root``; zero pillars stay as given)."""
    from scipy.optimize import root

    from research_core.curves.curve import coupon_times

    par = [j for j, k in enumerate(kinds) if k == "par"]
    if not par:
        return log_df
    legs = [coupon_times(float(grid[j]), freq) for j in par]

    def resid(x: np.ndarray) -> np.ndarray:
        ld = log_df.copy()
        ld[par] = x
        out = []
        for times, c in zip(legs, coupons_pct[par], strict=True):
            dfs = np.exp(monotone_convex_log_df(grid, ld, times))
            out.append(c / 100.0 / freq * dfs.sum() + dfs[-1] - 1.0)
        return np.array(out)

    sol = root(resid, log_df[par], method="hybr", options={"xtol": 1e-14})
    if np.abs(resid(sol.x)).max() > 1e-12:  # the prices (per 1 of face) are what count
        raise CurveError(f"monotone-convex bootstrap did not converge: {sol.message}")
    out = log_df.copy()
    out[par] = sol.x
    return out

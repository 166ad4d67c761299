"""Natural real rate r*: a local-level state-space model in the Laubach–Williams spirit.

    r[t] = r*[t] + phi·gap[t] + e[t],    r*[t] = r*[t-1] + w[t]

The ex-ante real rate (policy rate minus expected inflation) is split into a random-walk
neutral rate and the part explained by the output gap, with statsmodels
``UnobservedComponents``; the Kalman filter gives the real-time (filtered) estimate and the
smoother the full-sample one, each with its standard error.

Free maximum likelihood suffers the "pile-up" problem Laubach and Williams describe: the
trend variance collapses to zero (r* constant) or swallows all the noise (r* equals the
real rate, with zero uncertainty). As they do, the signal-to-noise ratio
``q = var(w) / var(e)`` is fixed (default 0.02: r* moves about a seventh as much per month
as the transitory part) and the rest is estimated by maximum likelihood; pass
``signal_to_noise=None`` for the free fit.

With ``q`` fixed, how the rest is estimated (``method``):

* ``"profile"`` (default): the exact maximum of the likelihood with r* initialised diffuse
  (exact diffuse, Durbin and Koopman 2012, ch. 5). Every variance is then ``var(e)`` times a
  number that does not depend on the data, and the innovations are linear in ``phi``, so
  ``phi`` is the GLS estimate on the filter's innovations and ``var(e)`` their mean square
  (the scale "concentrated out" of the likelihood, Harvey 1989). One filter pass, no optimiser; the
  standard errors are the inverse information at the maximum (``phi``: GLS; ``var(e)``:
  ``var(e)·sqrt(2/(n-1))``; ``var(w)``: ``q`` times that).
  With a gap the filter and the smoother (Rauch–Tung–Striebel) run here on arrays:
  statsmodels' model objects cost more than the arithmetic (they agree to rounding, test).
* ``"optimizer"``: L-BFGS-B over ``(log var(e), phi)`` with statsmodels' default
  approximate-diffuse start (variance 1e6) and numerical-Hessian standard errors over all
  three parameters: the estimator before issue 29, about four times the CPU. The two
  agree to the optimiser's tolerance (the monetary agent's r* to about 1e-4 pp; the
  standard errors of the variances differ: the Hessian's treat var(w) as free).

References: Laubach and Williams (2003), REStat 85(4) — a reduced form of their model;
A. C. Harvey, Forecasting, Structural Time Series Models and the Kalman Filter (1989);
J. Durbin and S. J. Koopman, Time Series Analysis by State Space Methods, 2nd ed. (2012).
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd

from research_core._memo import Kind
from research_core.errors import ModelError
from research_core.models._base import TextResult, name_index
from research_core.models._reuse import array_key, fresh, frozen, reused
from research_core.models.inputs import complete_columns

if TYPE_CHECKING:
    from statsmodels.tsa.statespace.structural import UnobservedComponents

METHODS = ("profile", "optimizer")


@dataclass(frozen=True, eq=False)
class NaturalRateResult(TextResult):
    """Filtered and smoothed r* with standard errors, and the estimated parameters."""

    estimates: pd.DataFrame = field(repr=False)  # filtered, filtered_se, smoothed, smoothed_se
    params: pd.Series
    bse: pd.Series
    llf: float
    converged: bool

    @property
    def current(self) -> float:
        """Real-time r* at the last observation (filtered = smoothed there)."""
        return self._last("filtered")

    @property
    def current_se(self) -> float:
        return self._last("filtered_se")

    def _last(self, column: str) -> float:
        """The last value of ``column`` of the estimates (read without taking the column)."""
        position = cast(int, self.estimates.columns.get_loc(column))
        return float(cast(float, self.estimates.iat[-1, position]))

    def to_frame(self) -> pd.DataFrame:
        return self.estimates

    def summary(self) -> str:
        params = ", ".join(f"{k}={v:.4g}" for k, v in self.params.items())
        return (
            f"natural rate (local level + gap): r*={self.current:.2f} ± {self.current_se:.2f} "
            f"(1 se) at {self.estimates.index[-1]:%Y-%m}; {params}; llf={self.llf:.1f}"
            + ("" if self.converged else " [optimizer did not converge]")
        )


def natural_rate(
    real_rate: pd.Series,
    gap: pd.Series | None = None,
    *,
    signal_to_noise: float | None = 0.02,
    min_obs: int = 36,
    method: str = "profile",
) -> NaturalRateResult:
    """Fit the model on a real rate (% p.a.) and, optionally, an output gap (%);
    ``method`` says how when ``signal_to_noise`` is fixed (module docstring)."""
    if method not in METHODS:
        raise ModelError(f"natural_rate: method {method!r} is not one of {list(METHODS)}")
    cols = {"real_rate": real_rate} | ({} if gap is None else {"gap": gap})
    index, arrays = complete_columns(cols, model="natural_rate", min_obs=min_obs)
    if signal_to_noise is not None and method == "profile":
        return _profile(index, arrays["real_rate"], arrays.get("gap"), signal_to_noise)
    from statsmodels.tools.sm_exceptions import ConvergenceWarning
    from statsmodels.tsa.statespace.structural import UnobservedComponents

    data = pd.DataFrame(arrays, index=index)
    exog = data[["gap"]] if gap is not None else None
    model = UnobservedComponents(data["real_rate"], level="llevel", exog=exog)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        if signal_to_noise is None:
            res = model.fit(disp=False, maxiter=200)
            converged = bool(res.mle_retvals.get("converged", True))
        else:
            res, converged = _fit_fixed_ratio(model, signal_to_noise)
    converged = converged and not any(issubclass(w.category, ConvergenceWarning) for w in caught)
    estimates = _estimates(res, data.index)
    return NaturalRateResult(estimates, res.params, res.bse, float(res.llf), converged)


def _estimates(res: Any, index: pd.Index) -> pd.DataFrame:
    """Filtered and smoothed level with standard errors from statsmodels' smoother output."""
    return pd.DataFrame(
        {
            "filtered": res.filtered_state[0],
            "filtered_se": np.sqrt(res.filtered_state_cov[0, 0]),
            "smoothed": res.smoothed_state[0],
            "smoothed_se": np.sqrt(res.smoothed_state_cov[0, 0]),
        },
        index=index,
    )


def _fit_fixed_ratio(model: UnobservedComponents, q: float) -> tuple[Any, bool]:
    """ML over (var(e), betas) with var(w) = q·var(e); returns smoothed results."""
    from scipy.optimize import minimize

    start = np.asarray(model.start_params, dtype=float)
    names = list(model.param_names)  # sigma2.irregular, sigma2.level, beta.* ...

    def full(theta: np.ndarray) -> np.ndarray:
        params = np.empty(len(names))
        params[0] = np.exp(theta[0])
        params[1] = q * params[0]
        params[2:] = theta[1:]
        return params

    def objective(theta: np.ndarray) -> float:
        return -float(model.loglike(full(theta)))

    theta0 = np.r_[np.log(max(start[0], 1e-4)), start[2:]]
    opt = minimize(objective, theta0, method="L-BFGS-B")
    res = model.smooth(full(opt.x))
    return res, bool(opt.success)


ESTIMATES = ("filtered", "filtered_se", "smoothed", "smoothed_se")


def _profile(index: pd.Index, y: np.ndarray, x: np.ndarray | None, q: float) -> NaturalRateResult:
    """The exact ML fit for a fixed ``q`` (module docstring), filtered and smoothed; with
    a gap, its numbers kept per content of ``y``, ``x`` and ``q``
    (``research_core.models._reuse``: on most days the complete months are yesterday's)."""
    if x is None:
        return _profile_fit(index, y, x, q)
    key = (array_key(y), array_key(x), np.float64(q).tobytes())
    block, params, bse, llf = reused(PROFILES, key, lambda: _kept(_profile_fit(index, y, x, q)))
    estimates = pd.DataFrame(fresh(block).T, index=index, columns=name_index(ESTIMATES), copy=False)
    names = name_index(PROFILE_PARAMS)
    return NaturalRateResult(
        estimates,
        pd.Series(fresh(params), index=names),
        pd.Series(fresh(bse), index=names.copy()),
        llf,
        True,
    )


PROFILE_PARAMS = ("sigma2.irregular", "sigma2.level", "beta.gap")
PROFILES: Kind[tuple[np.ndarray, np.ndarray, np.ndarray, float]] = Kind("r* profile fits", 16)


def _kept(fit: NaturalRateResult) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """A profile fit's numbers, read-only: its estimates' block (a row per column, as the
    frame holds them), parameters, their standard errors and the log-likelihood."""
    block = fit.estimates.to_numpy().T.copy()
    params, bse = fit.params.to_numpy().copy(), fit.bse.to_numpy().copy()
    return frozen(block), frozen(params), frozen(bse), fit.llf


def _profile_fit(
    index: pd.Index, y: np.ndarray, x: np.ndarray | None, q: float
) -> NaturalRateResult:
    """:func:`_profile`, computed."""
    run = _unit_filter(y, x, q)
    vy, vx, f = run.vy, run.vx, run.f
    n = len(f)  # periods after the diffuse one
    total = float(np.sum(vy * vy / f)) / n  # var(e) without the gap
    beta, info = 0.0, 0.0
    if vx is not None:
        info = float(np.sum(vx * vx / f))
        beta = float(np.sum(vy * vx / f)) / info
        vy = vy - beta * vx
    s2 = float(np.sum(vy * vy / f)) / n
    if not s2 > 1e-12 * total:  # rounding is all that is left
        raise ModelError("natural_rate: the real rate is fitted exactly; no noise to split")
    names = ["sigma2.irregular", "sigma2.level"] + ([] if x is None else ["beta.gap"])
    se_s2 = s2 * math.sqrt(2.0 / n)
    values, errors = [s2, q * s2], [se_s2, q * se_s2]
    if vx is not None:
        values.append(beta)
        errors.append(math.sqrt(s2 / info))
    params = pd.Series(np.array(values), index=name_index(names))
    bse = pd.Series(np.array(errors), index=name_index(names))
    if run.ax is None:  # time-invariant: statsmodels' filter goes steady state, so it smooths
        from statsmodels.tsa.statespace.structural import UnobservedComponents

        model = UnobservedComponents(y, level="llevel", use_exact_diffuse=True)
        model.update(np.array(values))
        res = model.ssm.smooth()
        return NaturalRateResult(_estimates(res, index), params, bse, float(res.llf), True)
    filtered = run.ay - beta * run.ax
    smoothed, smoothed_var = _smooth(filtered, run.pf, q)
    columns = (filtered, np.sqrt(s2 * run.pf), smoothed, np.sqrt(s2 * smoothed_var))
    block = np.vstack(columns)  # one row per column: the dict constructor's layout
    estimates = pd.DataFrame(block.T, index=index, columns=name_index(ESTIMATES), copy=False)
    # exact diffuse log-likelihood: the first period's diffuse term, then the innovations
    terms = np.log(2 * math.pi * s2 * f) + vy * vy / (s2 * f)
    llf = -0.5 * (math.log(2 * math.pi) + float(np.sum(terms)))
    return NaturalRateResult(estimates, params, bse, llf, True)


@dataclass(frozen=True)
class _UnitRun:
    """The local-level filter run at unit irregular variance (:func:`_unit_filter`)."""

    vy: np.ndarray  # innovations of y, t = 2..n
    vx: np.ndarray | None  # of x
    f: np.ndarray  # their variances
    ay: np.ndarray  # filtered level of y, t = 1..n
    ax: np.ndarray | None  # of x
    pf: np.ndarray  # filtered variance of the level, t = 1..n


def _unit_filter(y: np.ndarray, x: np.ndarray | None, q: float) -> _UnitRun:
    """One-step innovations of ``y`` (and ``x``) through the local-level filter with unit
    irregular variance, their variances (t = 2..n; t = 1 initialises the diffuse level),
    and the filtered levels and variances. The filter is linear and its variances are
    free of the data, so for ``y - phi·x`` at variance ``s2`` the innovations are
    ``vy - phi·vx`` (variance ``s2·f``) and the filtered level ``ay - phi·ax`` (``s2·pf``)."""
    n = len(y)
    yl, xl = y.tolist(), (None if x is None else x.tolist())
    vy, vx, f = [0.0] * (n - 1), [0.0] * (n - 1), [0.0] * (n - 1)
    ay, ax, pf = [0.0] * n, [0.0] * n, [1.0] * n  # the diffuse step leaves the first obs
    a_y, a_x, p = yl[0], (0.0 if xl is None else xl[0]), 1.0
    ay[0], ax[0] = a_y, a_x
    for t in range(1, n):
        pp = p + q
        ft = pp + 1.0
        k = pp / ft
        f[t - 1] = ft
        ey = yl[t] - a_y
        vy[t - 1] = ey
        a_y += k * ey
        ay[t] = a_y
        if xl is not None:
            ex = xl[t] - a_x
            vx[t - 1] = ex
            a_x += k * ex
            ax[t] = a_x
        p = pp - k * pp
        pf[t] = p
    return _UnitRun(
        np.array(vy),
        None if xl is None else np.array(vx),
        np.array(f),
        np.array(ay),
        None if xl is None else np.array(ax),
        np.array(pf),
    )


def _smooth(filtered: np.ndarray, pf: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Fixed-interval (Rauch–Tung–Striebel) smoothing of the random-walk level from its
    filtered means and (unit) variances: the full-sample level and its variance."""
    a, p = filtered.tolist(), pf.tolist()
    n = len(a)
    sa, sp = a[:], p[:]
    for t in range(n - 2, -1, -1):
        pp = p[t] + q  # the predicted variance for t + 1, whose mean is a[t]
        j = p[t] / pp
        sa[t] = a[t] + j * (sa[t + 1] - a[t])
        sp[t] = p[t] + j * j * (sp[t + 1] - pp)
    return np.array(sa), np.array(sp)

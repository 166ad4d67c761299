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
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.statespace.structural import UnobservedComponents

from research_core.errors import ModelError
from research_core.models._base import TextResult
from research_core.models.inputs import complete_columns

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
        return float(self.estimates["filtered"].iloc[-1])

    @property
    def current_se(self) -> float:
        return float(self.estimates["filtered_se"].iloc[-1])

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


def _profile(index: pd.Index, y: np.ndarray, x: np.ndarray | None, q: float) -> NaturalRateResult:
    """The exact ML fit for a fixed ``q`` (module docstring), smoothed by statsmodels."""
    vy, vx, f = _unit_innovations(y, x, q)
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
    # arrays, not the frame: statsmodels' index handling would cost more than the fit
    model = UnobservedComponents(
        y, level="llevel", exog=None if x is None else x[:, None], use_exact_diffuse=True
    )
    names = ["sigma2.irregular", "sigma2.level"] + ([] if x is None else ["beta.gap"])
    se_s2 = s2 * math.sqrt(2.0 / n)
    values, errors = [s2, q * s2], [se_s2, q * se_s2]
    if vx is not None:
        values.append(beta)
        errors.append(math.sqrt(s2 / info))
    model.update(np.array(values))
    res = model.ssm.smooth()
    params, bse = pd.Series(values, index=names), pd.Series(errors, index=names)
    return NaturalRateResult(_estimates(res, index), params, bse, float(res.llf), True)


def _unit_innovations(
    y: np.ndarray, x: np.ndarray | None, q: float
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray]:
    """One-step innovations of ``y`` (and ``x``) through the local-level filter with unit
    irregular variance, and their variances, for t = 2..n (t = 1 initialises the diffuse
    level). The filter is linear and its variances are free of the data, so the innovations
    of ``y - phi·x`` at variance ``s2`` are ``vy - phi·vx`` with variance ``s2·f``."""
    n = len(y)
    yl, xl = y.tolist(), (None if x is None else x.tolist())
    vy, vx, f = [0.0] * (n - 1), [0.0] * (n - 1), [0.0] * (n - 1)
    ay, ax, p = yl[0], (0.0 if xl is None else xl[0]), 1.0 + q  # after the diffuse step
    for t in range(1, n):
        ft = p + 1.0
        k = p / ft
        f[t - 1] = ft
        ey = yl[t] - ay
        vy[t - 1] = ey
        ay += k * ey
        if xl is not None:
            ex = xl[t] - ax
            vx[t - 1] = ex
            ax += k * ex
        p = p - k * p + q
    return np.array(vy), (None if xl is None else np.array(vx)), np.array(f)

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
Reference: Laubach and Williams (2003), REStat 85(4) — a reduced form of their model.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from statsmodels.tools.sm_exceptions import ConvergenceWarning
from statsmodels.tsa.statespace.structural import UnobservedComponents

from research_core.models._base import TextResult
from research_core.models.inputs import clean_frame


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
) -> NaturalRateResult:
    """Fit the model on a real rate (% p.a.) and, optionally, an output gap (%)."""
    cols = {"real_rate": real_rate} | ({} if gap is None else {"gap": gap})
    data = clean_frame(pd.DataFrame(cols), model="natural_rate", min_obs=min_obs)
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
    estimates = pd.DataFrame(
        {
            "filtered": res.filtered_state[0],
            "filtered_se": np.sqrt(res.filtered_state_cov[0, 0]),
            "smoothed": res.smoothed_state[0],
            "smoothed_se": np.sqrt(res.smoothed_state_cov[0, 0]),
        },
        index=data.index,
    )
    return NaturalRateResult(estimates, res.params, res.bse, float(res.llf), converged)


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

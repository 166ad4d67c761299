"""OLS on arrays with statsmodels' numbers, without importing statsmodels (issue 29).

statsmodels' ``OLS(y, x).fit()`` and ``.fit(cov_type="HAC", cov_kwds={"maxlags": L})``
(0.15: ``regression/linear_model.py``, ``stats/sandwich_covariance.py``,
``tools/tools.pinv_extended``), their operations in their order so the numbers are the
same bit for bit: importing statsmodels costs a cold ``workbench agents run`` about 1 s CPU
(scipy.stats among it) and its result objects most of a small fit's time.
``tests/models/test_ols_arrays.py`` compares every field with statsmodels'.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from research_core.errors import ModelError


def pinv_extended(x: np.ndarray, rcond: float = 1e-15) -> tuple[np.ndarray, np.ndarray]:
    """The pseudo-inverse of ``x`` from its SVD and ``x``'s singular values, as
    statsmodels' ``tools.pinv_extended`` computes them."""
    x = np.asarray(x).conjugate()
    u, s, vt = np.linalg.svd(x, False)
    s_orig = np.copy(s)
    cutoff = rcond * np.maximum.reduce(s)
    for i in range(min(vt.shape[1], u.shape[0])):
        s[i] = 1.0 / s[i] if s[i] > cutoff else 0.0
    return np.dot(np.transpose(vt), np.multiply(s[:, np.newaxis], np.transpose(u))), s_orig


def k_constant(x: np.ndarray) -> int:
    """1 when ``x`` holds a constant, explicit or implied (dummies summing to one), else 0:
    statsmodels' ``ModelData._handle_constant`` for ``hasconst=None``."""
    top, low = np.max(x, axis=0), np.min(x, axis=0)
    if not np.isfinite(top).all():
        raise ModelError("OLS: the regressors hold an infinite or missing value")
    means = [x[:, i].mean() for i in np.where(top == low)[0]]
    if any(m != 0 for m in means):  # a nonzero constant column (ones, or another)
        return 1
    ones = np.column_stack((np.ones(x.shape[0]), x))
    return int(np.linalg.matrix_rank(x) == np.linalg.matrix_rank(ones))


@dataclass(frozen=True)
class OLSFit:
    """The numbers of a fit (statsmodels' attribute names)."""

    params: np.ndarray
    bse: np.ndarray
    tvalues: np.ndarray
    pvalues: np.ndarray
    resid: np.ndarray
    fittedvalues: np.ndarray
    cov_params: np.ndarray
    rsquared: float
    rsquared_adj: float
    nobs: float
    scale: float
    cov_type: str


def ols_fit(y: np.ndarray, x: np.ndarray, hac_lags: int | None = None) -> OLSFit:
    """OLS of ``y`` on ``x`` as is (no constant added): nonrobust errors and t p-values, or
    with ``hac_lags`` Newey–West (Bartlett kernel, no small-sample correction) and normal
    p-values: statsmodels' defaults for these two calls."""
    fit, full_rank = ols_fit_rank(y, x, hac_lags)
    if not full_rank:
        warn_rank_deficient(stacklevel=3)
    return fit


def warn_rank_deficient(stacklevel: int) -> None:
    """statsmodels' warning for a design of lower rank than its columns."""
    warnings.warn(
        "The design matrix is rank-deficient. The model parameters are not uniquely determined.",
        RuntimeWarning,
        stacklevel=stacklevel,
    )


def ols_fit_rank(y: np.ndarray, x: np.ndarray, hac_lags: int | None) -> tuple[OLSFit, bool]:
    """:func:`ols_fit` without its warning, and whether ``x`` had full column rank."""
    from scipy.special import ndtr, stdtr  # scipy.stats' t.sf and norm.sf use these

    k_const = k_constant(x)  # checks the regressors first, as statsmodels' model does
    pinv, singular = pinv_extended(x)
    normalized_cov = np.dot(pinv, np.transpose(pinv))
    rank = np.linalg.matrix_rank(np.diag(singular))
    params = np.dot(pinv, y)
    nobs = float(x.shape[0])
    df_resid = nobs - rank
    fitted = np.dot(x, params)
    resid = y - fitted
    ssr = np.dot(resid, resid)
    scale = ssr / df_resid
    if hac_lags is None:
        cov = normalized_cov * scale
    else:
        cov = _cov_hac(x * resid[:, None], normalized_cov, hac_lags)
    if k_const:  # OLS is WLS with unit weights, and its centred sum of squares says so
        weights = np.ones(x.shape[0])
        centered_tss = np.sum(weights * (y - np.average(y, weights=weights)) ** 2)
        rsquared = 1 - ssr / centered_tss
    else:
        rsquared = 1 - ssr / np.dot(y, y)
    with warnings.catch_warnings():  # statsmodels' silence on a zero standard error
        warnings.simplefilter("ignore", RuntimeWarning)
        bse = np.sqrt(np.diag(cov))
        tvalues = params / bse
        tail = stdtr(df_resid, -np.abs(tvalues)) if hac_lags is None else ndtr(-np.abs(tvalues))
        pvalues = tail * 2
    rsquared_adj = 1 - (np.divide(nobs - k_const, df_resid) * (1 - rsquared))
    arrays = (params, bse, tvalues, pvalues, resid, fitted, cov)
    cov_type = "nonrobust" if hac_lags is None else "HAC"
    fit = OLSFit(*arrays, float(rsquared), float(rsquared_adj), nobs, float(scale), cov_type)
    return fit, bool(rank >= x.shape[1])


def _cov_hac(xu: np.ndarray, hessian_inv: np.ndarray, nlags: int) -> np.ndarray:
    """statsmodels' ``cov_hac_simple`` without its correction: Bartlett-weighted
    autocovariances of the scores ``xu``, sandwiched by ``hessian_inv``."""
    weights = 1 - np.arange(nlags + 1) / (nlags + 1.0)
    s = weights[0] * np.dot(xu.T, xu)
    for lag in range(1, nlags + 1):
        part = np.dot(xu[lag:].T, xu[:-lag])
        s += weights[lag] * (part + part.T)
    return np.dot(np.dot(hessian_inv, s), hessian_inv.T)

"""The peer Student-t fit the risk tests check ours against."""

from __future__ import annotations

import contextlib
import io

import numpy as np
from statsmodels.miscmodels.tmodel import TLinearModel


def statsmodels_t_fit(x: np.ndarray, fix_df: float | None = None) -> dict[str, float]:
    """ν, location, scale and log-likelihood of a Student-t fitted by maximum likelihood
    with statsmodels (``TLinearModel`` on a constant, in basis points so Nelder–Mead's
    absolute tolerances fit the data; from ν = 10, the sample median and sd). ``fix_df``
    holds ν fixed: the profile likelihood at that ν."""
    bp = np.asarray(x, dtype=float) * 1e4
    kw = {} if fix_df is None else {"fix_df": fix_df}
    with contextlib.redirect_stdout(io.StringIO()):  # initialize() prints a banner
        model = TLinearModel(bp, np.ones((len(bp), 1)), **kw)
    start = [np.median(bp), *([] if fix_df else [10.0]), bp.std()]
    res = model.fit(start_params=np.array(start), method="nm", maxiter=20_000, disp=0)
    assert res.mle_retvals["converged"]
    p = res.params
    return {
        "df": float(fix_df or p[1]),
        "loc": float(p[0]) / 1e4,
        "scale": float(p[-1]) / 1e4,
        "loglik": float(res.llf + len(bp) * np.log(1e4)),  # density of x = density of bp × 1e4
    }

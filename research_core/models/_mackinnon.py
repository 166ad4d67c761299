"""MacKinnon's (1994) approximate p-value of an Engle–Granger (constant) statistic.

statsmodels' ``tsa.adfvalues.mackinnonp(stat, regression="c", N)``, its table for a
constant and the same operations (``polyval``, the normal CDF as ``scipy.special.ndtr``,
which ``scipy.stats.norm.cdf`` calls): importing ``adfvalues`` imports statsmodels and
scipy.stats, about 0.6 s CPU of a cold ``workbench agents run`` (issue 29), for six rows
of numbers. ``tests/models/test_mackinnon.py`` compares with statsmodels'.
Reference: J. G. MacKinnon, "Approximate Asymptotic Distribution Functions for Unit-Root
and Cointegration Tests", Journal of Business & Economic Statistics 12(2), 1994.
"""

from __future__ import annotations

import numpy as np

from research_core.errors import ModelError

# statsmodels.tsa.adfvalues: tau_max_c, tau_min_c, tau_star_c; row N-1 of each
TAU_MAX = [2.74, 0.92, 0.55, 0.61, 0.79, 1]
TAU_MIN = [-18.83, -18.86, -23.48, -28.07, -25.96, -23.27]
TAU_STAR = [-1.61, -2.62, -3.13, -3.47, -3.78, -3.93]
# tau_c_smallp and tau_c_largep, before statsmodels' scaling (applied below, as there)
SMALL_P = [
    [2.1659, 1.4412, 3.8269],
    [2.92, 1.5012, 3.9796],
    [3.4699, 1.4856, 3.164],
    [3.9673, 1.4777, 2.6315],
    [4.5509, 1.5338, 2.9545],
    [5.1399, 1.6036, 3.4445],
]
LARGE_P = [
    [1.7339, 9.3202, -1.2745, -1.0368],
    [2.1945, 6.4695, -2.9198, -4.2377],
    [2.5893, 4.5168, -3.6529, -5.0074],
    [3.0387, 4.5452, -3.3666, -4.1921],
    [3.5049, 5.2098, -2.9158, -3.3468],
    [3.9489, 5.8933, -2.5359, -2.721],
]


def mackinnon_p(stat: float, n_vars: int) -> float:
    """p-value of ``stat`` for ``n_vars`` series in the cointegrating relation (1 to 6)."""
    from scipy.special import ndtr

    if not 1 <= n_vars <= len(TAU_MAX):
        raise ModelError(f"MacKinnon p-value: {n_vars} series; the table has 1 to 6")
    i = n_vars - 1
    if stat > TAU_MAX[i]:
        return 1.0
    if stat < TAU_MIN[i]:
        return 0.0
    if stat <= TAU_STAR[i]:
        coef = np.asarray(SMALL_P)[i] * np.array([1, 1, 1e-2])
    else:
        coef = np.asarray(LARGE_P)[i] * np.array([1, 1e-1, 1e-1, 1e-2])
    return float(ndtr(np.polyval(coef[::-1], stat)))

"""Taylor rule with interest-rate smoothing, and its gap to the market-implied path.

    i[t] = rho·i[t-1] + (1 - rho)·(c* + alpha·pi[t] + beta·gap[t]) + u[t]

estimated in its linear form ``i[t] = c + rho·i[t-1] + a·pi[t] + b·gap[t]`` by OLS with
Newey–West errors; the long-run responses ``alpha = a / (1 - rho)`` and ``beta = b / (1 - rho)``
get delta-method standard errors. The rule's path partially adjusts from today's rate to
the long-run prescription at speed ``rho``; its average over the horizon is what the market
path (a DI or Treasury yield of that tenor) is compared with.
References: J. B. Taylor (1993), Carnegie-Rochester 39; Clarida, Galí and Gertler (2000),
QJE 115(1), who report alpha below 1 before Volcker and above 1 after.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core.errors import ModelError
from research_core.models._base import Regression, TextResult, name_index, ols_arrays
from research_core.models.inputs import complete_columns


@dataclass(frozen=True, eq=False)
class TaylorRuleResult(TextResult):
    """Fitted rule, long-run coefficients and the prescription at the last observation."""

    regression: Regression
    long_run: pd.DataFrame  # index intercept/inflation/gap; columns coef, std_err
    rho: float
    rule_rate: float  # long-run prescription at the last inflation and gap
    last_rate: float
    periods_per_year: int

    def path(self, years: float = 1.0) -> pd.Series:
        """The rule's rate 1..h periods ahead: partial adjustment toward ``rule_rate``."""
        h = np.arange(1, round(years * self.periods_per_year) + 1)
        decay = self.rho**h
        return pd.Series(decay * self.last_rate + (1 - decay) * self.rule_rate, index=h)

    def market_gap(self, market_rate: float, years: float = 1.0) -> float:
        """Rule path average minus the market's rate for the same horizon (pp)."""
        return float(self.path(years).mean() - market_rate)

    def to_frame(self) -> pd.DataFrame:
        return self.long_run

    def summary(self) -> str:
        return (
            f"{self.regression.summary()}\nsmoothing rho={self.rho:.3f}; long run:\n"
            f"{self.long_run.round(3).to_string()}\nrule rate {self.rule_rate:.2f} "
            f"vs current {self.last_rate:.2f}"
        )


def taylor_rule(
    rate: pd.Series,
    inflation: pd.Series,
    gap: pd.Series,
    *,
    smoothing: bool = True,
    lower_bound: float | None = None,
    periods_per_year: int = 12,
    hac_lags: int = 6,
    min_obs: int = 36,
) -> TaylorRuleResult:
    """Fit the rule on aligned series (rate and inflation in % p.a., gap in %).

    With ``lower_bound`` (e.g. the US 0-0.25% floor) periods where the rate sits at or
    below it are left out: the rule is censored there and would read as ``rho = 1``.
    """
    cols = {"rate": rate, "inflation": inflation, "gap": gap}
    if smoothing:
        cols["rate_lag"] = rate.shift(1)
    if lower_bound is not None:  # the dates the rate is at the bound leave every column
        floor = rate.index.values[rate.to_numpy() <= lower_bound]
        cols = {k: _without(v, floor) for k, v in cols.items()}
    index, data = complete_columns(cols, model="taylor_rule", min_obs=min_obs)
    regressors = ["rate_lag", "inflation", "gap"] if smoothing else ["inflation", "gap"]
    x = np.column_stack([data[c] for c in regressors])
    reg = ols_arrays("Taylor rule", data["rate"], x, regressors, index, hac_lags)
    rho = float(reg.fit.params[regressors.index("rate_lag") + 1]) if smoothing else 0.0
    long_run = _long_run(reg, rho, smoothing=smoothing)
    if rho >= 0.98:
        raise ModelError(
            f"taylor_rule: smoothing rho={rho:.3f} is at the unit root; the long-run "
            "responses are not identified (is the rate stuck at a bound?)"
        )
    lr = long_run["coef"]
    prescription = float(
        lr["intercept"] + lr["inflation"] * data["inflation"][-1] + lr["gap"] * data["gap"][-1]
    )
    last_rate = float(data["rate"][-1])
    return TaylorRuleResult(reg, long_run, rho, prescription, last_rate, periods_per_year)


def _without(series: pd.Series, dates: np.ndarray) -> pd.Series:
    """``series`` without its values at ``dates`` (itself when it has none there)."""
    keys = series.index.values
    if len(dates) and keys.dtype == dates.dtype and np.all(dates[1:] > dates[:-1]):
        # ``np.isin`` by a search in the increasing ``dates`` (no sort of both)
        pos = np.minimum(np.searchsorted(dates, keys), len(dates) - 1)
        keep = dates[pos] != keys
    else:
        keep = ~np.isin(keys, dates)
    if keep.all():
        return series
    # ``series[keep]`` (its index masked, its values taken) without the indexer's checks
    return pd.Series(series.to_numpy()[keep], index=series.index[keep], name=series.name)


def _long_run(reg: Regression, rho: float, *, smoothing: bool) -> pd.DataFrame:
    """Long-run coefficients ``k / (1 - rho)`` with delta-method standard errors."""
    names = {"intercept": "const", "inflation": "inflation", "gap": "gap"}
    index = list(reg.labels[0])
    # the covariance in the layout its frame's ``to_numpy`` gave: the same products below
    p, cov = reg.fit.params, np.asfortranarray(reg.fit.cov_params)
    coefs, errors = [], []
    for name in names.values():
        k = index.index(name)
        coefs.append(float(p[k]) / (1 - rho))
        if smoothing:
            # d/dk = 1/(1-rho), d/drho = k/(1-rho)^2
            g = np.zeros(len(index))
            g[k] = 1 / (1 - rho)
            g[index.index("rate_lag")] = float(p[k]) / (1 - rho) ** 2
            var = float(g @ cov @ g)
        else:
            var = float(cov[k, k])
        errors.append(float(np.sqrt(max(var, 0.0))))
    block = np.array([coefs, errors])  # one row per column, as the dict constructor's
    return pd.DataFrame(block.T, index=name_index(list(names)), columns=name_index(LONG_RUN))


LONG_RUN = ("coef", "std_err")

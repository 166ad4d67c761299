"""Public debt dynamics: r–g arithmetic, the stabilizing primary balance and a fan.

    d[t+1] = d[t]·(1 + r) / (1 + g) − pb[t+1]

with d the debt/GDP ratio (%), r the nominal effective interest rate and g nominal GDP
growth (% p.a.), pb the primary balance (% of GDP, surplus positive). The primary balance
that holds debt constant is ``d·(r − g) / (1 + g)``. The fan draws yearly shocks to r, g
and pb (normal, with the volatilities given) from a fixed seed, so a run is reproducible.
Reference: IMF (2013), "Staff Guidance Note for Public Debt Sustainability Analysis".
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from research_core._memo import Kind
from research_core.errors import ModelError
from research_core.models._base import TextResult, name_index
from research_core.models._reuse import fresh, frozen, reused


@dataclass(frozen=True, eq=False)
class DebtDynamicsResult(TextResult):
    """Baseline path, stabilizing primary balance, and a percentile fan of debt paths."""

    debt: float
    interest_rate: float
    growth: float
    primary_balance: float
    stabilizing_primary: float
    baseline: pd.Series = field(repr=False)  # year 0..horizon
    fan: pd.DataFrame = field(repr=False)  # year x percentile
    prob_rising: float  # share of simulated paths ending above today's debt

    @property
    def primary_gap(self) -> float:
        """Stabilizing minus actual primary balance (pp of GDP; positive: debt rises)."""
        return self.stabilizing_primary - self.primary_balance

    def to_frame(self) -> pd.DataFrame:
        """The fan's percentiles and the baseline, by year."""
        if not self.baseline.index.equals(self.fan.index):
            return self.fan.assign(baseline=self.baseline)
        block = np.vstack([self.fan.to_numpy().T, self.baseline.to_numpy(dtype=float)])
        columns = name_index([*self.fan.columns, "baseline"])
        return pd.DataFrame(block.T, index=self.fan.index, columns=columns, copy=False)

    def summary(self) -> str:
        h = self.baseline.index[-1]
        return (
            f"debt {self.debt:.1f}% of GDP, r={self.interest_rate:.2f}%, g={self.growth:.2f}%, "
            f"primary {self.primary_balance:+.2f}% vs {self.stabilizing_primary:+.2f}% needed "
            f"to stabilize; in {h}y: baseline {self.baseline.iloc[-1]:.1f}%, "
            f"P(rising)={self.prob_rising:.0%}"
        )


def stabilizing_primary(debt: float, interest_rate: float, growth: float) -> float:
    """Primary balance (% of GDP) that keeps the debt ratio constant."""
    return debt * (interest_rate - growth) / (100 + growth)


@functools.lru_cache(maxsize=8)
def _unit_shocks(seed: int, n_paths: int, horizon: int) -> np.ndarray:
    """The fan's standard normal draws (r, g, pb) x path x year from ``seed``: the same
    at every date, so drawn once per process (read-only)."""
    draws = np.random.default_rng(seed).standard_normal((3, n_paths, horizon))
    draws.flags.writeable = False
    return draws


def debt_dynamics(
    debt: float,
    interest_rate: float,
    growth: float,
    primary_balance: float,
    *,
    horizon: int = 5,
    vol: tuple[float, float, float] = (1.5, 2.0, 1.0),
    n_paths: int = 2000,
    seed: int = 0,
) -> DebtDynamicsResult:
    """Project debt ``horizon`` years with inputs held, plus a fan from (r, g, pb) shocks."""
    values = {"debt": debt, "interest_rate": interest_rate, "growth": growth}
    values["primary_balance"] = primary_balance
    bad = [k for k, v in values.items() if not np.isfinite(v)]
    if bad:
        raise ModelError(f"debt_dynamics: {bad} are not finite")
    if growth <= -100 or debt < 0:
        raise ModelError(f"debt_dynamics: needs debt >= 0 and growth > -100%, got {values}")
    years = np.arange(horizon + 1)
    point = (debt, interest_rate, growth, primary_balance, *vol)
    key = (np.array(point, dtype=float).tobytes(), horizon, n_paths, seed)
    percentiles, prob_rising = reused(
        FANS, key, lambda: _fan(debt, interest_rate, growth, primary_balance, vol, key[1:])
    )
    base = [debt]
    for _ in range(horizon):
        base.append(base[-1] * (1 + interest_rate / 100) / (1 + growth / 100) - primary_balance)
    columns = name_index([f"p{p}" for p in PERCENTILES])
    fan = pd.DataFrame(fresh(percentiles).T, index=years, columns=columns)
    fan.index.name = "year"
    return DebtDynamicsResult(
        debt=debt,
        interest_rate=interest_rate,
        growth=growth,
        primary_balance=primary_balance,
        stabilizing_primary=stabilizing_primary(debt, interest_rate, growth),
        baseline=pd.Series(base, index=years, name="baseline"),
        fan=fan,
        prob_rising=prob_rising,
    )


PERCENTILES = (5, 25, 50, 75, 95)
FANS: Kind[tuple[np.ndarray, float]] = Kind("debt fans", 16)


def _fan(
    debt: float,
    interest_rate: float,
    growth: float,
    primary_balance: float,
    vol: tuple[float, float, float],
    sizes: tuple[int, int, int],
) -> tuple[np.ndarray, float]:
    """The simulated paths' :data:`PERCENTILES` by year (read-only: kept per content of
    the inputs, ``research_core.models._reuse``) and the share ending above ``debt``."""
    horizon, n_paths, seed = sizes
    shocks = _unit_shocks(seed, n_paths, horizon) * np.asarray(vol)[:, None, None]
    r = interest_rate + shocks[0]
    g = np.maximum(growth + shocks[1], -99.0)
    pb = primary_balance + shocks[2]
    paths = np.empty((n_paths, horizon + 1))
    paths[:, 0] = debt
    for t in range(horizon):
        paths[:, t + 1] = paths[:, t] * (1 + r[:, t] / 100) / (1 + g[:, t] / 100) - pb[:, t]
    percentiles = np.percentile(paths, PERCENTILES, axis=0)
    return frozen(percentiles), float(np.mean(paths[:, -1] > debt))

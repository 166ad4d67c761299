"""Portfolio constraints, applied in a fixed order, each saying when and why it binds.

Order: per-instrument concentration, per asset-class concentration, gross leverage, net
leverage, then the risk budget (VaR cap from the risk engine), then turnover and drift
bands against the current book. Every step only shrinks positions and the VaR cap scales
the whole book, so a later step never undoes an earlier one; at the end every limit holds
(checked) and every one that bound is recorded with its reason. Limits outrank turnover:
if trading less would leave the book over a limit, the limits are applied again and that
is recorded too.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from research_core.catalog import instrument
from research_core.errors import PortfolioError
from research_core.risk.breakers import DrawdownLadder
from research_core.risk.limits import RiskLimits, current_limits
from research_core.risk.measures import parametric


class Constraints(BaseModel):
    """How the book is built: sizing, trading bands, and the book's limits.

    The limits themselves live in one place, the fund's limits file
    (:func:`~research_core.risk.limits.current_limits`, the numbers the risk report
    monitors); construction applies the same ones. Its VaR
    cap is ``var_headroom`` × the VaR limit, because construction measures a normal VaR
    on the covariance while the limit is monitored on historical VaR.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    target_vol: float = Field(default=0.10, gt=0, description="annual vol the book is sized to")
    limits: RiskLimits = Field(default_factory=current_limits, description="the book's limits")
    var_headroom: float = Field(default=0.75, gt=0, le=1, description="VaR cap / VaR limit")
    max_turnover: float | None = Field(default=None, gt=0, description="Σ|w − current|")
    drift_band: float = Field(default=0.0, ge=0, description="no trade when |w − current| ≤ band")
    ladder: DrawdownLadder | None = Field(
        default=None, description="drawdown ladder (default: flatten at the drawdown limit)"
    )

    @property
    def drawdown_ladder(self) -> DrawdownLadder:
        """The ladder that cuts the book (its flatten trigger is the drawdown limit unless
        a ladder is given)."""
        return self.limits.ladder(self.ladder)

    @property
    def max_var_99(self) -> float:
        """1-day 99 % normal VaR cap used in construction."""
        return self.limits.var_99 * self.var_headroom


@dataclass(frozen=True)
class Binding:
    """A constraint that changed the book: which, why, and how much."""

    constraint: str
    reason: str

    def __str__(self) -> str:
        return f"{self.constraint}: {self.reason}"


def _var_99(w: pd.Series, cov: pd.DataFrame) -> float:
    return parametric(w, cov, (0.99,))[0].var if (w != 0).any() else 0.0


def _limits(w: pd.Series, cov: pd.DataFrame, cons: Constraints, out: list[Binding]) -> pd.Series:
    """Position, asset-class, gross and net limits, then the VaR cap. Each step only shrinks
    |w_i| (the VaR cap scales the whole book), so no step can undo an earlier one."""
    w, lim = w.copy(), cons.limits
    over = w.abs() > lim.position + 1e-12
    if over.any():
        names = ", ".join(f"{i} {w[i]:+.2f}" for i in w.index[over])
        w = w.clip(-lim.position, lim.position)
        out.append(Binding("concentration", f"{names} clipped to ±{lim.position:g}"))
    classes = pd.Series({i: instrument(str(i)).asset_class for i in w.index})
    for cls, gross in w.abs().groupby(classes).sum().items():
        if gross > lim.asset_class + 1e-12:
            members = classes.index[classes == cls]
            w[members] *= lim.asset_class / gross
            out.append(
                Binding("asset class", f"{cls} gross {gross:.2f} > {lim.asset_class:g}; scaled")
            )
    gross = float(w.abs().sum())
    if gross > lim.gross_leverage + 1e-12:
        w *= lim.gross_leverage / gross
        out.append(
            Binding(
                "gross leverage",
                f"{gross:.2f} > {lim.gross_leverage:g}; scaled ×{lim.gross_leverage / gross:.2f}",
            )
        )
    net = float(w.sum())
    if abs(net) > lim.net_leverage + 1e-12:
        side = w[np.sign(w) == np.sign(net)]
        excess = abs(net) - lim.net_leverage
        w[side.index] *= 1.0 - excess / side.abs().sum()
        out.append(
            Binding(
                "net leverage",
                f"{net:+.2f} beyond ±{lim.net_leverage:g}; {'longs' if net > 0 else 'shorts'} cut",
            )
        )
    var = _var_99(w, cov)
    if var > cons.max_var_99:
        w *= cons.max_var_99 / var
        out.append(
            Binding(
                "risk budget",
                f"99% VaR {var:.2%} > {cons.max_var_99:.2%}; scaled ×{cons.max_var_99 / var:.2f}",
            )
        )
    return w


def violations(w: pd.Series, cov: pd.DataFrame, cons: Constraints) -> list[str]:
    """Every limit ``w`` breaks (empty when the book is within all of them)."""
    tol, lim = 1e-9, cons.limits
    classes = pd.Series({i: instrument(str(i)).asset_class for i in w.index}, dtype=object)
    checks = [
        ("99% VaR", _var_99(w, cov), cons.max_var_99),
        ("position", float(w.abs().max()) if len(w) else 0.0, lim.position),
        (
            "asset class",
            float(w.abs().groupby(classes).sum().max()) if len(w) else 0.0,
            lim.asset_class,
        ),
        ("gross", float(w.abs().sum()), lim.gross_leverage),
        ("net", abs(float(w.sum())), lim.net_leverage),
    ]
    return [f"{name} {v:.4g} > {cap:g}" for name, v, cap in checks if v > cap * (1 + tol) + tol]


def _trading(w: pd.Series, current: pd.Series, cons: Constraints, out: list[Binding]) -> pd.Series:
    trade = w - current
    if cons.drift_band > 0:
        hold = (trade.abs() <= cons.drift_band) & (trade != 0)
        if hold.any():
            w = w.where(~hold, current)
            out.append(
                Binding(
                    "drift band", f"no trade in {list(w.index[hold])} (|Δw| ≤ {cons.drift_band:g})"
                )
            )
            trade = w - current
    turnover = float(trade.abs().sum())
    if cons.max_turnover is not None and turnover > cons.max_turnover + 1e-12:
        w = current + trade * (cons.max_turnover / turnover)
        out.append(
            Binding(
                "turnover",
                f"{turnover:.2f} > {cons.max_turnover:g}; "
                f"trades scaled ×{cons.max_turnover / turnover:.2f}",
            )
        )
    return w


def apply_constraints(
    target: pd.Series, cov: pd.DataFrame, cons: Constraints, current: pd.Series | None = None
) -> tuple[pd.Series, tuple[Binding, ...]]:
    """The constrained book and every constraint that bound, in the order applied."""
    out: list[Binding] = []
    w = _limits(target.astype("float64"), cov, cons, out)
    if current is not None:
        cur = current.reindex(w.index.union(current.index), fill_value=0.0).astype("float64")
        w = _trading(w.reindex(cur.index, fill_value=0.0), cur, cons, out)
        again: list[Binding] = []
        w = _limits(w, cov.reindex(index=w.index, columns=w.index, fill_value=0.0), cons, again)
        out += [Binding(b.constraint, f"{b.reason} (limits outrank turnover)") for b in again]
    broken = violations(w, cov.reindex(index=w.index, columns=w.index, fill_value=0.0), cons)
    if broken:
        raise PortfolioError(f"constraints still broken after applying them: {broken}")
    return w, tuple(out)

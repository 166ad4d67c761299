"""Portfolio constraints, applied in a fixed order, each saying when and why it binds.

Order: per-instrument concentration, per asset-class concentration, gross leverage, net
leverage, then the risk budget (VaR cap from the risk engine), then turnover and drift
bands against the current book. Every step only shrinks positions and the VaR cap scales
the whole book, so a later step never undoes an earlier one; at the end every limit holds
(checked) and every one that bound is recorded with its reason. Limits outrank turnover:
if trading less would leave the book over a limit, the limits are applied again and that
is recorded too.

The steps run on numpy arrays (a daily book backtest applies them at every session) with
the operations pandas ran, in its order, so the books are the same to the bit: sums as
numpy's, and the asset-class gross as pandas' ``groupby().sum()`` (compensated, by class
name).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from research_core.catalog import instrument
from research_core.errors import PortfolioError, RiskError
from research_core.risk.breakers import DrawdownLadder
from research_core.risk.limits import RiskLimits, current_limits
from research_core.risk.measures import (
    check_book,
    check_covariance,
    parametric,
    parametric_components,
)


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
    """The 1-day 99 % normal VaR of ``w`` on ``cov`` (fraction of NAV; 0 for a flat book)."""
    return parametric(w, cov, (0.99,))[0].var if (w != 0).any() else 0.0


def _var_99_array(x: np.ndarray, c: np.ndarray, ids: pd.Index) -> float:
    """:func:`_var_99` on arrays (``c`` checked: :func:`check_covariance`)."""
    if not (x != 0).any():
        return 0.0
    if not np.isfinite(x).all():
        raise RiskError(f"weights are NaN/inf for {ids[~np.isfinite(x)].tolist()}")
    ((_, cvar, _),) = parametric_components(x, c, np.zeros(len(x)), (0.99,))
    return float(cvar.sum())


@dataclass(frozen=True, eq=False)
class _Book:
    """The instruments being constrained, their checked covariance and asset classes."""

    ids: pd.Index
    cov: np.ndarray
    classes: np.ndarray  # asset class per instrument
    groups: tuple[tuple[str, np.ndarray], ...]  # (class, its positions), by class name

    @classmethod
    def of(cls, ids: pd.Index, cov: np.ndarray) -> _Book:
        classes = np.array([instrument(str(i)).asset_class for i in ids], dtype=object)
        names = sorted(set(classes.tolist()))
        return cls(ids, cov, classes, tuple((n, np.flatnonzero(classes == n)) for n in names))

    def class_gross(self, x: np.ndarray, near: float) -> list[tuple[str, float]]:
        """Σ|x| per asset class. When one is near or over ``near`` (a limit), pandas'
        groupby sum (compensated, not numpy's) gives them, to the bit; below it numpy's
        sum does, since rounding cannot turn the comparison."""
        a = np.abs(x)
        quick = [(name, float(a[members].sum())) for name, members in self.groups]
        if all(g < near - 1e-9 for _, g in quick):
            return quick
        return [(str(k), float(v)) for k, v in pd.Series(a).groupby(self.classes).sum().items()]


def _limits(x: np.ndarray, book: _Book, cons: Constraints, out: list[Binding]) -> np.ndarray:
    """Position, asset-class, gross and net limits, then the VaR cap. Each step only shrinks
    |w_i| (the VaR cap scales the whole book), so no step can undo an earlier one."""
    x, lim = x.copy(), cons.limits
    over = np.abs(x) > lim.position + 1e-12
    if over.any():
        names = ", ".join(f"{i} {v:+.2f}" for i, v in zip(book.ids[over], x[over], strict=True))
        x = np.where(x >= -lim.position, x, -lim.position)  # Series.clip's two steps
        x = np.where(x <= lim.position, x, lim.position)
        out.append(Binding("concentration", f"{names} clipped to ±{lim.position:g}"))
    near = lim.asset_class + 1e-12
    for (cls, gross), (_, members) in zip(book.class_gross(x, near), book.groups, strict=True):
        if gross > lim.asset_class + 1e-12:
            x[members] *= lim.asset_class / gross
            out.append(
                Binding("asset class", f"{cls} gross {gross:.2f} > {lim.asset_class:g}; scaled")
            )
    gross = float(np.abs(x).sum())
    if gross > lim.gross_leverage + 1e-12:
        x *= lim.gross_leverage / gross
        out.append(
            Binding(
                "gross leverage",
                f"{gross:.2f} > {lim.gross_leverage:g}; scaled ×{lim.gross_leverage / gross:.2f}",
            )
        )
    net = float(x.sum())
    if abs(net) > lim.net_leverage + 1e-12:
        side = np.sign(x) == np.sign(net)
        excess = abs(net) - lim.net_leverage
        x[side] *= 1.0 - excess / np.abs(x[side]).sum()
        out.append(
            Binding(
                "net leverage",
                f"{net:+.2f} beyond ±{lim.net_leverage:g}; {'longs' if net > 0 else 'shorts'} cut",
            )
        )
    var = _var_99_array(x, book.cov, book.ids)
    if var > cons.max_var_99:
        x *= cons.max_var_99 / var
        out.append(
            Binding(
                "risk budget",
                f"99% VaR {var:.2%} > {cons.max_var_99:.2%}; scaled ×{cons.max_var_99 / var:.2f}",
            )
        )
    return x


def violations(w: pd.Series, cov: pd.DataFrame, cons: Constraints) -> list[str]:
    """Every limit ``w`` breaks (empty when the book is within all of them)."""
    c = check_covariance(cov.reindex(index=w.index, columns=w.index))
    return _violations(w.to_numpy(dtype="float64"), _Book.of(w.index, c), cons)


def _violations(x: np.ndarray, book: _Book, cons: Constraints) -> list[str]:
    tol, lim = 1e-9, cons.limits
    checks = [
        ("99% VaR", _var_99_array(x, book.cov, book.ids), cons.max_var_99),
        ("position", float(np.abs(x).max()) if len(x) else 0.0, lim.position),
        (
            "asset class",
            max(g for _, g in book.class_gross(x, lim.asset_class * (1 + tol) + tol))
            if len(x)
            else 0.0,
            lim.asset_class,
        ),
        ("gross", float(np.abs(x).sum()), lim.gross_leverage),
        ("net", abs(float(x.sum())), lim.net_leverage),
    ]
    return [f"{name} {v:.4g} > {cap:g}" for name, v, cap in checks if v > cap * (1 + tol) + tol]


def _trading(
    x: np.ndarray, cur: np.ndarray, book: _Book, cons: Constraints, out: list[Binding]
) -> np.ndarray:
    trade = x - cur
    if cons.drift_band > 0:
        hold = (np.abs(trade) <= cons.drift_band) & (trade != 0)
        if hold.any():
            x = np.where(~hold, x, cur)
            out.append(
                Binding(
                    "drift band",
                    f"no trade in {list(book.ids[hold])} (|Δw| ≤ {cons.drift_band:g})",
                )
            )
            trade = x - cur
    turnover = float(np.abs(trade).sum())
    if cons.max_turnover is not None and turnover > cons.max_turnover + 1e-12:
        x = cur + trade * (cons.max_turnover / turnover)
        out.append(
            Binding(
                "turnover",
                f"{turnover:.2f} > {cons.max_turnover:g}; "
                f"trades scaled ×{cons.max_turnover / turnover:.2f}",
            )
        )
    return x


def apply_constraints(
    target: pd.Series, cov: pd.DataFrame, cons: Constraints, current: pd.Series | None = None
) -> tuple[pd.Series, tuple[Binding, ...]]:
    """The constrained book and every constraint that bound, in the order applied.

    The covariance keeps the memory layout pandas handed each step (``cov`` as given, then
    reindexed onto the held book's instruments: row order), so Σw adds up in its order."""
    out: list[Binding] = []
    _check_books(target, cov, current)
    same = cov.index.equals(target.index) and cov.columns.equals(target.index)
    first = _Book.of(target.index, check_covariance(cov if same else _on(cov, target.index)))
    x = _limits(target.to_numpy(dtype="float64"), first, cons, out)
    book = first
    if current is not None:
        ids = target.index.union(current.index)
        if not ids.equals(target.index):
            book = _Book.of(ids, _on(cov, ids).to_numpy(dtype="float64"))
        held = np.zeros(len(ids))
        held[ids.get_indexer(target.index)] = x
        cur = current.reindex(ids, fill_value=0.0).to_numpy(dtype="float64")
        again: list[Binding] = []
        x = _limits(_trading(held, cur, book, cons, out), book, cons, again)
        out += [Binding(b.constraint, f"{b.reason} (limits outrank turnover)") for b in again]
    broken = _violations(x, book, cons)
    if broken:
        raise PortfolioError(f"constraints still broken after applying them: {broken}")
    return pd.Series(x, index=book.ids, name=target.name), tuple(out)


def _check_books(target: pd.Series, cov: pd.DataFrame, current: pd.Series | None) -> None:
    """What the VaR cap refused before the limits ran on arrays (``check_book``): a NaN/inf
    weight, target or held (a clip would turn it into a full position, a NaN turnover binds
    nothing) and a target position without a covariance (filled 0 it would be riskless).
    Checked on arrays; only a book that fails goes through ``check_book`` for its error."""
    for book, known in ((target, cov.columns), (current, None)):
        if book is None:
            continue
        x = book.to_numpy(dtype="float64")
        if not (x != 0.0).any():
            continue
        fine = np.isfinite(x).all() and not book.index.has_duplicates
        covered = known is None or book.index.equals(known) or book.index.isin(known).all()
        if not (fine and covered):
            check_book(book, list(book.index if known is None else known))  # its error


def _on(cov: pd.DataFrame, ids: pd.Index) -> pd.DataFrame:
    """``cov`` on ``ids`` (0 for an instrument held without a view)."""
    return cov.reindex(index=ids, columns=ids, fill_value=0.0)

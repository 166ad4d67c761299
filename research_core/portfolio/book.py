"""The book at one as-of date: signals → aggregation → construction → risk, one view."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from research_core._files import atomic_folder
from research_core.config import get_settings
from research_core.errors import RiskError, SignalError
from research_core.lake.pit import PITView
from research_core.models.covariance import ledoit_wolf
from research_core.portfolio.constraints import Constraints
from research_core.portfolio.construct import PortfolioResult, construct
from research_core.risk.report import RiskReport, book_returns, risk_report
from research_core.signals.aggregate import AggregatedSignals, aggregate
from research_core.signals.sources import CollectedSignals, collect_signals
from research_core.strategies.base import BaseStrategy


@dataclass(frozen=True, eq=False)
class Book:
    """Everything the PM sees about the proposed book at one date."""

    signals: CollectedSignals
    aggregated: AggregatedSignals
    portfolio: PortfolioResult
    risk: RiskReport

    def summary(self) -> str:
        tz = get_settings().timezone
        head = f"book as of {self.portfolio.as_of.tz_convert(tz):%Y-%m-%d}"
        return "\n".join(
            [head, self.aggregated.summary(), self.portfolio.summary(), self.risk.summary()]
        )

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>"

    def write(self, folder: str | Path) -> Path:
        """CSV tables (weights, signals, provenance, VaR, components, stresses, limits) and
        summary.txt, written all at once."""
        risk = self.risk
        with atomic_folder(folder) as tmp:
            self.portfolio.to_frame().to_csv(tmp / "weights.csv")
            self.aggregated.to_frame().to_csv(tmp / "signals.csv")
            self.aggregated.provenance.to_csv(tmp / "provenance.csv", index=False)
            risk.to_frame().to_csv(tmp / "var.csv")
            parts = {(r.method, r.alpha): r.to_frame() for r in risk.results}
            pd.concat(parts, names=["method", "alpha", "instrument"]).to_csv(tmp / "components.csv")
            risk.stress.to_frame().to_csv(tmp / "stress.csv")
            risk.limits.to_csv(tmp / "limits.csv")
            (tmp / "summary.txt").write_text(self.summary() + "\n", encoding="utf-8")
        return Path(folder)


@dataclass(frozen=True, eq=False)
class Decision:
    """The live decision path at one date: what was said, how it was combined, the book."""

    signals: CollectedSignals
    aggregated: AggregatedSignals
    portfolio: PortfolioResult


@dataclass(frozen=True, eq=False)
class Gathered:
    """The part of a decision that does not depend on the book held: every agent and
    strategy, aggregated, and the return history of the instruments with a view."""

    signals: CollectedSignals
    aggregated: AggregatedSignals
    ids: tuple[str, ...]  # instruments with a directional score
    returns: pd.DataFrame | None  # their book_returns (None: too little history)


def gather(
    view: PITView,
    *,
    strategies: Mapping[str, BaseStrategy] | None = None,
    lookback: int = 750,
    collected: CollectedSignals | None = None,
) -> Gathered:
    """Run agents and strategies on ``view``, aggregate, and read the unit returns of the
    instruments with a directional score (:func:`~research_core.risk.report.book_returns`).
    ``collected`` reuses signals already collected on this same view (the daily pipeline
    reads them from its run folder) instead of running the agents and strategies again."""
    if collected is None:
        collected = collect_signals(view, strategies=strategies)
    elif other := sorted({str(s.as_of) for s in collected.signals if s.as_of != view.as_of}):
        raise SignalError(
            f"signals collected as of {other[:3]} cannot size a book as of {view.as_of} "
            "(a run folder from another date?)"
        )
    agg = aggregate(collected.signals, freshness=collected.freshness)
    ids = tuple(str(i) for i in agg.table.index if agg.table.at[i, "direction"] != 0)
    try:
        returns = book_returns(view, list(ids), lookback) if ids else None
    except RiskError:
        returns = None  # decide() reads them again and says why
    return Gathered(collected, agg, ids, returns)


def held_book(current: pd.Series | None) -> pd.Series | None:
    """The positions actually held (non-zero weights), or None when nothing is: an empty
    PMS, a flat backtest book and no ``current`` at all are the same decision."""
    if current is None:
        return None
    held = current.astype("float64")
    held = held[held != 0.0]
    return held if len(held) else None


def decide(
    view: PITView,
    *,
    method: str = "erc",
    current: pd.Series | None = None,
    constraints: Constraints | None = None,
    strategies: Mapping[str, BaseStrategy] | None = None,
    lookback: int = 750,
    gathered: Gathered | None = None,
) -> Decision:
    """Run agents and strategies on ``view``, aggregate, and construct with ``method`` on a
    Ledoit–Wolf covariance of the last ``lookback`` sessions of unit returns.

    ``current`` is the book held (the PMS's positions live, the drifted book in the
    backtest), weights per unit of NAV. ``gathered`` is :func:`gather`'s answer on the same
    view when already computed (the book backtester gathers every date's up front, in
    parallel). This is the one place signals become a book: the daily pipeline, the PMS
    proposals, ``workbench book`` and the book backtest all call it.
    """
    g = gathered if gathered is not None else gather(view, strategies=strategies, lookback=lookback)
    current = held_book(current)
    ids = list(g.ids)
    if current is not None:
        ids += [str(i) for i in current.index if i not in ids]
    history = g.returns if g.returns is not None and ids == list(g.ids) else None
    if history is None:  # positions held beyond the views: their returns too
        history = book_returns(view, ids, lookback)
    cov = ledoit_wolf(history).covariance
    port = construct(g.aggregated, cov, method, current=current, constraints=constraints)
    return Decision(g.signals, g.aggregated, port)


def build_book(
    view: PITView,
    *,
    method: str = "erc",
    nav: float = 1e9,
    current: pd.Series | None = None,
    constraints: Constraints | None = None,
    strategies: Mapping[str, BaseStrategy] | None = None,
    lookback: int = 750,
    n_sims: int = 100_000,
    collected: CollectedSignals | None = None,
) -> Book:
    """The decision at ``view`` (:func:`decide`) and the risk of the book it proposes.
    ``collected``: signals already collected on this view (see :func:`gather`)."""
    gathered = None if collected is None else gather(view, lookback=lookback, collected=collected)
    d = decide(
        view,
        method=method,
        current=current,
        constraints=constraints,
        strategies=strategies,
        lookback=lookback,
        gathered=gathered,
    )
    limits = (constraints or Constraints()).limits  # one set of limits for both
    risk = risk_report(
        d.portfolio.weights, view, nav=nav, lookback=lookback, n_sims=n_sims, limits=limits
    )
    return Book(d.signals, d.aggregated, d.portfolio, risk)

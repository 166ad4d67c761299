"""The book at one as-of date: signals → aggregation → construction → risk, one view.

This is the one path from signals to a target (the daily pipeline, the proposals and the
book backtest all call :func:`decide`); its breakers — stale inputs and the drawdown
ladder on the NAV history given as ``equity`` — act in ``construct`` (see
:mod:`research_core.portfolio.construct`). Sizes are also given as a trader reads them
(:func:`position_sizes`): currency, notional and, for listed futures, whole contracts.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from research_core._files import atomic_folder
from research_core._typing import with_overrides
from research_core.catalog import instrument
from research_core.config import DEFAULT_CAPITAL, get_settings
from research_core.errors import PortfolioError, PriceHistoryError, RiskError, SignalError
from research_core.lake.pit import PITView
from research_core.models.covariance import ledoit_wolf
from research_core.pnl import USDBRL, contract_value, last_quote, whole_contracts
from research_core.portfolio.constraints import Constraints
from research_core.portfolio.construct import PortfolioResult, construct
from research_core.risk.report import RiskReport, book_returns, risk_report
from research_core.signals.aggregate import AggregatedSignals, aggregate
from research_core.signals.sources import CollectedSignals, collect_signals

if TYPE_CHECKING:
    from research_core.strategies.base import BaseStrategy


@dataclass(frozen=True, eq=False)
class Book:
    """Everything the PM sees about the proposed book at one date."""

    signals: CollectedSignals
    aggregated: AggregatedSignals
    portfolio: PortfolioResult
    risk: RiskReport | None  # None when the breakers flattened the book: nothing to measure
    sizes: pd.DataFrame  # position_sizes of the weights, as a trader reads them

    def summary(self) -> str:
        tz = get_settings().timezone
        head = f"book as of {self.portfolio.as_of.tz_convert(tz):%Y-%m-%d}"
        risk = "risk: the book is flat" if self.risk is None else self.risk.summary()
        parts = [head, self.aggregated.summary(), self.portfolio.summary(), sizes_text(self.sizes)]
        return "\n".join([*parts, risk])

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>"

    def write(self, folder: str | Path) -> Path:
        """CSV tables (weights, sizes, signals, provenance, VaR, components, stresses,
        limits; no risk tables for a flat book) and summary.txt, written all at once."""
        risk = self.risk
        with atomic_folder(folder) as tmp:
            self.portfolio.to_frame().to_csv(tmp / "weights.csv")
            self.sizes.to_csv(tmp / "sizes.csv")
            self.aggregated.to_frame().to_csv(tmp / "signals.csv")
            self.aggregated.provenance.to_csv(tmp / "provenance.csv", index=False)
            if risk is not None:
                risk.to_frame().to_csv(tmp / "var.csv")
                parts = {(r.method, r.alpha): r.to_frame() for r in risk.results}
                components = pd.concat(parts, names=["method", "alpha", "instrument"])
                components.to_csv(tmp / "components.csv")
                risk.stress.to_frame().to_csv(tmp / "stress.csv")
                risk.limits.to_csv(tmp / "limits.csv")
            (tmp / "summary.txt").write_text(self.summary() + "\n", encoding="utf-8")
        return Path(folder)


def position_sizes(weights: pd.Series, view: PITView, nav: float) -> pd.DataFrame:
    """Each position as a trader reads it: weight (fraction of NAV), currency, notional in
    that currency and, for listed futures (``Instrument.contract``), whole contracts
    (rounded toward zero) at the quote known at ``view``; the notional is then theirs,
    contracts × ``contract_value`` (DI1 at its PU, DOL at USD 50,000 × USD/BRL)."""
    insts = {str(iid): instrument(str(iid)) for iid in weights.index}
    quote = last_quotes(view, [USDBRL, *(i.price_series for i in insts.values())])
    fx = quote[USDBRL]
    rows = []
    for iid, w in weights.astype(float).items():
        inst = insts[str(iid)]
        rate = fx if inst.currency == "USD" else 1.0
        if not np.isfinite(rate):
            raise PriceHistoryError(f"no USD/BRL ({USDBRL}) at {view.as_of} to size {iid}")
        notional = w * nav / rate
        value = contract_value(inst, quote[inst.price_series])
        n = None if value is None else whole_contracts(notional, value)
        if n is not None and value is not None:
            notional = n * value
        rows.append((str(iid), w, inst.currency, notional, n, value))
    cols = ["weight", "currency", "notional", "contracts", "contract_value"]
    out = pd.DataFrame([r[1:] for r in rows], index=[r[0] for r in rows], columns=cols)
    out["contracts"] = out["contracts"].astype("Int64")
    out["contract_value"] = out["contract_value"].astype("float64")  # NaN: not listed
    return out.rename_axis("instrument")


def last_quotes(view: PITView, series_ids: Iterable[str]) -> dict[str, float]:
    """``pnl.last_quote`` of each series, read from the lake in one pass (``view.latest``:
    the newest period's value; where it was withdrawn, the last one standing), not one
    read per series."""
    ids = list(dict.fromkeys(series_ids))
    latest = view.latest(ids)["value"]
    return {s: float(latest[s]) if pd.notna(latest[s]) else last_quote(view, s) for s in ids}


def sizes_text(sizes: pd.DataFrame) -> str:
    """The sizes table in words: % of NAV, currency notional in mn, contracts."""
    lines = ["sizes (listed futures in whole contracts):"]
    for iid, r in sizes[sizes["weight"] != 0].iterrows():
        line = f"  {iid}: {r.weight:+.2%} of NAV, {r.currency} {r.notional / 1e6:+,.2f} mn"
        if not pd.isna(r.contracts):
            line += f" = {int(r.contracts):+,d} contracts of {r.currency} {r.contract_value:,.2f}"
        lines.append(line)
    return "\n".join(lines if len(lines) > 1 else [*lines, "  none: the book is flat"])


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
    table = agg.table
    ids = tuple(str(i) for i in table.index[table["direction"].to_numpy() != 0])
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


@dataclass(frozen=True, eq=False)
class DecideOptions:
    """How a decision is made: the construction ``method``, the ``lookback`` sessions of
    its covariance, and the ``strategies`` run (None: the registry's)."""

    method: str = "erc"
    lookback: int = 750
    strategies: Mapping[str, BaseStrategy] | None = None


@dataclass(frozen=True, eq=False)
class BookOptions(DecideOptions):
    """:class:`DecideOptions` and the Monte Carlo draws of the book's risk report."""

    n_sims: int = 100_000


def decide(
    view: PITView,
    *,
    current: pd.Series | None = None,
    constraints: Constraints | None = None,
    gathered: Gathered | None = None,
    equity: pd.Series | None = None,
    reviews: Iterable[object] = (),
    options: DecideOptions | None = None,
    **overrides: object,
) -> Decision:
    """Run agents and strategies on ``view``, aggregate, and construct with ``method`` on a
    Ledoit–Wolf covariance of the last ``lookback`` sessions of unit returns (``options``,
    :class:`DecideOptions`; its fields may also be given by keyword, e.g. ``method="hrp"``).

    ``current`` is the book held (the PMS's positions live, the drifted book in the
    backtest), weights per unit of NAV. ``gathered`` is :func:`gather`'s answer on the same
    view when already computed (the book backtester gathers every date's up front, in
    parallel). ``equity`` is the NAV history of the book held (the drawdown ladder's input)
    and ``reviews`` the dates a manual review cleared a flattened book. This is the one
    place signals become a book: the daily pipeline, the PMS proposals, ``workbench book``
    and the book backtest all call it.
    """
    o = with_overrides(options or DecideOptions(), overrides, PortfolioError)
    method, lookback = o.method, o.lookback
    g = (
        gathered
        if gathered is not None
        else gather(view, strategies=o.strategies, lookback=lookback)
    )
    current = held_book(current)
    ids = list(g.ids)
    if current is not None:
        ids += [str(i) for i in current.index if i not in ids]
    history = g.returns if g.returns is not None and ids == list(g.ids) else None
    if history is None:  # positions held beyond the views: their returns too
        history = book_returns(view, ids, lookback)
    cov = ledoit_wolf(history).covariance
    port = construct(
        g.aggregated,
        cov,
        method,
        current=current,
        constraints=constraints,
        equity=equity,
        reviews=reviews,
    )
    return Decision(g.signals, g.aggregated, port)


def build_book(
    view: PITView,
    *,
    nav: float = DEFAULT_CAPITAL,
    current: pd.Series | None = None,
    constraints: Constraints | None = None,
    collected: CollectedSignals | None = None,
    equity: pd.Series | None = None,
    reviews: Iterable[object] = (),
    options: BookOptions | None = None,
    **overrides: object,
) -> Book:
    """The decision at ``view`` (:func:`decide`) and the risk of the book it proposes.
    ``collected``: signals already collected on this view (see :func:`gather`);
    ``equity``/``reviews``: the NAV history and review dates the drawdown ladder reads;
    ``options`` (:class:`BookOptions`, or its fields by keyword): method, look-back,
    strategies and Monte Carlo draws."""
    o = with_overrides(options or BookOptions(), overrides, PortfolioError)
    lookback = o.lookback
    gathered = None if collected is None else gather(view, lookback=lookback, collected=collected)
    d = decide(
        view,
        current=current,
        constraints=constraints,
        gathered=gathered,
        equity=equity,
        reviews=reviews,
        options=DecideOptions(o.method, lookback, o.strategies),
    )
    limits = (constraints or Constraints()).limits  # one set of limits for both
    weights = d.portfolio.weights
    risk = None
    if (weights != 0).any():
        risk = risk_report(
            weights, view, nav=nav, lookback=lookback, n_sims=o.n_sims, limits=limits, equity=equity
        )
    return Book(d.signals, d.aggregated, d.portfolio, risk, position_sizes(weights, view, nav))

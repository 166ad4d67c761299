"""From the constructed book to trade proposals: target minus current exposure, sized in
the instrument's currency, with the sources behind it (strategies, agents, rationale).

A listed future's trade is a whole number of the exchange's contracts (``Instrument.
contract``; DI1 at its PU = 100,000 / (1 + r)^(du/252), DOL at USD 50,000 × USD/BRL, the
book's ``sizes``), rounded toward zero so it never overshoots the target; the proposal's
size and ``delta_weight`` — what its pre-trade risk prices — are those contracts' value.
Other instruments round to ``LOT_ROUND`` of their currency. A trade that rounds to
nothing is not proposed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research_core.catalog import instrument
from research_core.lake.pit import PITView
from research_core.pms.impact import trade_impact
from research_core.pnl import whole_contracts
from research_core.risk.limits import RiskLimits

if TYPE_CHECKING:
    from research_core.portfolio.book import Book, Decision
    from research_core.risk.report import LimitCheck

MIN_TRADE = 0.005  # fraction of NAV below which a rebalance is not proposed
LOT_ROUND = 1_000.0  # sizes are rounded to this many units of local currency


@dataclass(frozen=True)
class ProposalSpec:
    """One trade the book asks for, before it is stored."""

    instrument_id: str
    side: int
    size: float  # positive local notional
    delta_weight: float  # signed fraction of NAV
    strategy: str
    agents: tuple[str, ...]
    rationale: str
    contracts: int | None = None  # listed futures: whole contracts (size is their value)


def _sources(
    book: Book | Decision, instrument_id: str, side: int
) -> tuple[str, tuple[str, ...], str]:
    """The strategy that contributed most in the trade's direction, the agents that did,
    and their rationales (largest contribution first)."""
    prov = book.aggregated.provenance
    rows = prov[(prov["instrument"] == instrument_id) & (np.sign(prov["contribution"]) == side)]
    rows = rows.reindex(rows["contribution"].abs().sort_values(ascending=False).index)
    strategies = [s.split(":", 1)[1] for s in rows["source"] if s.startswith("strategy:")]
    agents = tuple(sorted(s.split(":", 1)[1] for s in rows["source"] if s.startswith("agent:")))
    texts = {
        sig.source: sig.rationale
        for sig in book.signals.signals
        if sig.instrument == instrument_id and sig.rationale
    }
    lines = [f"{src}: {texts[src]}" for src in rows["source"] if src in texts]
    if not lines:
        lines = ["rebalance toward the constructed book (no directional source)"]
    return (strategies[0] if strategies else "book"), agents, "; ".join(lines[:5])


def proposal_specs(
    book: Book | Decision,
    current: pd.Series,
    *,
    nav: float,
    usdbrl: float,
    min_trade: float = MIN_TRADE,
    sizes: pd.DataFrame | None = None,
    only: str | None = None,
) -> list[ProposalSpec]:
    """Trades that move ``current`` weights to the book's, largest first; listed futures in
    whole contracts at ``sizes`` (``portfolio.book.position_sizes``; a Book carries its own).
    ``only``: just the trade in that instrument, if any (a replay rebuilds one)."""
    target = book.portfolio.weights.astype(float)
    delta = target.sub(current.astype(float), fill_value=0.0)
    delta = delta[delta.abs() >= min_trade]
    if only is not None:
        delta = delta[delta.index == only]
    sizes = sizes if sizes is not None else getattr(book, "sizes", None)
    if sizes is None:
        raise TypeError("proposal_specs of a Decision needs its sizes (position_sizes)")
    values = sizes["contract_value"]
    out = []
    for iid, dw in delta.reindex(delta.abs().sort_values(ascending=False).index).items():
        inst = instrument(str(iid))
        fx = usdbrl if inst.currency == "USD" else 1.0
        value = float(values.get(iid, np.nan))
        contracts = None if np.isnan(value) else abs(whole_contracts(dw * nav / fx, value))
        if contracts is None:
            size = round(abs(dw) * nav / fx / LOT_ROUND) * LOT_ROUND
        else:
            size = contracts * value
        if size <= 0:
            continue
        side = int(np.sign(dw))
        traded = side * size * fx / nav  # what the pre-trade risk prices
        strategy, agents, rationale = _sources(book, str(iid), side)
        out.append(
            ProposalSpec(str(iid), side, size, traded, strategy, agents, rationale, contracts)
        )
    return out


def inputs_series(inputs: dict[str, Any]) -> tuple[pd.Series, pd.Series | None]:
    """The weights and NAV history a proposal stored (its risk inputs besides the lake)."""
    weights = pd.Series(inputs["weights"], dtype="float64")
    eq = inputs.get("equity") or {}
    equity = pd.Series(eq, dtype="float64") if eq else None
    if equity is not None:
        equity.index = pd.DatetimeIndex(equity.index)
    return weights, equity


def inputs_base(inputs: dict[str, Any]) -> pd.Series:
    """The book a proposal was priced against: the weights held plus the approved
    proposals not yet executed (``approved``; none for proposals stored before it was)."""
    held, _ = inputs_series(inputs)
    out = held.add(pd.Series(inputs.get("approved") or {}, dtype="float64"), fill_value=0.0)
    return out[out != 0.0]


def inputs_limits(inputs: dict[str, Any]) -> RiskLimits:
    """The limits a proposal was priced under (the shipped defaults for proposals stored
    before the limits were recorded with them)."""
    stored = inputs.get("limits")
    return RiskLimits(**stored) if stored else RiskLimits()


def inputs_impact(
    view: PITView,
    inputs: dict[str, Any],
    trade: tuple[str, float],
    before: LimitCheck | None = None,
) -> dict[str, Any]:
    """The pre-trade risk of ``trade`` (instrument, signed fraction of NAV) on the book and
    under the NAV, history and limits of ``inputs`` (``before``: that book's risk, when
    already computed)."""
    _, equity = inputs_series(inputs)
    nav, limits = float(inputs["nav"]), inputs_limits(inputs)
    base = inputs_base(inputs)  # held + approved not executed
    return trade_impact(
        view, base, trade[0], trade[1], nav=nav, equity=equity, before=before, limits=limits
    )

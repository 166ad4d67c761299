"""Collect what agents and strategies say at one as-of date, and how fresh their data is.

Strategy positions (risk units in [-1, 1]) become :class:`Signal`s with strength
``2 × |units|`` (a full risk unit counts as a 2σ view, the scale of a strong agent signal)
and a prior confidence ``STRATEGY_CONFIDENCE``. Freshness:

* an agent's signals: the mean over the series it read of 1 when the series is current and
  ``0.5 ** (age_days / period_days)`` when it is stale (its next release is overdue), so a
  monthly series a quarter late counts about an eighth;
* a strategy's signals: ``0.5 ** (days beyond 4 since its instruments' last quote / 5)``;
  a long weekend is normal, a week-old price is not.
"""

from __future__ import annotations

import hashlib
from abc import ABC
from collections.abc import Iterable, Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import TYPE_CHECKING, Generic

import numpy as np

from research_core.agents.report import AgentReport
from research_core.calendars import REBALANCE_SESSIONS
from research_core.catalog import instrument, series_catalog
from research_core.errors import (
    AgentDataError,
    BacktestError,
    InsufficientDataError,
    ModelError,
    PriceHistoryError,
)
from research_core.lake.pit import PITView
from research_core.pnl import view_reads
from research_core.records import Signal

if TYPE_CHECKING:
    from research_core.agents.store import Shelf
    from research_core.strategies.base import BaseStrategy

# Packages whose strategies' outcomes the store keeps: their source is in the store's code
# digest (``agents.store.code_digest``), so a code change gives fresh entries.
STORED_PACKAGES: tuple[str, ...] = ("research_core",)
STRATEGY_CONFIDENCE = 0.5
# a source that lacks data at the date says nothing (with the reason); other errors raise
SKIPPABLE = (AgentDataError, InsufficientDataError, ModelError, BacktestError, PriceHistoryError)
PERIOD_DAYS = {"D": 1.0, "W": 7.0, "M": 30.0, "Q": 91.0, "A": 365.0}
HORIZON_DAYS = REBALANCE_SESSIONS
DAY_NS = 86_400_000_000_000


@dataclass(frozen=True, eq=False)
class CollectedSignals:
    """Signals from every source, each source's freshness, and what could not run."""

    signals: tuple[Signal, ...]
    freshness: Mapping[str, float]
    skipped: Mapping[str, str]  # source -> why it said nothing


def freshness_from_report(report: AgentReport) -> float:
    """Freshness of an agent's signals from the age of the series it read."""
    inputs = report.inputs
    if inputs.empty:
        return 1.0
    cat = series_catalog()
    period = np.array([PERIOD_DAYS.get(cat[s].frequency, 30.0) for s in inputs["series_id"]])
    age = inputs["age_days"].to_numpy(dtype=float)
    fresh = np.where(inputs["stale"].to_numpy(dtype=bool), 0.5 ** (age / period), 1.0)
    return float(np.clip(fresh.mean(), 1e-3, 1.0))


def strategy_freshness(
    view: PITView, strategy: BaseStrategy, last: dict[str, int | None] | None = None
) -> float:
    """Freshness of a strategy's signals from the age of its instruments' last quotes.
    ``last`` keeps each instrument's last quote date (ns; None: no quote) for the other
    strategies run on the same view."""
    now = view.as_of.value  # UTC ns
    last = {} if last is None else last
    ages = []
    for iid in strategy.instruments:
        if iid not in last:
            last[iid] = last_quote(view, iid)
        quote = last[iid]
        if quote is not None:
            ages.append((now - quote) // DAY_NS)  # whole days, as Timedelta.days
    if not ages:
        return 1e-3
    return min(max(0.5 ** (max(0.0, max(ages) - 4.0) / 5.0), 1e-3), 1.0)  # in (0, 1]: no NaN


def last_quote(view: PITView, iid: str) -> int | None:
    """The obs date (ns) of an instrument's last price known to ``view``; None if none."""
    obs, _ = view_reads(view).series(instrument(iid).price_series, True)  # gaps dropped
    return int(obs[-1]) if len(obs) else None


def strategy_signals(view: PITView, strategy: BaseStrategy) -> list[Signal]:
    """A strategy's target risk units as signals (flat instruments are left out)."""
    units = _unit_items(view, strategy)
    why = strategy.describe()[:200]
    horizon = HORIZON_DAYS.get(strategy.params.rebalance, 5)
    return [
        Signal(
            view.as_of,
            f"strategy:{strategy.name}",
            str(iid),
            int(np.sign(u)),
            2.0 * abs(float(u)),
            STRATEGY_CONFIDENCE,
            horizon,
            why,
            weight=float(u),
        )
        for iid, u in units
        if u != 0.0
    ]


def _unit_items(view: PITView, strategy: BaseStrategy) -> Iterable[tuple[object, float]]:
    """``strategy.generate_signals(view).items()``, from the array it is made of when the
    strategy keeps the template's ``generate_signals`` (no Series built per strategy and
    date: its string index alone cost more than many strategies' positions)."""
    from research_core.strategies.base import BaseStrategy  # on use: a replay unpickling
    # what was gathered need not import every strategy (issue 29)

    if type(strategy).generate_signals is BaseStrategy.generate_signals:
        return zip(strategy.instruments, strategy.risk_units(view), strict=True)
    return strategy.generate_signals(view).items()


def agent_reports(
    view: PITView, names: Iterable[str] | None, skipped: dict[str, str]
) -> dict[str, AgentReport]:
    """Run each agent on its own, in dependency order: one that lacks data is recorded in
    ``skipped`` (``agent:<name>`` → why) and the others still run; an agent whose upstream
    failed fails too, naming it."""
    from research_core.agents.runner import agent_order, run_agent  # imports statsmodels

    reports: dict[str, AgentReport] = {}
    for name in agent_order(names):
        try:
            reports[name] = run_agent(view, name, reports)
        except SKIPPABLE as err:
            skipped[f"agent:{name}"] = str(err)
    return reports


def collect_signals(
    view: PITView,
    *,
    strategies: Mapping[str, BaseStrategy] | None = None,
    agents: Iterable[str] | None = None,
) -> CollectedSignals:
    """Run the agents and strategies (default: all agents, the shipped ``strategies.yaml``)
    on ``view``. Each agent and strategy succeeds or fails alone; one without enough
    history is skipped, with the reason. What each says is kept in the lake's store when
    one is in use (:func:`agent_outcomes`, :func:`strategy_outcome`)."""
    signals: list[Signal] = []
    freshness: dict[str, float] = {}
    skipped: dict[str, str] = {}
    from research_core.agents.store import shelf

    kept = shelf(view)  # read once per view: the store and the view's content stamp
    with kept.batch() if kept is not None else nullcontext():  # one write per view
        said = {f"agent:{k}": v for k, v in agent_outcomes(view, agents, kept).items()}
        last: dict[str, int | None] = {}  # last quotes, read once per instrument
        if strategies is None:
            from research_core.strategies import load_config  # on use, as BaseStrategy

            strategies = load_config()
        config = strategies
        settings = agent_settings()
        for name, strat in config.items():
            said[f"strategy:{name}"] = strategy_outcome(view, strat, last, kept, settings)
    for source, outcome in said.items():
        if outcome.skipped is not None:
            skipped[source] = outcome.skipped
        else:
            signals.extend(outcome.signals)
            freshness[source] = outcome.freshness
    return CollectedSignals(tuple(signals), freshness, skipped)


@dataclass(frozen=True)
class Outcome:
    """What one source (agent or strategy) says on one view: its signals and their
    freshness, or why it said nothing (``skipped``: it lacks data at the date). Small: the
    store keeps one per source and date."""

    signals: tuple[Signal, ...] = ()
    freshness: float = 1e-3
    skipped: str | None = None


def agent_outcomes(
    view: PITView, names: Iterable[str] | None, kept: Shelf | None = None
) -> dict[str, Outcome]:
    """Each agent's :class:`Outcome` on ``view`` (with its dependencies, in dependency
    order): read from ``kept`` (the view's shelf in the lake's store) when every one is
    there, else computed from the agents' reports (:func:`agent_reports`) and kept."""
    from research_core.agents.runner import agent_order, variant

    order = agent_order(names)
    keys = {n: f"agent.{n},{variant(n)}" for n in order}
    known = {n: None if kept is None else kept.get(keys[n], Outcome) for n in order}
    if all(known.values()):
        return {n: o for n, o in known.items() if o is not None}
    skipped: dict[str, str] = {}
    reports = agent_reports(view, order, skipped)
    out = {}
    for n in order:
        if n in reports:
            out[n] = Outcome(reports[n].signals, freshness_from_report(reports[n]))
        else:
            out[n] = Outcome(skipped=skipped[f"agent:{n}"])
        if kept is not None:
            kept.put(keys[n], out[n])
    return out


def agent_settings() -> tuple[str, ...]:
    """The agents' settings (``agents.runner.variant``): strategies that read agents
    depend on them."""
    from research_core.agents.runner import AGENTS, variant

    return tuple(map(variant, AGENTS))


def strategy_outcome(
    view: PITView,
    strategy: BaseStrategy,
    last: dict[str, int | None] | None = None,
    kept: Shelf | None = None,
    settings: tuple[str, ...] | None = None,
) -> Outcome:
    """:func:`strategy_signals` and :func:`strategy_freshness` on ``view`` (``last``: the
    quote dates other strategies read on it), or why the strategy said nothing. Read from
    and kept on ``kept``, the view's shelf in the lake's store (per snapshot, date,
    strategy, its settings and the agents' ``settings``), so the book backtest and a
    proposal run a strategy once per date; a strategy defined outside
    :data:`STORED_PACKAGES` is always computed."""
    key = None if kept is None else strategy_key(strategy, settings or agent_settings())
    known = None if kept is None or key is None else kept.get(key, Outcome)
    if known is not None:
        return known
    try:
        signals = tuple(strategy_signals(view, strategy))
    except SKIPPABLE as err:
        said = Outcome(skipped=str(err))
    else:
        said = Outcome(signals, strategy_freshness(view, strategy, last))
    if kept is not None and key is not None:
        kept.put(key, said)
    return said


def strategy_units(view: PITView, strategy: BaseStrategy) -> np.ndarray:
    """``strategy.generate_signals(view).to_numpy()`` from its :func:`strategy_outcome`,
    read from or kept on the view's shelf when a store is in use: its signals' weights in
    ``instruments`` order, 0 where it is flat. A skipped outcome keeps only the reason, so
    the strategy runs again and raises its own error as a direct call would."""
    from research_core.agents.store import shelf

    said = strategy_outcome(view, strategy, None, shelf(view))
    if said.skipped is not None:
        return strategy.generate_signals(view).to_numpy()
    weights = {s.instrument: s.weight for s in said.signals}
    return np.array([weights.get(i) or 0.0 for i in strategy.instruments], dtype=float)


def strategy_key(strategy: BaseStrategy, settings: tuple[str, ...] = ()) -> str | None:
    """The store's name for a strategy's outcomes: its name and a digest of what they
    depend on besides the view (class, parameters, the agents' ``settings``; its code is in
    the store's code digest); None for a strategy the store does not keep."""
    code = _class_code(type(strategy))
    if code is None:
        return None
    what = [code, strategy.params.model_dump_json(), *settings]
    digest = hashlib.sha256("\n".join(what).encode()).hexdigest()[:16]
    return f"strategy.{strategy.name},{digest}"


def _class_code(cls: type) -> str | None:
    """The class's name when every class of its MRO comes from :data:`STORED_PACKAGES`,
    else None: a strategy defined elsewhere (a notebook, a user's module, whatever code
    or files it reads) is computed every time, since the store cannot tell when it
    changed (an edit and a reload must never reuse the old code's positions)."""
    for c in cls.__mro__:
        if c not in (object, ABC, Generic) and c.__module__.split(".")[0] not in STORED_PACKAGES:
            return None
    return f"{cls.__module__}.{cls.__qualname__}"

"""The agent registry and the runner that calls agents in dependency order, memoized per view
and, where a store is in use, per lake snapshot and date (:mod:`research_core.agents.store`).

The registry names every agent and its dependencies without importing it: an agent's
module (and the models it fits) is imported only when the agent actually runs, so reading
stored reports (a replay, a second ``agents run`` on the same snapshot) never pays for it."""

from __future__ import annotations

import functools
import pkgutil
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from graphlib import TopologicalSorter
from types import MappingProxyType
from typing import TYPE_CHECKING, Protocol

from research_core._memo import MEMO, Kind
from research_core.agents.report import AgentReport
from research_core.errors import AgentDataError, CatalogError, InsufficientDataError

if TYPE_CHECKING:
    from research_core.agents.base import Agent
    from research_core.lake.pit import PITView


@dataclass(frozen=True)
class Entry:
    """What the runner knows of an agent before importing it (its module imports the
    models: statsmodels, scipy.stats, hmmlearn, arch)."""

    module: str  # under research_core.agents
    cls: str
    depends_on: tuple[str, ...] = ()
    variant: str = ""  # its settings (``Agent.variant``) while its module is not loaded


ENTRIES: Mapping[str, Entry] = MappingProxyType(
    {
        "inflation": Entry("inflation", "InflationAgent"),
        "monetary_policy": Entry("monetary", "MonetaryPolicyAgent"),
        "fiscal": Entry("fiscal", "FiscalAgent"),
        "fx_equilibrium": Entry("fx", "FxEquilibriumAgent"),
        "cross_asset": Entry(
            "cross_asset",
            "CrossAssetAgent",
            ("inflation", "monetary_policy", "fiscal", "fx_equilibrium"),
            "refit=yearly",
        ),
    }
)


def _module(name: str) -> str:
    return f"research_core.agents.{ENTRIES[name].module}"


LOADED: dict[str, type[Agent]] = {}  # the registered agent classes whose module is loaded


def loaded(cls: type[Agent]) -> None:
    """Called as each agent class is defined (``Agent.__init_subclass__``): the class its
    entry names, once its module is imported (a subclass elsewhere is not the agent)."""
    entry = ENTRIES.get(getattr(cls, "name", ""))
    if entry is not None and (cls.__module__, cls.__name__) == (_module(cls.name), entry.cls):
        LOADED[cls.name] = cls


class _Registry(Mapping[str, "type[Agent]"]):
    """The agent classes by name, each module imported when its class is first asked for."""

    def __getitem__(self, name: str) -> type[Agent]:
        cls: type[Agent] = pkgutil.resolve_name(f"{_module(name)}:{ENTRIES[name].cls}")
        return cls

    def __contains__(self, name: object) -> bool:
        return name in ENTRIES

    def __iter__(self) -> Iterator[str]:
        return iter(ENTRIES)

    def __len__(self) -> int:
        return len(ENTRIES)


AGENTS: Mapping[str, type[Agent]] = _Registry()


def agent_order(names: Iterable[str] | None = None) -> list[str]:
    """The named agents plus their dependencies, dependencies first."""
    wanted = tuple(ENTRIES) if names is None else tuple(names)
    unknown = [n for n in wanted if n not in ENTRIES]
    if unknown:
        raise CatalogError(f"unknown agent(s) {unknown}; valid: {sorted(AGENTS)}")
    return list(_order(wanted))


@functools.lru_cache(maxsize=64)
def _order(wanted: tuple[str, ...]) -> tuple[str, ...]:
    """:func:`agent_order` of known names: the registry is fixed (a read-only mapping),
    so each request's order is worked out once (a runner asks at every lookup)."""
    graph: dict[str, tuple[str, ...]] = {}
    todo = list(wanted)
    while todo:
        name = todo.pop()
        if name not in graph:
            graph[name] = ENTRIES[name].depends_on
            todo.extend(graph[name])
    return tuple(TopologicalSorter(graph).static_order())


class ReportStore(Protocol):
    """Where reports outlive a process (:mod:`research_core.agents.store`): keyed by the
    agent, its settings and the view's content, never by anything a view cannot see."""

    def get(self, view: PITView, agent: str, variant: str) -> AgentReport | None: ...

    def put(self, view: PITView, agent: str, variant: str, report: AgentReport) -> None: ...


@dataclass(frozen=True)
class NotYet:
    """Why an agent could not run on a view (too little history): raised again, as a fresh
    error of the same class, whenever that view asks for it."""

    error: type[AgentDataError] | type[InsufficientDataError]
    message: str


# What an agent said on a view: its report, or why it could not run yet.
REPORTS: Kind[AgentReport | NotYet] = Kind("agent reports", 1024)  # a few MB: 5 agents x
# every month-end of a long backtest
# The stores in use, by the lake's opaque key (``view.cache_key[0]``): a stack per lake, the
# newest in use on top; each block removes its own entry, so blocks that overlap in threads
# (a page server, the pipeline's steps) leave no store behind once they are all done.
_STORES: dict[str, list[ReportStore]] = {}
_STORES_LOCK = threading.Lock()


@contextmanager
def using_store(lake_key: str, store: ReportStore) -> Iterator[None]:
    """Read and keep reports of views of the lake ``lake_key`` in ``store`` in the block."""
    with _STORES_LOCK:
        _STORES.setdefault(lake_key, []).append(store)
    try:
        yield
    finally:
        with _STORES_LOCK:
            stack = _STORES[lake_key]
            del stack[max(i for i, s in enumerate(stack) if s is store)]
            if not stack:
                del _STORES[lake_key]


def store_for(view: PITView) -> ReportStore | None:
    """The store in use for ``view``'s lake, if any; only real-time (as_of) views use one."""
    return _store(view.cache_key)


def _store(content: tuple[object, ...]) -> ReportStore | None:
    """:func:`store_for` of a view's ``cache_key`` (worked out once per agent run)."""
    if content[-1] != "as_of":
        return None
    with _STORES_LOCK:
        stack = _STORES.get(str(content[0]))
        return stack[-1] if stack else None


def variant(name: str) -> str:
    """The settings an agent's report depends on: its own and its dependencies'."""
    return ",".join(v for n in _order((name,)) if (v := _own_variant(n)))


def _own_variant(name: str) -> str:
    """An agent's own settings: its class's while its module is loaded (a block may have
    changed them), else the default its entry declares (no import to learn it)."""
    cls = LOADED.get(name)
    return ENTRIES[name].variant if cls is None else cls.variant()


def _known(view: PITView, name: str) -> AgentReport | None:
    """A report already made on this view's content: in memory, or in the lake's store;
    a failure already met on it is raised again."""
    return _lookup(view, name)[2]


def _lookup(
    view: PITView, name: str
) -> tuple[tuple[object, ...], ReportStore | None, AgentReport | None]:
    """The memo key of ``name``'s report on ``view``, the store in use, and the report
    already made on this content (:func:`_known`), each worked out once."""
    content = view.cache_key
    key = (*content, name, variant(name))
    store = _store(content)
    outcome = MEMO.get(REPORTS, key)
    if outcome is None and store is not None:
        outcome = store.get(view, name, str(key[-1]))
        if outcome is not None:
            MEMO.put(REPORTS, key, outcome)
    if isinstance(outcome, NotYet):
        raise outcome.error(outcome.message)
    return key, store, outcome


def run_agent(view: PITView, name: str, upstream: Mapping[str, AgentReport]) -> AgentReport:
    """One agent's report on ``view`` given its dependencies' reports on the same view.

    Memoized per view (lake, snapshot, vintage), and kept in the lake's report store when
    one is in use (:func:`using_store`): what an agent says depends only on what the view
    can see, so the daily book, the strategies that read agents, the book backtest and the
    PMS share one run. An agent without enough history yet (``AgentDataError``,
    ``InsufficientDataError``) raises, and raises the same error again on the same view
    without running (the failure is memoized in process, not stored).
    """
    key, store, report = _lookup(view, name)
    if report is None:
        from research_core._threads import one_thread  # threadpoolctl: only to compute

        agent = AGENTS[name]()  # imports its module: the libraries it fits with are loaded
        try:
            with one_thread():  # their BLAS/OpenMP pools too: many tiny fits (issue 29)
                report = agent.run(
                    view, {d: upstream[d] for d in agent.depends_on if d in upstream}
                )
        except (AgentDataError, InsufficientDataError) as err:
            MEMO.put(REPORTS, key, NotYet(type(err), str(err)))
            raise
        MEMO.put(REPORTS, key, report)
        store = _store(key[:-2])  # the store in use now (a block may have ended meanwhile)
        if store is not None:
            store.put(view, name, str(key[-1]), report)
    return report


def agent_report(view: PITView, name: str) -> AgentReport:
    """One agent's report on ``view``; its dependencies run only if it is not already
    known (memoized or stored), as a strategy that reads one agent needs."""
    report = _known(view, name)
    if report is not None:
        return report
    upstream = {d: agent_report(view, d) for d in ENTRIES[name].depends_on}
    return run_agent(view, name, upstream)


def run_agents(view: PITView, names: Iterable[str] | None = None) -> dict[str, AgentReport]:
    """Run agents on one view in dependency order; each sees its dependencies' reports."""
    reports: dict[str, AgentReport] = {}
    for name in agent_order(names):
        reports[name] = run_agent(view, name, reports)
    return reports

"""The agent registry and the runner that calls agents in dependency order, memoized per view."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from graphlib import TopologicalSorter
from types import MappingProxyType

from research_core.agents.base import Agent, AgentReport
from research_core.agents.cross_asset import CrossAssetAgent
from research_core.agents.fiscal import FiscalAgent
from research_core.agents.fx import FxEquilibriumAgent
from research_core.agents.inflation import InflationAgent
from research_core.agents.monetary import MonetaryPolicyAgent
from research_core.errors import CatalogError
from research_core.lake.pit import PITView

AGENTS: Mapping[str, type[Agent]] = MappingProxyType(
    {
        cls.name: cls
        for cls in (
            InflationAgent,
            MonetaryPolicyAgent,
            FiscalAgent,
            FxEquilibriumAgent,
            CrossAssetAgent,
        )
    }
)


def agent_order(names: Iterable[str] | None = None) -> list[str]:
    """The named agents plus their dependencies, dependencies first."""
    wanted = list(AGENTS) if names is None else list(names)
    unknown = [n for n in wanted if n not in AGENTS]
    if unknown:
        raise CatalogError(f"unknown agent(s) {unknown}; valid: {sorted(AGENTS)}")
    graph: dict[str, tuple[str, ...]] = {}
    todo = list(wanted)
    while todo:
        name = todo.pop()
        if name not in graph:
            graph[name] = AGENTS[name].depends_on
            todo.extend(graph[name])
    return list(TopologicalSorter(graph).static_order())


_REPORTS: dict[tuple[object, ...], AgentReport] = {}
_REPORTS_SIZE = 256


def run_agent(view: PITView, name: str, upstream: Mapping[str, AgentReport]) -> AgentReport:
    """One agent's report on ``view`` given its dependencies' reports on the same view.

    Memoized per view (lake, snapshot, vintage): what an agent says depends only on what
    the view can see, so the daily book, the strategies that read agents and the PMS share
    one run. Failures are not memoized (they raise again).
    """
    key = (*view.cache_key, name)
    report = _REPORTS.get(key)
    if report is None:
        agent = AGENTS[name]()
        report = agent.run(view, {d: upstream[d] for d in agent.depends_on if d in upstream})
        if len(_REPORTS) >= _REPORTS_SIZE:
            _REPORTS.pop(next(iter(_REPORTS)))
        _REPORTS[key] = report
    return report


def run_agents(view: PITView, names: Iterable[str] | None = None) -> dict[str, AgentReport]:
    """Run agents on one view in dependency order; each sees its dependencies' reports."""
    reports: dict[str, AgentReport] = {}
    for name in agent_order(names):
        reports[name] = run_agent(view, name, reports)
    return reports

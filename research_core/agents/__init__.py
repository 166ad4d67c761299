"""The five analytical agents and the runner that calls them in dependency order.

``run_agents(view)`` runs every agent (or the named ones plus what they depend on) on one
point-in-time view and returns their reports by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from research_core._lazy import lazy_exports

if TYPE_CHECKING:
    from research_core.agents.base import Agent, AgentReport
    from research_core.agents.runner import AGENTS, agent_order, run_agent, run_agents

_WHERE = {
    "Agent": "base",
    "AgentReport": "base",
    "AGENTS": "runner",
    "agent_order": "runner",
    "run_agent": "runner",
    "run_agents": "runner",
}
__getattr__ = lazy_exports(__name__, _WHERE)

__all__ = ["AGENTS", "Agent", "AgentReport", "agent_order", "run_agent", "run_agents"]

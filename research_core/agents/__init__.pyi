"""Public names of ``research_core.agents``: the one list, read by type checkers and by
``lazy_loader`` (each name imports its module on first use)."""

from .base import Agent as Agent
from .report import AgentReport as AgentReport
from .runner import (
    AGENTS as AGENTS,
    agent_order as agent_order,
    run_agent as run_agent,
    run_agents as run_agents,
)

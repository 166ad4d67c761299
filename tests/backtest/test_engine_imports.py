"""Importing the engine is cheap (issue 29, one strategy backtest from the CLI): the agents,
the strategies and ``scipy.stats`` load when a backtest runs, not when the engine is
imported (they were 3.7 s of a 9 s CLI backtest)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

_PROBE = """
import json, sys
import research_core.backtest.engine
heavy = ("research_core.agents", "research_core.strategies", "scipy.stats")
print(json.dumps(sorted(m for m in sys.modules if m.startswith(heavy))))
"""


def test_importing_the_engine_loads_no_agent_strategy_or_scipy_stats() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert json.loads(out.stdout.splitlines()[-1]) == []

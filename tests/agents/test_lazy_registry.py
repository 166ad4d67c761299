"""The registry knows the agents without importing them (issue 29: a replay or a second
``agents run`` on the same snapshot reads stored reports and must not pay for the models'
imports): importing the store, the runner and the registry loads no agent module and none
of scipy.stats, statsmodels, hmmlearn or arch."""

from __future__ import annotations

import json
import subprocess
import sys

from research_core.agents.cross_asset import regime_refit
from research_core.agents.runner import AGENTS, ENTRIES, variant

HEAVY = ("scipy.stats", "statsmodels", "hmmlearn", "arch", "sklearn")
AGENT_MODULES = tuple(f"research_core.agents.{e.module}" for e in ENTRIES.values())
PROBE = """
import json, sys
import research_core.agents.store
from research_core.agents import AGENTS, agent_order
from research_core.agents.runner import variant
names = agent_order()
assert "cross_asset" in AGENTS and "nobody" not in AGENTS
loaded = sorted(sys.modules)
print(json.dumps({"names": names, "variant": variant("cross_asset"), "loaded": loaded}))
"""


def test_store_runner_and_registry_import_no_agent_and_no_model_library():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    got = json.loads(out.stdout)
    loaded = set(got["loaded"])
    assert not [m for m in loaded if m.split(".")[0] in HEAVY or m in HEAVY]
    assert "scipy.stats" not in loaded and "research_core.agents.base" not in loaded
    assert not loaded & set(AGENT_MODULES)
    # dependencies first, as the runner calls them (cross_asset reads the other four)
    assert got["names"][-1] == "cross_asset" and len(got["names"]) == 5
    assert got["variant"] == "refit=yearly"


def test_each_entry_says_what_its_class_says():
    for name, entry in ENTRIES.items():
        cls = AGENTS[name]
        assert cls.__name__ == entry.cls and cls.name == name
        assert cls.depends_on == entry.depends_on
        assert cls.variant() == entry.variant


def test_a_settings_block_changes_the_variant_of_a_loaded_agent_and_its_dependents():
    with regime_refit("every"):
        assert variant("cross_asset") == "refit=every"
    assert variant("cross_asset") == "refit=yearly"
    assert variant("inflation") == ""

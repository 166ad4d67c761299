"""Only strategies whose code is in the store's digest are kept (reviews of issue 29's
strategy store: an outside strategy's helper module, a sibling package, a data file it
reads or an edit and reload in a notebook left its key, and its stored positions, as they
were); and the store's code digest covers the time zone setting."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from research_core.agents import store
from research_core.config import get_settings
from research_core.signals.sources import strategy_key
from research_core.strategies import load_config

OUTSIDE = '''
from research_core.strategies.base import BaseStrategy, StrategyParams

class Outside(BaseStrategy[StrategyParams]):
    """TEST: a strategy in a user's package. Reference: none."""
    name = "TEST_OUTSIDE"
    family = "rates"
    instruments = ("DI1.1Y",)

    def positions(self, view):
        return {"DI1.1Y": 0.5}
'''


def test_an_outside_strategy_is_never_kept_a_shipped_one_is(tmp_path: Path, monkeypatch) -> None:
    pkg = tmp_path / "userstrats"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "level.py").write_text(OUTSIDE)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        outside = importlib.import_module("userstrats.level").Outside
        assert strategy_key(outside()) is None  # computed every time
    finally:
        for name in [m for m in sys.modules if m.split(".")[0] == "userstrats"]:
            del sys.modules[name]
    shipped = load_config()["RATES_BR_01"]
    key = strategy_key(shipped)
    assert key is not None and key.startswith("strategy.RATES_BR_01,")


def test_the_time_zone_is_part_of_the_code_digest(monkeypatch) -> None:
    store.code_digest.cache_clear()
    here = store.code_digest()
    monkeypatch.setenv("WORKBENCH_TIMEZONE", "America/New_York")
    get_settings.cache_clear()
    store.code_digest.cache_clear()
    try:
        assert store.code_digest() != here
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()
        store.code_digest.cache_clear()
    assert store.code_digest() == here

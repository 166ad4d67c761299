"""The store's key of a strategy defined outside research_core covers the code it imports
beside it (review of issue 29's strategy store: a helper module's change left the key, and
the stored positions, as they were), and the store's code digest covers the time zone."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

from research_core.agents import store
from research_core.config import get_settings
from research_core.signals import sources


def _fresh_import(name: str) -> type:
    """The class ``Strat`` of module ``name`` as a new process would see it."""
    for mod in [m for m in sys.modules if m == "extpkg" or m.startswith("extpkg.")]:
        del sys.modules[mod]
    sources._class_code.cache_clear()
    sources._tree_digest.cache_clear()
    return importlib.import_module(name).Strat


def test_a_helper_of_an_outside_strategy_changes_its_key(tmp_path: Path, monkeypatch) -> None:
    pkg = tmp_path / "extpkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "helper.py").write_text("SIGN = 1.0\n")
    (pkg / "strat.py").write_text("from extpkg import helper\n\nclass Strat:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = sources._class_code(_fresh_import("extpkg.strat"))
    (pkg / "helper.py").write_text("SIGN = -1.0\n")  # the strategy's code is unchanged
    after = sources._class_code(_fresh_import("extpkg.strat"))
    assert before is not None and after is not None
    assert before.split(";")[0] == after.split(";")[0] == "extpkg.strat.Strat"
    assert before != after
    for mod in [m for m in sys.modules if m == "extpkg" or m.startswith("extpkg.")]:
        del sys.modules[mod]


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

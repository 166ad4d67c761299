"""The backtest imports only to its left in the house's order (DESIGN.md, issue 28): its
report takes figures made by ``research_core.viz.backtests`` instead of importing viz."""

from __future__ import annotations

import ast
from pathlib import Path

BACKTEST = Path(__file__).resolve().parents[2] / "research_core" / "backtest"
# to the right of ``backtest`` in DESIGN.md's order: health (beside it), pms and after
RIGHT = ("health", "pms", "narrative", "viz", "runs", "pipeline", "cli", "serve")


def _imported(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(a.name for a in node.names)
    return names


def test_no_backtest_module_imports_to_its_right() -> None:
    wrong = {
        f"{path.name}: {name}"
        for path in sorted(BACKTEST.glob("*.py"))
        for name in _imported(path)
        if name.split(".")[:2] in (["research_core", r] for r in RIGHT)
    }
    assert wrong == set()

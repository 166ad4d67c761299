"""The house's import order (README, "The map of research_core"): a module imports only
from its own unit or from units to its left, and no two units import each other (#28).
Every import is read from the source (AST), those inside functions included."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "research_core"

# Left to right; a unit may import only from its own row and the rows above it.
ORDER: tuple[frozenset[str], ...] = tuple(
    frozenset(row.split())
    for row in (
        "__init__ config _typing errors records calendars catalog models _files _memo _secrets"
        " _threads _version formats palette identity workspace startup page_registry runs",
        "connectors",
        "lake",
        "events tone",
        "curves",
        "pnl ntnb",
        "agents",
        "strategies",
        "signals",
        "risk",
        "portfolio",
        "backtest health",
        "pms",
        "alerts",
        "narrative",
        "viz",
        "operations serve_env serve_auth serve_static serve pipeline cli",
    )
)
RANK = {unit: i for i, row in enumerate(ORDER) for unit in row}


def imports(root: Path = ROOT) -> dict[tuple[str, str], list[str]]:
    """(importing unit, imported unit) -> where, for every research_core import."""
    found: dict[tuple[str, str], list[str]] = {}
    for path in sorted(root.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        unit = path.relative_to(root).parts[0].removesuffix(".py")
        for node in ast.walk(ast.parse(path.read_text())):
            names: list[str] = []
            if isinstance(node, ast.ImportFrom) and node.module and not node.level:
                if node.module == "research_core":
                    names = [a.name for a in node.names]
                elif node.module.startswith("research_core."):
                    names = [node.module.split(".")[1]]
            elif isinstance(node, ast.Import):
                names = [
                    a.name.split(".")[1] for a in node.names if a.name.startswith("research_core.")
                ]
            for name in names:
                if name != unit:
                    found.setdefault((unit, name), []).append(f"{path.name}:{node.lineno}")
    return found


def test_every_unit_has_a_place_in_the_order():
    units = {p.name.removesuffix(".py") for p in ROOT.iterdir() if p.suffix == ".py" or p.is_dir()}
    units.discard("__pycache__")
    assert sorted(units - set(RANK)) == []


def against_and_circles(
    found: dict[tuple[str, str], list[str]],
) -> tuple[dict[tuple[str, str], list[str]], list[tuple[str, ...]]]:
    against = {k: v for k, v in found.items() if RANK.get(k[1], -1) > RANK.get(k[0], len(ORDER))}
    circles = sorted({tuple(sorted(k)) for k in found if (k[1], k[0]) in found})
    return against, circles


def test_imports_point_left_and_no_two_units_import_each_other():
    assert against_and_circles(imports()) == ({}, [])


def test_the_check_sees_an_import_against_the_order_and_a_circle(tmp_path):
    # a lake module reading the agents inside a function, and two units reading each other
    (tmp_path / "lake").mkdir()
    (tmp_path / "lake" / "x.py").write_text(
        "def f():\n    from research_core.agents import AGENTS\n"
    )
    (tmp_path / "serve.py").write_text("import research_core.serve_static\n")
    (tmp_path / "serve_static.py").write_text("from research_core import serve\n")
    against, circles = against_and_circles(imports(tmp_path))
    assert against == {("lake", "agents"): ["x.py:2"]}
    assert circles == [("serve", "serve_static")]

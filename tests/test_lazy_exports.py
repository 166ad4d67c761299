"""Lazy public names (issue 28 item 4): each package's ``__init__.pyi`` is its one export
list — ``lazy_loader`` reads it at run time and type checkers read it instead of the
package — so a stub that names something its module lacks fails here, and a misspelt
import fails ``mypy``."""

from __future__ import annotations

import ast
import importlib
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
STUBS = sorted((ROOT / "research_core").rglob("__init__.pyi"))


def _exports(stub: Path) -> dict[str, str]:
    """{name: submodule} from a stub's ``from .module import name as name`` lines."""
    out = {}
    for node in ast.parse(stub.read_text(encoding="utf-8")).body[1:]:  # after the docstring
        assert isinstance(node, ast.ImportFrom) and node.level == 1 and node.module
        for alias in node.names:
            assert alias.asname == alias.name, f"{stub}: {alias.name} is not re-exported"
            out[alias.name] = node.module
    return out


def test_the_stubbed_packages_are_the_lazy_ones() -> None:
    names = {s.parent.name for s in STUBS}
    assert names == {"agents", "backtest", "health", "models", "pipeline", "pms", "risk"}


@pytest.mark.parametrize("stub", STUBS, ids=lambda s: s.parent.name)
def test_every_stub_name_is_its_modules_object(stub: Path) -> None:
    package = f"research_core.{stub.parent.name}"
    exports = _exports(stub)
    pkg = importlib.import_module(package)
    assert sorted(pkg.__all__) == sorted(exports)
    for name, module in exports.items():
        assert name != module, f"{package}.{name} shares its module's name"
        real = getattr(importlib.import_module(f"{package}.{module}"), name)
        assert getattr(pkg, name) is real


def test_a_misspelt_import_fails_mypy(tmp_path: Path) -> None:
    """The project's mypy options (pyproject.toml) on a two-line file; run from the repo
    root so the cache of ``make test``'s mypy run is reused."""
    options = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["mypy"]
    options.pop("packages")
    ini = "[mypy]\n" + "".join(f"{k} = {v}\n" for k, v in options.items())
    (tmp_path / "mypy.ini").write_text(ini)
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from research_core.risk import risk_reportt\nfrom research_core.pms import init_db\n"
    )
    cmd = [sys.executable, "-m", "mypy", f"--config-file={tmp_path / 'mypy.ini'}", str(probe)]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    assert 'has no attribute "risk_reportt"' in done.stdout
    assert "init_db" not in done.stdout  # the correct name passes

"""Package names that load their module on first use (PEP 562 module ``__getattr__``).

Importing a package should not import its heavy members: a pipeline step that needs
``ledoit_wolf`` must not pay for statsmodels, and ``workbench --help`` must not import
SQLAlchemy. A package lists where each public name lives and sets
``__getattr__ = lazy_exports(__name__, WHERE)``; type checkers see the real imports under
``TYPE_CHECKING``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, where: Mapping[str, str]) -> Callable[[str], Any]:
    """A module ``__getattr__`` that imports ``package.<where[name]>`` on first use.

    A name may not equal its module's name: once that submodule is imported, Python sets
    the package attribute to the module and ``from package import name`` would return it.
    """
    clash = sorted(n for n, module in where.items() if n == module)
    if clash:
        raise ImportError(f"{package}: {clash} share their module's name; rename the module")

    def __getattr__(name: str) -> Any:
        if name not in where:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{where[name]}"), name)

    return __getattr__

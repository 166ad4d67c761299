"""Every registered strategy and agent reads the lake only through the view it is given.

Issue 24 ("look-ahead doors"): Python is not a sandbox, so besides closing the doors on
the view itself (``test_boundary.py``) the source of every registered strategy and agent
(the modules of its classes and the strategy/agent helper modules they import) is scanned
(AST) for ways around the view: importing the lake's internals, the configuration's lake
path, file or database I/O, the view's private parts, and interpreter introspection (gc,
inspect, frames, ctypes, ``object.__setattr__``). A scan of names cannot see everything (a
name built at run time); the engine's default verification is the check of what it misses.
"""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest

from research_core.agents import AGENTS
from research_core.lake.pit import PITReader, PITView
from research_core.lake.vintage import VintageView
from research_core.strategies import STRATEGIES

ROOT = Path(__file__).resolve().parents[2]

# What a strategy or agent may import from modules that can reach the lake: the view's type
# (for annotations), a pure staleness rule, and the settings (for the time zone a report
# prints in; ``.lake_path`` is refused below).
ALLOWED = {
    ("research_core.lake.pit", "PITView"),
    ("research_core.lake.quality", "staleness"),
    ("research_core.config", "get_settings"),
}
REACHES_THE_LAKE = ("research_core.lake", "research_core.config", "research_core.backtest")
REACHES_THE_LAKE += ("research_core.pms", "research_core.runs", "research_core._files")
REACHES_THE_LAKE += ("research_core.connectors", "research_core.pipeline")
# Standard and third-party modules for I/O and introspection.
IO_OR_INTROSPECTION = {
    *("os", "io", "sys", "pathlib", "shutil", "glob", "tempfile", "mmap", "fileinput"),
    *("gc", "inspect", "ctypes", "cffi", "importlib", "pickle", "marshal", "shelve", "dill"),
    *("builtins", "weakref", "subprocess", "socket", "urllib", "httpx", "requests"),
    *("duckdb", "pyarrow", "sqlite3", "sqlalchemy", "psycopg2", "h5py", "tables", "zipfile"),
}
NAMES = {"Lake", "LakeFiles", "PITReader", "open", "exec", "eval", "compile", "__import__"}
NAMES |= {"globals", "locals", "vars", "setattr", "delattr", "breakpoint", "memoryview"}
_VIEW_PRIVATE = {
    n
    for cls in (PITView, VintageView, PITReader)
    for k in cls.__mro__
    for n in (*vars(k), *getattr(k, "__slots__", ()))
    if n.startswith("_") and not n.startswith("__")
}
ATTRIBUTES = _VIEW_PRIVATE | {"_release_ns", "_files", "_specs", "_known_by", "_tz", "_lake"}
ATTRIBUTES |= {"lake_root", "lake_path", "root", "reader", "snapshot", "at_snapshot"}
ATTRIBUTES |= {"read_parquet", "read_csv", "read_feather", "read_pickle", "read_table"}
ATTRIBUTES |= {"read_hdf", "read_sql", "read_json", "read_excel", "fromfile", "memmap"}
ATTRIBUTES |= {"__setattr__", "__delattr__", "__globals__", "__closure__"}
ATTRIBUTES |= {"__code__", "__subclasses__", "__self__", "__func__", "__class__", "__bases__"}
ATTRIBUTES |= {"__mro__", "__getattribute__", "__builtins__", "__reduce__", "__reduce_ex__"}
ATTRIBUTES |= {"f_back", "f_globals", "f_locals", "tb_frame", "gi_frame", "cr_frame"}
ATTRIBUTES |= {"_getframe", "get_objects", "get_referrers", "get_referents"}


def _refused_import(module: str, name: str | None) -> bool:
    if module.split(".")[0] in IO_OR_INTROSPECTION:
        return True
    reaches = any(module == m or module.startswith(m + ".") for m in REACHES_THE_LAKE)
    return reaches and (module, name) not in ALLOWED


def findings(source: str, where: str = "<snippet>") -> list[str]:
    """Every way around the view in ``source``: ``where:line what``."""
    out = []
    for node in ast.walk(ast.parse(source)):
        what = None
        if isinstance(node, ast.Import):
            bad = [a.name for a in node.names if _refused_import(a.name, None)]
            what = f"import {', '.join(bad)}" if bad else None
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            mod = node.module or ""
            bad = [a.name for a in node.names if _refused_import(mod, a.name)]
            what = f"from {mod} import {', '.join(bad)}" if bad else None
        elif isinstance(node, ast.Name) and node.id in NAMES:
            what = f"name {node.id}"
        elif isinstance(node, ast.Attribute) and node.attr in ATTRIBUTES:
            what = f".{node.attr}"
        elif isinstance(node, ast.Constant) and node.value in ATTRIBUTES | NAMES:
            what = f"string {node.value!r}"  # getattr(view, "_reader"), ...
        if what:
            out.append(f"{where}:{getattr(node, 'lineno', '?')} {what}")
    return out


def _module_file(module: str) -> Path | None:
    """The source file of a research_core module (not a package), if it is one."""
    path = ROOT / (module.replace(".", "/") + ".py")
    return path if path.is_file() else None


def scanned_files() -> set[Path]:
    """The modules of every registered strategy and agent class and of their research_core
    bases, plus the strategy/agent modules those import (helpers), transitively."""
    classes = [*STRATEGIES.values(), *AGENTS.values()]
    todo = {
        Path(inspect.getfile(k))
        for cls in classes
        for k in cls.__mro__
        if k.__module__.startswith("research_core.")
    }
    done: set[Path] = set()
    while todo:
        path = todo.pop()
        done.add(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if not node.module.startswith(("research_core.strategies", "research_core.agents")):
                continue
            for mod in (node.module, *(f"{node.module}.{a.name}" for a in node.names)):
                found = _module_file(mod)
                if found is not None and found not in done:
                    todo.add(found)
    return done


def test_no_registered_strategy_or_agent_reaches_around_its_view() -> None:
    files = scanned_files()
    names = {p.relative_to(ROOT).as_posix() for p in files}
    assert {"research_core/strategies/rates.py", "research_core/strategies/_market.py"} <= names
    assert {"research_core/agents/monetary.py", "research_core/agents/_features.py"} <= names
    assert len(STRATEGIES) >= 30 and len(AGENTS) == 5
    found = [f for p in sorted(files) for f in findings(p.read_text(), p.relative_to(ROOT))]
    assert found == []


@pytest.mark.parametrize(
    "door",
    [
        "view._reader._release_ns = 2**63 - 1",
        "object.__setattr__(view, 'slot', later)",
        "r = view._reader; PITReader(r._files, r._specs, tz=r.tz, known_by=k, release_limit=None)",
        "Lake.open(view._reader.lake_root).at(later)",
        "from research_core.lake import Lake",
        "from research_core.lake.store import Lake as L",
        "import research_core.lake.files",
        "from research_core.config import get_settings\nget_settings().lake_path",
        "pd.read_parquet(path)",
        "with open(path) as fh: fh.read()",
        "getattr(view, '_reader')",
        "import gc\n[o for o in gc.get_objects()]",
        "import sys\nsys._getframe(1).f_back.f_locals['lake']",
        "import inspect\ninspect.stack()",
        "import ctypes",
        "type(view).at.__globals__['_BOUNDS']",
        "from research_core.backtest.causality import AsOfLakes",
    ],
)
def test_the_scan_finds_each_known_door(door: str) -> None:
    """Each door of issue 24 (and the interpreter walks the docs name) is found."""
    assert findings(door) != []

"""The point-in-time boundary: nothing reachable from a view sees past its as-of.

Issue 13 ("The point-in-time boundary, in one place"): a strategy doing
``view._lake.at(later)`` used to read the future. Here a view's whole object graph
(attributes, slots, containers, closures, bound methods, properties) is walked and every
method found is called; no object found or returned may hold a row released after the
as-of, nor one stored after the view's ``known_by``, nor name the lake (a ``Lake``, its
files, its root path). Issue 24 ("look-ahead doors"): a view's slots were writable, a
reader could be rebuilt from a view's parts, and ``Lake.open(view._reader.lake_root)``
opened the whole lake.
"""

from __future__ import annotations

import ast
import copy
import functools
import pickle
import types
from dataclasses import FrozenInstanceError
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from research_core.errors import LookAheadError
from research_core.lake import Lake
from research_core.lake.files import LakeFiles
from research_core.lake.pit import PITReader, PITView
from research_core.lake.vintage import VintageView
from tests.lake.conftest import rows

ROOT = Path(__file__).resolve().parents[2]
AS_OF = pd.Timestamp("2024-03-01 12:00", tz="UTC")
# Values that exist only after AS_OF (new period / revision) or were stored after a snapshot.
FUTURE_PERIOD, FUTURE_REVISION, LATE_INGEST = 999.0, 888.0, 777.0
SENTINELS = (FUTURE_PERIOD, FUTURE_REVISION, LATE_INGEST)
ARGS: tuple[tuple[Any, ...], ...] = ((), ("TEST.A",), (["TEST.A"],), ("2024-12-31",))


_LIBRARIES = {"builtins", "collections", "numpy", "pandas", "pyarrow", "pathlib"}


def _library(obj: Any) -> bool:
    return type(obj).__module__.split(".")[0] in _LIBRARIES


def _children(obj: Any) -> list[Any]:
    out: list[Any] = []
    if isinstance(obj, dict):
        out += [*obj.keys(), *obj.values()]
    elif isinstance(obj, list | tuple | set | frozenset):
        out += list(obj)
    if isinstance(obj, types.FunctionType):
        out += [c.cell_contents for c in obj.__closure__ or ()]
        out += list(obj.__defaults__ or ())
        return out
    if isinstance(obj, types.MethodType):
        return [obj.__self__, obj.__func__]
    if isinstance(obj, functools.partial):
        return [obj.func, *obj.args, *obj.keywords.values()]
    if _library(obj):
        return out  # builtins and libraries: their contents, not their methods
    out += list(getattr(obj, "__dict__", {}).values())
    for cls in type(obj).__mro__:
        for slot in getattr(cls, "__slots__", ()):
            if hasattr(obj, slot):
                out.append(getattr(obj, slot))
    for name in dir(obj):  # properties and bound methods, private ones included
        if not name.startswith("__"):
            try:
                out.append(getattr(obj, name))
            except Exception:  # noqa: BLE001  # a property may refuse: not a leak
                continue
    return out


def _leaks(obj: Any, as_of: pd.Timestamp, root: str, sentinels: tuple[float, ...]) -> bool:
    """Does this value hold a sentinel or a release_time after ``as_of``, or name the lake
    (a Lake, its files, a path or text holding its root)?"""
    if isinstance(obj, Lake | LakeFiles | Path):
        return True
    if isinstance(obj, str | bytes):
        return root in (obj.decode(errors="replace") if isinstance(obj, bytes) else obj)
    if isinstance(obj, float):
        return obj in sentinels
    if isinstance(obj, np.ndarray) and obj.dtype.kind == "f":
        return bool(np.isin(obj, sentinels).any())
    if isinstance(obj, pa.Table):
        obj = obj.to_pandas()
    if isinstance(obj, pd.Series):
        obj = obj.to_frame()
    if isinstance(obj, pd.DataFrame):
        nums = obj.select_dtypes("number").to_numpy(dtype=float, na_value=np.nan)
        late = "release_time" in obj and bool((obj["release_time"] > as_of).any())
        return bool(np.isin(nums, sentinels).any()) or late
    return False


_LEAF = (str, bytes, int, float, bool, type(None), pd.Timestamp, np.ndarray, np.generic)


def walk_and_call(
    view: Any, as_of: pd.Timestamp, root: Path, sentinels: tuple[float, ...] = SENTINELS
) -> int:
    """Walk everything reachable from ``view``, calling every method of the package found
    with a few argument lists; fail on any leak (``root``: the lake's, which nothing may
    name). Returns how many objects were visited.

    Each bound method is called once per argument list (``getattr`` makes a new bound
    method object every time, so they are keyed by their object and function)."""
    seen: set[int] = set()
    called: set[tuple[int, int]] = set()
    keep: list[Any] = []  # keeps ids unique while walking
    stack: list[Any] = [view, repr(view), str(view)]
    names = str(root.resolve())
    while stack:
        obj = stack.pop()
        if id(obj) in seen or isinstance(obj, types.ModuleType | type):
            continue
        if isinstance(obj, types.MethodType):
            key = (id(obj.__self__), id(obj.__func__))
            if key in called:
                continue
            called.add(key)
        seen.add(id(obj))
        keep.append(obj)
        leak = _leaks(obj, as_of, names, sentinels)
        assert not leak, f"reachable object leaks: {obj!r:.200}"
        if isinstance(obj, (pd.DataFrame, pd.Series, pd.Index, pa.Table, *_LEAF)):
            continue
        stack += _children(obj)
        if isinstance(obj, types.MethodType) and not _library(obj.__self__):
            for args in ARGS:
                try:
                    stack.append(obj(*args))
                except Exception:  # noqa: BLE001  # refused (look-ahead, bad args): no leak
                    continue
    return len(seen)


@pytest.fixture
def peek_lake(lake: Lake) -> Lake:
    lake.write(
        rows("TEST.A", ["2024-01-02", "2024-01-03"], [1.0, 2.0], ["2024-01-05", "2024-02-05"])
    )
    lake.write(
        rows(
            "TEST.A",
            ["2024-01-02", "2024-03-04"],
            [FUTURE_REVISION, FUTURE_PERIOD],
            ["2024-04-01", "2024-04-02"],
        )
    )
    return lake


def test_nothing_reachable_from_a_view_sees_the_future(peek_lake: Lake) -> None:
    view = peek_lake.at(AS_OF)
    assert view.series("TEST.A").tolist() == [1.0, 2.0]  # hand-written: the two early rows
    assert walk_and_call(view, AS_OF, peek_lake.root) > 20
    first = VintageView(peek_lake.reader(), AS_OF, "first_release")
    assert first.series("TEST.A").tolist() == [1.0, 2.0]
    walk_and_call(first, AS_OF, peek_lake.root)


def test_nothing_reachable_from_a_snapshot_sees_later_ingests(peek_lake: Lake) -> None:
    snap = peek_lake.at(AS_OF).snapshot_id
    peek_lake.write(rows("TEST.A", ["2024-01-04"], [LATE_INGEST], ["2024-02-06"]))
    view = peek_lake.at_snapshot(snap)
    assert view.series("TEST.A").tolist() == [1.0, 2.0]
    walk_and_call(view, AS_OF, peek_lake.root)
    assert peek_lake.at(AS_OF).series("TEST.A").tolist() == [1.0, 2.0, LATE_INGEST]


def test_peeking_through_an_attribute_is_refused(peek_lake: Lake) -> None:
    view = peek_lake.at(AS_OF)
    with pytest.raises(AttributeError):
        view._lake.at("2024-12-31")  # type: ignore[attr-defined]  # the old leak
    later = pd.Timestamp("2024-12-31", tz="UTC")
    for path in ("", "_reader"):
        target = getattr(view, path) if path else view
        for name in ("at", "narrowed"):
            if hasattr(target, name):
                with pytest.raises(Exception, match="not visible"):
                    getattr(target, name)(later)


LATER = pd.Timestamp("2024-12-31", tz="UTC")


def _views(lake: Lake) -> list[PITView]:
    """A view of each vintage at AS_OF."""
    vintages = ("first_release", "latest")
    return [lake.at(AS_OF), *(VintageView(lake.reader(), AS_OF, v) for v in vintages)]


def test_a_view_and_its_reader_cannot_be_changed(peek_lake: Lake) -> None:
    """Issue 24: ``view._reader._release_ns = <max>`` (then ``view.at(later)``) and
    ``view._as_of = later`` used to widen a view. Setting or deleting any attribute of a
    view or a reader now raises, and the view answers as before."""
    for view in _views(peek_lake):
        reader = view._reader
        vintage = [view.vintage] if isinstance(view, VintageView) else []
        for target, name, value in [
            (reader, "_release_ns", np.iinfo(np.int64).max),
            (reader, "_known_by", LATER),
            (view, "_as_of", LATER),
            (view, "_reader", peek_lake.reader()),
            (view, "vintage", "latest"),
        ]:
            with pytest.raises(FrozenInstanceError, match="immutable"):
                setattr(target, name, value)
            with pytest.raises(AttributeError):
                delattr(target, name)
        with pytest.raises(LookAheadError):
            view.at(LATER)
        with pytest.raises(FrozenInstanceError, match="already made"):
            view.__init__(peek_lake.reader(), AS_OF, *vintage)  # type: ignore[misc]
        with pytest.raises(TypeError, match="cannot be copied"):
            copy.copy(reader)
        with pytest.raises(TypeError, match="cannot be copied"):
            pickle.dumps(view)
    view = peek_lake.at(AS_OF)
    assert view.as_of == AS_OF and view.series("TEST.A").tolist() == [1.0, 2.0]


def test_a_reader_cannot_be_rebuilt_from_a_views_parts(peek_lake: Lake) -> None:
    """Issue 24: ``PITReader(r._files, r._specs, ..., release_limit=None)`` built an
    unbounded reader from a view's reader. A reader now holds no parts (its bounds live in
    the lake module), and a view made from any view's reader stops at that view's as-of,
    the ``latest`` vintage's too (its reader hands out later revisions, not later views)."""
    for view in _views(peek_lake):
        r = view._reader
        with pytest.raises(AttributeError):
            PITReader(r._files, r._specs, tz=r.tz, known_by=r.known_by, release_limit=None)  # type: ignore[attr-defined]
        assert not [n for n in ("_files", "_specs", "_release_ns") if hasattr(r, n)]
        with pytest.raises(LookAheadError, match="not visible"):
            PITView(r, LATER)
        with pytest.raises(LookAheadError, match="not visible"):
            VintageView(r, LATER, "latest")
        again = PITView(r, AS_OF)
        assert again.series("TEST.A").tolist() == [1.0, 2.0]
        assert VintageView(again._reader, AS_OF, "latest").series("TEST.A").tolist() == [1.0, 2.0]
    with pytest.raises(Exception, match="not made by a lake"):
        PITReader.__new__(PITReader).arrays(["TEST.A"])


def test_nothing_reachable_from_a_view_names_its_lake(peek_lake: Lake) -> None:
    """Issue 24: ``Lake.open(view._reader.lake_root)`` opened the whole lake, and the view's
    repr printed the root. No attribute, property or method result of a view (of any
    vintage) is a Lake, its files or a text holding the lake's root (the walk checks every
    object it meets); the cache key still tells lakes apart."""
    for view in _views(peek_lake):
        assert str(peek_lake.root.resolve()) not in repr(view)
        assert not hasattr(view._reader, "lake_root")
    latest = VintageView(peek_lake.reader(), AS_OF, "latest")  # shows revisions, by design
    walk_and_call(latest, LATER, peek_lake.root, sentinels=(FUTURE_PERIOD, LATE_INGEST))
    other = Lake.open(peek_lake.root.parent / "other", create=True)
    assert other.at(AS_OF).cache_key[0] != peek_lake.at(AS_OF).cache_key[0]


def _lake_private_names() -> set[str]:
    names = {n for n in vars(Lake) if n.startswith("_") and not n.startswith("__")}
    lake_src = (ROOT / "research_core/lake/store.py").read_text()
    for node in ast.walk(ast.parse(lake_src)):
        on_self = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
        if on_self and node.value.id == "self" and node.attr.startswith("_"):  # type: ignore[attr-defined]
            names.add(node.attr)  # type: ignore[attr-defined]
    return {n for n in names if not n.startswith("__")}


def test_no_module_outside_the_lake_touches_a_lake_private_name() -> None:
    """Any ``._lake``, and any private name of ``Lake`` on an expression naming a lake."""
    private = _lake_private_names()
    assert {"_lock", "_drop_stored", "_manifest_data"} <= private
    offenders = []
    for path in sorted((ROOT / "research_core").rglob("*.py")):
        if (ROOT / "research_core/lake") in path.parents:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Attribute):
                continue
            on_lake = "lake" in ast.unparse(node.value).lower()  # lake._x, view._lake._x
            if node.attr == "_lake" or (on_lake and node.attr in private):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} .{node.attr}")
    assert offenders == []


def test_lake_modules_import_without_cycles() -> None:
    """The lake's modules form a DAG (pit.py and store.py no longer import each other)."""
    folder = ROOT / "research_core/lake"
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        deps = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
                "research_core.lake."
            ):
                deps.add(str(node.module).rsplit(".", 1)[1])
        graph[path.stem] = deps
    assert "store" not in graph["pit"]

    def visit(node: str, trail: tuple[str, ...]) -> None:
        assert node not in trail, f"import cycle: {' -> '.join((*trail, node))}"
        for dep in graph.get(node, ()):
            visit(dep, (*trail, node))

    for module in graph:
        visit(module, ())

"""The PMS stays in services of a few hundred lines (issue #28 item 6): no module in
``research_core/pms`` over 600 lines, no function over 80 lines or with more than 8
parameters (``self``/``cls`` not counted; a frozen options object carries the rest)."""

from __future__ import annotations

import ast
from pathlib import Path

import research_core.pms

PMS_DIR = Path(research_core.pms.__file__).parent
MAX_MODULE, MAX_FUNCTION, MAX_PARAMS = 600, 80, 8  # the limits issue #28 sets


def _modules() -> list[Path]:
    return [p for p in sorted(PMS_DIR.rglob("*.py")) if "migrations" not in p.parts]


def _params(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    a = node.args
    named = [x.arg for x in [*a.posonlyargs, *a.args, *a.kwonlyargs]]
    return (
        len([n for n in named if n not in ("self", "cls")])
        + (a.vararg is not None)
        + (a.kwarg is not None)
    )


def test_the_checker_counts_lines_and_parameters_by_hand() -> None:
    src = "def f(self, a, b=1, *c, d, **e):\n    x = 1\n    return x\n"
    node = ast.parse(src).body[0]
    assert isinstance(node, ast.FunctionDef)
    assert _params(node) == 5  # a, b, *c, d, **e (self not counted), counted by hand
    assert node.end_lineno is not None and node.end_lineno - node.lineno + 1 == 3


def test_no_pms_module_function_or_signature_is_over_the_limits() -> None:
    over: list[str] = []
    for path in _modules():
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > MAX_MODULE:
            over.append(f"{path.name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                assert node.end_lineno is not None
                length = node.end_lineno - node.lineno + 1
                if length > MAX_FUNCTION or _params(node) > MAX_PARAMS:
                    over.append(f"{path.name}:{node.lineno} {node.name} {length} lines")
    assert len(_modules()) > 10, "the PMS package was not found"
    assert not over, "over the size limits: " + "; ".join(over)

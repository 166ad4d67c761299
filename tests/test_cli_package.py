"""Issue 28 item 5: every command lives in ``research_core/cli/``, registered one way, with
the shared flags declared once; domain modules hold no argparse code."""

from __future__ import annotations

import argparse
import ast
from pathlib import Path

import research_core
from research_core.cli import build_parser
from research_core.cli._shared import FLAGS

PACKAGE = Path(research_core.__file__).parent
SHARED = {"--path", "--as-of", "--db", "--db-url", "--runs", "--quiet", "--replay"}


def _sources(inside_cli: bool) -> list[Path]:
    cli = PACKAGE / "cli"
    return [p for p in PACKAGE.rglob("*.py") if (cli in p.parents) == inside_cli]


def test_no_module_outside_the_cli_package_parses_arguments() -> None:
    found = [
        f"{p.relative_to(PACKAGE)}: {word}"
        for p in _sources(inside_cli=False)
        for word in ("argparse", "add_parser", "add_argument")
        if word in p.read_text("utf-8")
    ]
    assert found == []


def test_the_shared_flags_are_declared_once() -> None:
    """No ``add_argument("--path", ...)`` (or another shared flag) anywhere: each is written
    once, in ``cli._shared.FLAGS``, and reaches a command through a parent parser."""
    declared = []
    for path in PACKAGE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "add_argument"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and node.args[0].value in SHARED
            ):
                declared.append(f"{path.name}:{node.lineno} {node.args[0].value}")
    assert declared == []
    assert set(FLAGS) >= SHARED


def _leaves(parser: argparse.ArgumentParser) -> list[argparse.ArgumentParser]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [parser]
    return [leaf for a in subs for sp in a.choices.values() for leaf in _leaves(sp)]


def test_every_command_has_a_body_and_its_help_reads_as_written() -> None:
    """Each command runs a function; every help renders; a '%' in a help is shown as '%'
    (the curves line showed argparse's internal dict instead: '%' unescaped)."""
    parser = build_parser()
    leaves = _leaves(parser)
    assert len(leaves) == 50  # as many commands as before the move (the old parser's leaves)
    assert all(callable(p.get_default("func")) for p in leaves)
    assert "option_strings" not in "".join(p.format_help() for p in [parser, *leaves])
    assert "breakevens (% a.a., bp)" in " ".join(parser.format_help().split())

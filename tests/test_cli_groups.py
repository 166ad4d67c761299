"""A ``workbench`` process builds only the command module it runs (issue 29: ``pms replay``
≤ 1 s; importing and registering all sixteen cost it tens of milliseconds); ``--help`` and
an unknown command still list every command, from a table that matches what each module
registers."""

from __future__ import annotations

import argparse
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

from research_core.cli import build_parser
from research_core.cli._app import GROUPS

REPO = Path(__file__).resolve().parents[1]


def test_the_table_names_what_each_module_registers() -> None:
    for name, commands in GROUPS.items():
        parser = argparse.ArgumentParser(prog="workbench")
        sub = parser.add_subparsers(dest="command", required=True)
        importlib.import_module(f"research_core.cli.{name}").register(sub)
        assert tuple(sorted(sub.choices)) == tuple(sorted(commands)), name


def test_help_and_an_unknown_command_build_every_command() -> None:
    every = {c for commands in GROUPS.values() for c in commands}
    for first in (None, "--help", "no-such-command"):
        choices = build_parser(first)._subparsers._group_actions[0].choices  # type: ignore[union-attr]
        assert set(choices) == every
    only = build_parser("doctor")._subparsers._group_actions[0].choices  # type: ignore[union-attr]
    assert set(only) == {"backup", "doctor", "restore"}


def test_a_pms_process_imports_no_other_command_module() -> None:
    probe = (
        "import json, sys\n"
        "from research_core.cli import main\n"
        "sys.argv = ['workbench', 'pms', 'replay', 'x']\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('research_core.cli.'))))"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=REPO, env=env
    )
    loaded = json.loads(out.stdout.splitlines()[-1])
    assert "research_core.cli.pms" in loaded
    others = ("agents", "backtest", "book", "lake", "serve", "operations", "pipeline")
    assert not {f"research_core.cli.{name}" for name in others} & set(loaded)

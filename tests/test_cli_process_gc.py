"""The ``workbench`` process parks what it imported in the collector's permanent generation
(issue 29: ``pms replay`` ≤ 1 s; each full collection, and the interpreter's teardown at
exit, walked pandas', scipy's and SQLAlchemy's objects again, 0.3-0.4 s CPU of 1.5 s).
An in-process caller of ``main(argv)`` keeps its collector as it was."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from research_core.cli import main

REPO = Path(__file__).resolve().parents[1]

# The process itself (``main()`` reads sys.argv, as the console script and ``python -m``
# do), with the replay command replaced by a probe that records what the collector holds
# when the command starts.
_PROBE = """
import gc, json, sys
import research_core.cli.pms as pms
seen, made = {}, []
def probe(args):
    seen["frozen_at_start"] = gc.get_freeze_count()
    seen["pandas_imported"] = "pandas" in sys.modules
    made.extend([] for _ in range(50_000))  # what the command makes: frozen at exit
    return 0
pms._replay = probe
from research_core.cli import main
sys.argv = ["workbench", *sys.argv[1:]]
code = main()
seen["frozen_at_exit"] = gc.get_freeze_count()
print(json.dumps({"code": code, **seen}))
"""


def _probe(*argv: str) -> dict[str, object]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *argv],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env=env,
    )
    return dict(json.loads(out.stdout.splitlines()[-1]))


def test_the_process_freezes_its_imports_before_the_command_and_at_exit() -> None:
    seen = _probe("pms", "replay", "1", "--db", "sqlite://")
    assert seen["code"] == 0
    assert seen["pandas_imported"]  # the edge checks imported the lake before the command
    frozen_at_start, frozen_at_exit = seen["frozen_at_start"], seen["frozen_at_exit"]
    assert isinstance(frozen_at_start, int) and isinstance(frozen_at_exit, int)
    assert frozen_at_start > 10_000  # pandas alone is tens of thousands of tracked objects
    assert frozen_at_exit > frozen_at_start + 40_000


def test_an_in_process_caller_keeps_its_collector(tmp_path: Path) -> None:
    before = gc.get_freeze_count()
    with pytest.raises(SystemExit):
        main(["--help"])
    # through the edge checks to the command: an empty database is refused in one line
    assert main(["pms", "replay", "1", "--db", f"sqlite:///{tmp_path / 'none.db'}"]) == 2
    assert gc.get_freeze_count() == before

"""``workbench pms replay`` loads neither SQLAlchemy's ORM nor the PMS's models (issue 29:
the ORM's import and the models' declarative classes were about a tenth of a second of a
replay that should take one): it reads its two rows with Core, over the same columns."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from sqlalchemy import Float, Integer, String

from research_core.lake import Lake
from research_core.pms import PMS

REPO = Path(__file__).resolve().parents[2]

# The `workbench pms replay` command in a fresh process, then what it imported.
_PROBE = """
import json, sys
from research_core.cli._app import main
code = main(["pms", "replay", sys.argv[1], "--db", sys.argv[2], "--path", sys.argv[3]])
heavy = ("sqlalchemy.orm", "research_core.pms.models", "research_core.pms.audit",
         "research_core.pms.positions", "research_core.pms.journal")
print(json.dumps([code, sorted(m for m in sys.modules if m.startswith(heavy))]))
"""


def test_a_replay_from_the_command_line_imports_no_orm(tmp_path: Path, lake: Lake) -> None:
    url = f"sqlite:///{tmp_path / 'pms.db'}"
    pms = PMS.open(url, lake=lake, actor="alice", limits_file=tmp_path / "limits.yaml")
    pms.submit("IBOV.FUT", "buy", 1e8, as_of="2026-10-01", actor="alice")
    decision = str(int(pms.journal().index[0]))
    pms.engine.dispose()
    args = [decision, url, str(lake.root)]
    out = subprocess.run(
        [sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, cwd=REPO
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "IDENTICAL" in out.stdout
    assert json.loads(out.stdout.splitlines()[-1]) == [0, []]


def test_the_replay_reads_the_models_columns_with_their_types() -> None:
    """The Core tables the replay reads name the models' tables and columns, each typed
    as the model's column is (a renamed or retyped column fails here, not in a replay)."""
    from research_core.pms.models import Decision, Proposal
    from research_core.pms.replay import DECISIONS, PROPOSALS

    for core, model in ((DECISIONS, Decision), (PROPOSALS, Proposal)):
        assert core.name == model.__tablename__
        for col in core.columns:
            assert type(col.type) in (Integer, Float, String)
            assert isinstance(model.__table__.c[col.name].type, type(col.type)), col.name
    assert {c.name for c in PROPOSALS.columns} >= {"side", "quantity", "impact", "snapshot"}

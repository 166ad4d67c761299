"""Backup -> destroy -> restore -> doctor (issue 25 item 5), through the CLI, on SQLite and a
real PostgreSQL server (pg_dump / pg_restore)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import make_url

from research_core.cli import main
from research_core.config import get_settings
from research_core.lake import Lake
from research_core.pms import PMS, anchors
from tests.pms.conftest import fresh_postgres
from tests.test_files import tree_digest

AS_OF = "2026-10-30"


def _state(lake: Path, db_url: str, runs: Path) -> tuple[object, ...]:
    """What must survive: every lake file, the audit head and its newest anchor outside the
    database, the run folders, the lake's answer."""
    pms = PMS.open(db_url, create=False)
    head = pms.anchor()
    pms.engine.dispose()
    kept = anchors.newest(anchors.folder(make_url(db_url)) or Path("/nonexistent"))
    anchored = None if kept is None else (kept[0].seq, kept[0].hash)
    lake_files = {k: v for k, v in tree_digest(lake).items() if k != ".lock"}
    answer = Lake.open(lake).at(AS_OF).latest(["BR.SELIC.TARGET", "US.UST.10Y"])
    return lake_files, (head.seq, head.hash), anchored, tree_digest(runs), answer.to_dict()


@pytest.fixture
def fund(sample_lake_path: Path, tmp_path: Path) -> tuple[Path, Path]:
    """A fund's places: a copy of the sample lake and a run folder with an audit anchor."""
    lake, runs = tmp_path / "live" / "lake", tmp_path / "live" / "runs"
    shutil.copytree(sample_lake_path, lake)
    (runs / AS_OF / "artifacts" / "audit").mkdir(parents=True)
    (runs / AS_OF / "notes.md").write_text("the run's notes\n")
    return lake, runs


def _cli(*args: str) -> int:
    return main(list(args))


@pytest.mark.parametrize(
    "engine", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
def test_backup_destroy_restore_doctor(
    engine: str, fund: tuple[Path, Path], tmp_path: Path, request, capsys, monkeypatch
) -> None:
    lake, runs = fund
    if engine == "sqlite":
        db = f"sqlite:///{tmp_path / 'live' / 'pms.db'}"
        restored_db = db
    else:  # PostgreSQL keeps its anchors under the configured folder (pms.anchors.folder)
        monkeypatch.setenv("WORKBENCH_AUDIT_ANCHORS_PATH", str(tmp_path / "live" / "anchors"))
        get_settings.cache_clear()
        request.addfinalizer(get_settings.cache_clear)
        server = request.getfixturevalue("postgres_url")
        db, restored_db = fresh_postgres(server), fresh_postgres(server)
    places = ["--path", str(lake), "--db-url", db, "--runs", str(runs)]
    pms = PMS.open(db, lake=lake, actor="alice")
    pms.init(capital=1e9)
    pms.write_anchor(runs / AS_OF / "artifacts" / "audit" / "anchor.json")
    pms.engine.dispose()
    if engine == "sqlite":
        (tmp_path / "live" / "limits.yaml").write_text("var_99: 0.02\n")
    before = _state(lake, db, runs)
    assert before[2] is not None and before[2][0] >= 1  # an anchor exists outside the database

    assert _cli("backup", "--to", str(tmp_path / "backup"), *places) == 0
    meta = json.loads((tmp_path / "backup" / "backup.json").read_text())
    assert meta["audit_head"]["seq"] == before[1][0] >= 1
    assert "runs/2026-10-30/notes.md" in meta["files"]

    shutil.rmtree(lake)  # the disaster
    shutil.rmtree(runs)
    if engine == "sqlite":
        (tmp_path / "live" / "pms.db").unlink()
        shutil.rmtree(tmp_path / "live" / "pms.db.anchors", ignore_errors=True)
        (tmp_path / "live" / "limits.yaml").unlink()
    after = ["--path", str(lake), "--db-url", restored_db, "--runs", str(runs)]
    assert _cli("restore", "--from", str(tmp_path / "backup"), *after) == 0
    assert _state(lake, restored_db, runs) == before  # the anchor came back beside the new db
    if engine == "sqlite":
        assert (tmp_path / "live" / "limits.yaml").read_text() == "var_99: 0.02\n"

    capsys.readouterr()
    assert _cli("doctor", "--as-of", AS_OF, *after) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert [line.split()[1] for line in lines] == [
        *("lake", "database", "audit", "freshness", "disk", "pages", "alerts"),
    ]
    assert all(line.startswith(("OK", "SKIP")) for line in lines), lines
    assert "against 2026-10-30/artifacts/audit/anchor.json" in lines[2]


def test_restore_refuses_a_used_place_and_a_damaged_backup(
    fund: tuple[Path, Path], tmp_path: Path, capsys
) -> None:
    lake, runs = fund
    db = f"sqlite:///{tmp_path / 'live' / 'pms.db'}"
    PMS.open(db, lake=lake).engine.dispose()
    places = ["--path", str(lake), "--db-url", db, "--runs", str(runs)]
    assert _cli("backup", "--to", str(tmp_path / "backup"), *places) == 0
    capsys.readouterr()

    before = tree_digest(tmp_path / "live")
    assert _cli("restore", "--from", str(tmp_path / "backup"), *places) == 2  # all still there
    assert "exists and is not empty; restore only into a new place" in capsys.readouterr().err
    assert tree_digest(tmp_path / "live") == before

    part = next((tmp_path / "backup" / "lake").rglob("*.parquet"))
    part.write_bytes(part.read_bytes()[:-10] + b"0123456789")  # one flipped tail
    new = tmp_path / "new"
    fresh = ["--path", str(new / "lake"), "--db-url", f"sqlite:///{new / 'pms.db'}",
             "--runs", str(new / "runs")]  # fmt: skip
    assert _cli("restore", "--from", str(tmp_path / "backup"), *fresh) == 2
    assert "does not match its checksum" in capsys.readouterr().err
    assert not (tmp_path / "new").exists()

    assert _cli("backup", "--to", str(tmp_path / "backup"), *places) == 2  # never over a backup
    assert "exists and is not empty" in capsys.readouterr().err

"""The workspace (issue 28 item 1): results that are not lake data live beside the lake, and
what an older lake kept under ``<lake>/artifacts/`` moves there once, verified, logged."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from research_core import workspace
from research_core.backtest.ledger import TrialLedger
from research_core.config import get_settings
from research_core.health.report import stored_backtests
from research_core.lake import Lake


def digests(root: Path) -> dict[str, str]:
    """Every file under ``root`` (relative path) -> sha256 of its bytes (hashlib)."""
    return {
        p.relative_to(root).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*"))
        if p.is_file() and not p.name.startswith(".workbench")
    }


@pytest.fixture
def settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    get_settings.cache_clear()
    yield monkeypatch
    monkeypatch.undo()
    get_settings.cache_clear()


def old_layout(lake: Path) -> None:
    """What a lake made before the workspace held (bytes any writer could have left)."""
    (lake / "artifacts" / "backtests" / "GOOD").mkdir(parents=True)
    returns = pd.Series([0.01, -0.02], pd.date_range("2024-01-02", periods=2), name="as_of")
    returns.to_frame().to_parquet(lake / "artifacts" / "backtests" / "GOOD" / "returns.parquet")
    (lake / "artifacts" / "backtests" / "trials.jsonl").write_bytes(b'{"trial_id": "a"}\n')
    (lake / "artifacts" / "agents").mkdir()
    (lake / "artifacts" / "agents" / "signals.parquet").write_bytes(b"not ours to move")


def test_the_trial_ledger_and_reports_live_outside_the_lake(tmp_path: Path, settings_env):
    settings_env.delenv("WORKBENCH_WORKSPACE", raising=False)
    lake = Lake.open(tmp_path / "lake", create=True)
    ledger = TrialLedger.for_lake(lake).path
    assert ledger == tmp_path / "lake_workspace" / "backtests" / "trials.jsonl"
    assert lake.root not in ledger.parents
    settings_env.setenv("WORKBENCH_WORKSPACE", str(tmp_path / "elsewhere"))
    get_settings.cache_clear()
    assert TrialLedger.for_lake(lake).path == tmp_path / "elsewhere" / "backtests" / "trials.jsonl"


def test_old_results_move_once_verified_and_nothing_else_moves(
    tmp_path: Path, settings_env, caplog
):
    settings_env.delenv("WORKBENCH_WORKSPACE", raising=False)
    lake = tmp_path / "lake"
    old_layout(lake)
    before = digests(lake / "artifacts" / "backtests")
    with caplog.at_level(logging.INFO, logger="research_core.workspace"):
        new = workspace.folder(lake, "backtests")
    assert new == tmp_path / "lake_workspace" / "backtests"
    assert digests(new) == before  # same bytes, same names
    assert not (lake / "artifacts" / "backtests").exists()
    assert (lake / "artifacts" / "agents" / "signals.parquet").read_bytes() == b"not ours to move"
    assert sum("moved" in r.getMessage() for r in caplog.records) == 2
    assert workspace.folder(lake, "backtests") == new and digests(new) == before  # idempotent
    found = stored_backtests(Lake.open(lake, create=True))  # health reads the workspace
    assert list(found) == ["GOOD"] and found["GOOD"].tolist() == [0.01, -0.02]


def test_a_name_taken_by_other_bytes_is_never_overwritten(tmp_path: Path, settings_env, caplog):
    settings_env.delenv("WORKBENCH_WORKSPACE", raising=False)
    lake = tmp_path / "lake"
    old_layout(lake)
    taken = tmp_path / "lake_workspace" / "backtests" / "GOOD" / "returns.parquet"
    taken.parent.mkdir(parents=True)
    taken.write_bytes(b"PAR1 newer")
    with caplog.at_level(logging.WARNING, logger="research_core.workspace"):
        workspace.folder(lake, "backtests")
    assert taken.read_bytes() == b"PAR1 newer"
    old = lake / "artifacts" / "backtests" / "GOOD" / "returns.parquet"
    assert old.read_bytes()[:4] == b"PAR1" and old.read_bytes() != taken.read_bytes()  # kept
    assert any("kept in place" in r.getMessage() for r in caplog.records)
    assert not (lake / "artifacts" / "backtests" / "trials.jsonl").exists()  # this one moved


def test_an_unknown_folder_is_refused(tmp_path: Path):
    with pytest.raises(ValueError, match="unknown workspace folder 'cache'"):
        workspace.folder(tmp_path / "lake", "cache")

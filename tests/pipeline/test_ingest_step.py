"""The ``ingest`` step (issue 25 item 1): the release clock's due series into the lake,
live, replayed from stored responses, or honestly skipped; and a run killed mid-ingest
that resumes leaves every observation in the lake once.

Replayed bodies: ``pipelines/replay`` (built from the documented formats, README.md there)
and ``../shared/fixtures/api`` (recorded, PROVENANCE.md there).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest

from research_core.catalog import series_catalog
from research_core.cli import main
from research_core.lake import Lake
from research_core.pipeline.ingest import ingest_step
from research_core.pipeline.steps import quality_gate
from research_core.runs import RunFolder

REPO = Path(__file__).resolve().parents[2]
BUILT = REPO / "pipelines" / "replay"
RECORDED = REPO.parent / "shared" / "fixtures" / "api"
DAY = "2026-11-03"  # the sample lake ends 2026-10-30; 11-02 is a B3 holiday
LATE = "2026-11-12"  # eight B3 sessions later (11-02 is a holiday)
SAMPLE_ONLY = {"sample", "derived"}


def lake_copy(sample_lake_path: Path, tmp_path: Path) -> Path:
    target = tmp_path / "lake"
    shutil.copytree(sample_lake_path, target, ignore=shutil.ignore_patterns(".lock"))
    return target


def new_rows(lake_path: Path) -> pd.DataFrame:
    """Every stored row that is not the sample's (what ingests added), sorted."""
    table = Lake.open(lake_path).table().to_pandas()
    rows = table.loc[~table["source"].isin(SAMPLE_ONLY)]
    cols = ["series_id", "obs_date", "release_time", "value", "source"]
    return rows[cols].sort_values(cols[:3]).reset_index(drop=True)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens once the socket is closed


def test_sample_lake_without_replay_fetches_nothing(sample_lake_path, tmp_path):
    """Generated data is not mixed with the public sources: the step says so, fetches
    nothing (no network asked) and records what was due."""
    path = lake_copy(sample_lake_path, tmp_path)
    version = Lake.open(path).version
    got = ingest_step(lake_path=str(path), as_of=DAY, run_dir=str(tmp_path / "run"))
    assert got["status"] == "skipped" and got["message"].startswith("sample lake: 46 series due")
    assert Lake.open(path).version == version
    due = pd.read_parquet(tmp_path / "run" / "artifacts" / "ingest" / "series.parquet")
    assert int(due["due"].sum()) == 46 and "outcome" not in due
    none = ingest_step(lake_path=str(tmp_path / "none"), as_of=DAY, run_dir=str(tmp_path / "r2"))
    assert none["status"] == "skipped" and "sample_refresh builds it" in none["message"]
    assert not (tmp_path / "none").exists()


def test_replay_adds_what_is_due_then_nothing_then_offline_lets_the_gate_decide(
    sample_lake_path, tmp_path, monkeypatch
):
    path = lake_copy(sample_lake_path, tmp_path)
    run = tmp_path / "run"
    got = ingest_step(lake_path=str(path), as_of=DAY, run_dir=str(run), replay=[str(BUILT)])
    assert got["status"] == "ingested" and got["failed"] == {}
    # PTAX 11-03 (CotacaoDolarPeriodo.json): 5.6161 quoted 13:04:52.147 Brasilia; the
    # 11-04 bulletin is stored too but not seen by a view at the end of 11-03
    lake = Lake.open(path)
    ptax = lake.at(DAY).series("BRL.USD.PTAX")
    assert (f"{ptax.index[-1]:%Y-%m-%d}", ptax.iloc[-1]) == (DAY, 5.6161)
    assert lake.at("2026-11-04").series("BRL.USD.PTAX").iloc[-1] == 5.6097
    stored = lake.vintages("BRL.USD.PTAX").iloc[-4]
    assert f"{stored['release_time'].tz_convert('America/Sao_Paulo'):%H:%M:%S}" == "13:04:52"
    table = pd.read_parquet(run / "artifacts" / "ingest" / "series.parquet")
    by_id = table.set_index("series_id")
    assert by_id.loc["BRL.USD.PTAX", "added"] == 4  # 11-03 .. 11-06 in the body
    assert by_id.loc["BR.NTNB.30Y", "outcome"] == "unchanged"  # no bond 30y out: no value
    assert got["added"] == int(table["added"].sum()) > 0
    record = json.loads((run / "artifacts" / "ingest" / "ingest.json").read_text())
    assert record["mode"] == "replay" and record["replay"] == [str(BUILT)]

    version = lake.version
    again = ingest_step(lake_path=str(path), as_of=DAY, run_dir=str(run), replay=[str(BUILT)])
    # only the two NTN-B tenors the bonds on offer do not span are still due: asked again,
    # nothing new, nothing written
    assert (again["due"], again["added"], again["revised"]) == (2, 0, 0)
    assert Lake.open(path).version == version

    # a week later, no network (every host behind a proxy that does not answer)
    proxy = f"http://127.0.0.1:{closed_port()}"
    for name in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(name, proxy)
    off = ingest_step(lake_path=str(path), as_of=LATE, run_dir=str(tmp_path / "later"))
    assert off["status"] == "offline" and off["message"].startswith("offline: skipped")
    assert Lake.open(path).version == version
    gate = quality_gate(lake_path=str(path), as_of=LATE, run_dir=str(tmp_path / "later"),
                        key_series=["BRL.USD.PTAX", "US.SPX"])  # fmt: skip
    assert gate["stale"] and set(gate["stale_series"]) == {"BRL.USD.PTAX", "US.SPX"}


def test_cli_replay_and_its_bad_input(sample_lake_path, tmp_path, capsys):
    path = lake_copy(sample_lake_path, tmp_path)
    argv = ["ingest", "--path", str(path), "--series", "BRL.USD.PTAX", "US.SPX", "--quiet"]
    assert main([*argv, "--replay", str(BUILT), str(RECORDED)]) == 0
    out = capsys.readouterr().out
    assert "9 rows" in out  # PTAX 11-03..11-06 and ^GSPC 11-02..11-06
    missing = tmp_path / "no-such"
    assert main(["ingest", "--path", str(tmp_path / "new"), "--replay", str(missing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"workbench: error: replay: {missing}: no such folder of recorded responses"]
    assert not (tmp_path / "new").exists()
    run = ["pipeline", "run", "--as-of", DAY, "--runs", str(tmp_path / "runs")]
    assert main([*run, "--path", str(path), "--replay", str(missing)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"workbench: error: --replay: no such folder {missing}"]
    assert not (tmp_path / "runs").exists()


def _workbench(*args: str) -> list[str]:
    return [sys.executable, "-m", "research_core.cli", *args]


def _kill_tree(proc: subprocess.Popen[bytes]) -> None:
    """SIGKILL the run and every process it started (worker, kernel: their own sessions)."""
    family = [psutil.Process(proc.pid), *psutil.Process(proc.pid).children(recursive=True)]
    for p in family:
        try:
            p.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            continue
    psutil.wait_procs(family, timeout=30)
    proc.wait()


@pytest.mark.slow
def test_killed_during_ingest_then_resumed_stores_every_observation_once(
    sample_lake_path, tmp_path
):
    """Eight B3 sessions missed (the lake ends 2026-10-30, the run is for 11-12: the
    runner no longer refuses a date past the data when the pipeline ingests first). The
    replay server stalls on the Focus answer (a FIFO nobody writes): the run is killed -9
    after the first series were stored, the body is put back, ``--resume`` finishes. The
    lake then holds exactly what one uninterrupted ingest stores. (Only the BCB's bodies are
    replayed, to keep it short: the other sources answer not found.)"""
    replay = tmp_path / "replay"
    for folder in ("bcb_sgs", "bcb_focus", "bcb_ptax"):
        shutil.copytree(BUILT / folder, replay / folder)
    stalled = replay / "bcb_focus" / "ExpectativasMercadoAnuais.json"
    stalled.unlink()
    os.mkfifo(stalled)
    path = lake_copy(sample_lake_path, tmp_path)
    v0 = Lake.open(path).version
    args = ["pipeline", "run", "--as-of", LATE, "--steps", "ingest", "--quiet", "--path", str(path),
            "--runs", str(tmp_path / "runs"), "--db-url", f"sqlite:///{tmp_path / 'pms.db'}",
            "--replay", str(replay)]  # fmt: skip
    proc = subprocess.Popen(_workbench(*args), cwd=REPO, start_new_session=True)
    try:
        for _ in range(1200):  # until the first series are stored (a guard, not a timing)
            if Lake.open(path).version > v0 or proc.poll() is not None:
                break
            time.sleep(0.5)
    finally:
        _kill_tree(proc)
    killed = RunFolder(tmp_path / "runs" / LATE)
    assert killed.manifest.steps[0]["status"] == "running"  # died mid-step
    partial = new_rows(path)
    assert "BR.SELIC.TARGET" in set(partial["series_id"])  # the first due series, stored
    assert "BR.FOCUS.IPCA.CY" not in set(partial["series_id"])  # the stalled one, not

    stalled.unlink()
    shutil.copy(BUILT / "bcb_focus" / stalled.name, stalled)
    done = subprocess.run(_workbench(*args, "--resume"), cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    record = RunFolder(tmp_path / "runs" / LATE).artifact("ingest/ingest.json")
    assert record["status"] == "ingested with failures"  # the sources not replayed here
    assert "BR.SELIC.TARGET" not in record["failed"]  # stored before the kill: not due again

    reference = lake_copy(sample_lake_path, tmp_path / "ref")
    ingest_step(lake_path=str(reference), as_of=LATE, run_dir=str(tmp_path / "ref-run"),
                replay=[str(replay)])  # fmt: skip
    got, want = new_rows(path), new_rows(reference)
    assert not got.duplicated(["series_id", "obs_date", "release_time"]).any()
    assert not got.duplicated(["series_id", "obs_date", "value"]).any()  # no repeated vintage
    pd.testing.assert_frame_equal(got, want)
    # four days in each SGS/PTAX body (bcb_sgs/*.json, CotacaoDolarPeriodo.json), one week
    # (2026-10-30) of each of the ten Focus series and of the two FX flows (22718, 22719)
    daily = ["BR.SELIC.TARGET", "BR.SELIC.EFFECTIVE", "BR.CDI", "BR.RESERVES", "BRL.USD.PTAX",
             "BRL.USD.PTAX.SGS"]  # fmt: skip
    weekly = [s.id for s in series_catalog().values() if s.source in ("bcb_focus", "bcb_fx_flow")]
    assert want["series_id"].value_counts().to_dict() == {**dict.fromkeys(daily, 4),
                                                          **dict.fromkeys(weekly, 1)}  # fmt: skip


# ``pipeline run --replay`` end to end (the new day reaches the lake, the agents and the
# pack): tests/pipeline/test_daily.py, on the shared daily run.

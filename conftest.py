"""Session set-up shared by tests and notebooks (nbval): one sample lake, built once.

``WORKBENCH_LAKE_PATH`` points at it, so notebooks run by nbval read it through the same
configuration a user's notebook would.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import pytest

SAMPLE_START, SAMPLE_END, SAMPLE_SEED = "2005-01-01", "2026-10-30", 20050101


def pytest_configure(config: pytest.Config) -> None:
    if "WORKBENCH_TEST_LAKE" in os.environ:
        return
    path = Path(tempfile.mkdtemp(prefix="workbench-sample-")) / "lake"
    os.environ["WORKBENCH_TEST_LAKE"] = str(path)
    os.environ["WORKBENCH_LAKE_PATH"] = str(path)


@pytest.fixture(scope="session")
def sample_lake_path() -> Path:
    """The full sample lake (2005 to the configured end), built on first use."""
    from research_core.lake.sample import build_sample_lake

    path = Path(os.environ["WORKBENCH_TEST_LAKE"])
    if not (path / "_lake.json").exists():
        build_sample_lake(str(path), start=SAMPLE_START, end=SAMPLE_END, seed=SAMPLE_SEED)
    return path


DAILY_DAY = "2026-11-03"  # the first B3 session after the sample's end (11-02 a holiday)
REPLAY = (
    Path(__file__).parent / "pipelines" / "replay",  # built from the documented formats
    Path(__file__).parent.parent / "shared" / "fixtures" / "api",  # recorded (PROVENANCE.md)
)


@pytest.fixture(scope="session")
def daily_lake(sample_lake_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the sample lake for the daily run to ingest into (the original stays as
    built: other tests read it)."""
    target = tmp_path_factory.mktemp("daily") / "lake"
    shutil.copytree(sample_lake_path, target, ignore=shutil.ignore_patterns(".lock"))
    return target


@pytest.fixture(scope="session")
def daily_run(daily_lake: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The daily pipeline (pipelines/daily.yaml) for the first session after the sample's
    end, its ingest step answered by the replay folders (``pipeline run --replay``): run
    once, shared by the pipeline tests (every step, the artifacts, the new day reaching the
    lake, the agents and the pack)."""
    from research_core.cli.pipeline import with_replay
    from research_core.pipeline import run_pipeline

    runs = tmp_path_factory.mktemp("runs")
    return run_pipeline(
        DAILY_DAY,
        pipeline=with_replay(
            Path(__file__).parent / "pipelines" / "daily.yaml", [str(d) for d in REPLAY]
        ),
        runs_path=runs,
        lake_path=daily_lake,
        db_url=f"sqlite:///{runs / 'pms.db'}",
        progress=False,
    )

"""Session set-up shared by tests and notebooks (nbval): one sample lake, built once.

``WORKBENCH_LAKE_PATH`` points at it, so notebooks run by nbval read it through the same
configuration a user's notebook would.
"""

from __future__ import annotations

import os
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


@pytest.fixture(scope="session")
def daily_run(sample_lake_path: Path, tmp_path_factory: pytest.TempPathFactory):  # type: ignore[no-untyped-def]
    """The daily pipeline (pipelines/daily.yaml), run once on the sample lake's last date;
    shared by the pipeline, narrative and dashboard tests."""
    from research_core.pipeline import run_pipeline

    runs = tmp_path_factory.mktemp("runs")
    return run_pipeline(
        SAMPLE_END,
        pipeline=Path(__file__).parent / "pipelines" / "daily.yaml",
        runs_path=runs,
        lake_path=sample_lake_path,
        progress=False,
    )

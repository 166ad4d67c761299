"""Fixtures for lake tests: an empty lake with a few researcher series registered."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from research_core.lake import Lake

TEST_SERIES = ("TEST.A", "TEST.B", "TEST.C")


@pytest.fixture
def lake(tmp_path: Path) -> Lake:
    lake = Lake.open(tmp_path / "lake", create=True)
    for sid in TEST_SERIES:
        lake.register(sid, frequency="D", units="bp")
    return lake


def rows(
    series_id: str, obs: list[str], values: list[float], released: list[str], source: str = "test"
) -> pd.DataFrame:
    """Observation rows; release times are UTC strings."""
    return pd.DataFrame(
        {
            "series_id": series_id,
            "obs_date": pd.to_datetime(obs),
            "value": values,
            "release_time": pd.to_datetime(released, utc=True),
            "source": source,
        }
    )


def lake_bytes(root: Path) -> dict[str, bytes]:
    """Every file of a lake (path -> bytes), to show a refused operation changed nothing."""
    return {
        str(p.relative_to(root)): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }

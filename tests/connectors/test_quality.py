"""Data-quality findings: staleness, gaps, jumps, cross-source deviations; CLI wiring."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from research_core.cli import main
from research_core.lake import Lake
from research_core.lake.quality import quality_report

AS_OF = pd.Timestamp("2026-11-21 12:00", tz="UTC")


def write(lake: Lake, series_id: str, obs: pd.DatetimeIndex, values: np.ndarray) -> None:
    spec = lake.spec(series_id)
    lake.write(
        pd.DataFrame(
            {
                "series_id": series_id,
                "obs_date": obs,
                "value": values,
                "release_time": spec.release_times(obs),
                "source": "test",
            }
        )
    )


@pytest.fixture
def lake(tmp_path) -> Lake:
    return Lake.open(tmp_path / "lake", create=True)


def findings(lake: Lake, check: str, **kwargs) -> pd.DataFrame:
    frame = quality_report(lake, as_of=AS_OF, **kwargs).to_frame()
    return frame[frame["check"] == check]


def test_staleness_against_release_calendar(lake):
    write(
        lake, "BR.IPCA.MOM", pd.date_range("2024-01-01", "2026-08-01", freq="MS"), np.full(32, 0.3)
    )
    write(
        lake, "BR.IGPM.MOM", pd.date_range("2024-01-01", "2026-10-01", freq="MS"), np.full(34, 0.3)
    )
    stale = findings(lake, "stale")
    assert stale["series_id"].tolist() == ["BR.IPCA.MOM"]  # September IPCA was due 8 Oct
    assert "2026-09-01" in stale["detail"].iloc[0]


def test_jump_beyond_robust_sigmas(lake):
    days = pd.bdate_range("2023-01-02", "2026-11-19")
    rng = np.random.default_rng(0)
    values = 100 + np.cumsum(rng.normal(0, 0.5, len(days)))
    values[-3] += 40.0
    write(lake, "US.SPX", days, values)
    jumps = findings(lake, "jump")
    assert pd.Timestamp(days[-3]) in set(jumps["obs_date"]) and len(jumps) <= 3
    assert findings(lake, "jump", jump_sigmas=1e6).empty


def test_crosscheck_reports_deviation(lake):
    days = pd.bdate_range("2026-10-01", "2026-11-19")
    base = np.linspace(5.3, 5.5, len(days))
    other = base.copy()
    other[5] += 0.01
    write(lake, "BRL.USD.PTAX", days, base)
    write(lake, "BRL.USD.PTAX.SGS", days, other)
    cross = findings(lake, "crosscheck")
    assert (
        len(cross) == 1
        and "1 of" in cross["detail"].iloc[0]
        and "BRL.USD.PTAX.SGS" in cross["detail"].iloc[0]
    )


def test_sample_lake_is_clean_when_current(sample_lake_path):
    report = quality_report(Lake.open(sample_lake_path), as_of="2026-10-31")
    assert report.series_checked > 80
    assert set(report.to_frame()["check"]) <= {"jump"}  # fresh, no gaps, twins agree
    late = quality_report(Lake.open(sample_lake_path), as_of="2027-03-01", series=["BR.IPCA.MOM"])
    assert set(late.to_frame()["check"]) == {"stale"}


def test_cli_check_and_ingest_errors(sample_lake_path, capsys, tmp_path):
    out_csv = tmp_path / "quality.csv"
    assert (
        main(
            [
                "lake",
                "check",
                "--path",
                str(sample_lake_path),
                "--as-of",
                "2026-10-31",
                "--report",
                str(out_csv),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "data quality as of" in text and out_csv.exists()
    assert (
        main(["ingest", "--path", str(tmp_path / "new"), "--source", "bloomberg", "--quiet"]) == 2
    )
    assert "unknown source" in capsys.readouterr().err


def test_duplicate_keys_reach_the_quality_report(lake, tmp_path):
    """A file copied into the lake by hand duplicates keys; both reports name them."""
    import json
    import shutil

    from research_core.lake.maintenance import check_lake

    days = pd.bdate_range("2026-11-02", "2026-11-19")
    write(lake, "US.SPX", days, np.linspace(5000, 5100, len(days)))
    manifest_path = lake.root / "_lake.json"
    manifest = json.loads(manifest_path.read_text())
    entry = dict(manifest["files"][0])
    copy = entry["path"].replace("part-", "part-copy-")
    shutil.copy(lake.root / entry["path"], lake.root / copy)
    manifest["files"].append({**entry, "path": copy})
    manifest_path.write_text(json.dumps(manifest))
    integrity = check_lake(lake)
    assert not integrity.ok
    dup = findings(lake, "duplicate", integrity=integrity)
    assert len(dup) >= 1 and set(dup["series_id"]) == {"US.SPX"}

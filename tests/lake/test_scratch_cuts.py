"""The causality check's cut lakes live in a temporary folder removed when the check ends,
so their data files are not flushed to disk (flushing cost a backtest up to 0.4 s, issue
29); copies kept under a given folder, and plain exports, still are. The rows read back
are the same either way (expected by hand)."""

from __future__ import annotations

from pathlib import Path

from research_core import _files
from research_core.backtest.causality import AsOfLakes
from research_core.lake.export import export_as_of
from tests.lake.conftest import rows


def _flushed_data(monkeypatch) -> list[Path]:
    """Data files (and their folders) fsynced from now on: the real fsync, recorded."""
    seen: list[Path] = []
    real = _files.fsync

    def recording(path: str | Path) -> None:
        seen.append(Path(path))
        real(path)

    monkeypatch.setattr(_files, "fsync", recording)
    return seen


def _data(paths: list[Path]) -> list[Path]:
    return [p for p in paths if "source=" in str(p)]


def test_scratch_cuts_are_not_flushed_and_read_the_same(lake, tmp_path, monkeypatch):
    lake.write(
        rows("TEST.A", ["2024-01-02", "2024-01-03"], [1.0, 2.0], ["2024-01-04", "2024-02-10"])
    )
    flushed = _flushed_data(monkeypatch)
    with AsOfLakes(lake) as cuts:
        cut = cuts.at("2024-01-31")
        assert cut.at("2024-01-31").series("TEST.A").tolist() == [1.0]
    assert _data(flushed) == []
    with AsOfLakes(lake, tmp_path / "kept") as cuts:
        cut = cuts.at("2024-01-31")
        assert cut.at("2024-01-31").series("TEST.A").tolist() == [1.0]
    assert any(p.suffix == ".parquet" for p in _data(flushed))


def test_a_plain_export_is_flushed(lake, tmp_path, monkeypatch):
    lake.write(rows("TEST.B", ["2024-01-02"], [3.0], ["2024-01-04"]))
    flushed = _flushed_data(monkeypatch)
    copy = export_as_of(lake, "2024-01-31", tmp_path / "copy")
    assert copy.at("2024-01-31").series("TEST.B").tolist() == [3.0]
    assert any(p.suffix == ".parquet" for p in _data(flushed))

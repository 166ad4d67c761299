"""``workbench tone score|ingest`` (ingest from stored BCB API records: the real communiqués
in ../shared/data/real/bcb_copom_selic, test-only)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from research_core.cli import main
from research_core.lake import Lake

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "real" / "bcb_copom_selic"


def test_score_prints_the_tone_and_drivers(tmp_path, capsys):
    text = tmp_path / "c.txt"
    text.write_text("O Copom decidiu manter a taxa Selic em 10,50% a.a. A inflação recuou.")
    assert main(["tone", "score", str(text)]) == 0
    out = capsys.readouterr().out
    # one kept sentence, one dovish pair: -1 / (1 + 1 + 0.5) = -0.40
    assert "tone -0.40" in out and "1 masked" in out and "inflação recuou" in out
    assert main(["tone", "score", str(tmp_path / "missing.txt")]) == 2
    assert "no such file" in capsys.readouterr().err


def test_ingest_from_stored_records_writes_the_series(tmp_path, capsys):
    if not (DATA / "comunicados").is_dir():
        pytest.fail(f"shared data {DATA} is missing (../shared must sit beside the repo)")
    lake_path = tmp_path / "lake"
    Lake.open(lake_path, create=True)
    args = ["tone", "ingest", "--from-dir", str(DATA / "comunicados"), "--path", str(lake_path)]
    assert main(args) == 0
    assert "185 copom texts scored" in capsys.readouterr().out
    tone = Lake.open(lake_path).at("2020-12-31").series("BR.COPOM.TONE")
    assert len(tone) == 185 and tone.index[0] == pd.Timestamp("2000-04-19")
    assert main(["tone", "ingest", "--bank", "copom", "--path", str(lake_path)]) == 2
    assert "--meetings FIRST:LAST" in capsys.readouterr().err

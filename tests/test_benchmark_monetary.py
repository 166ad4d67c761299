"""benchmarks/monetary.py keeps running and its two r* paths keep the Taylor-rule signals
identical (tiny size; no timing asserts)."""

from __future__ import annotations

import pytest

from tests.test_benchmarks import _load


def test_monetary_benchmark_runs_and_its_paths_agree(sample_lake_path, capsys) -> None:
    # main() asserts the Taylor-rule signals are identical between the two r* estimators.
    args = ["--lake", str(sample_lake_path), "--start", "2019-01-01", "--end", "2019-03-31"]
    out = _load("monetary").main(args)
    assert set(out) == {"optimizer", "profile"}
    text = capsys.readouterr().out
    assert "3 month-ends" in text and "Taylor-rule signals (DI1.1Y, UST.2Y.FUT): identical" in text
    stance = float(text.split("BR.POLICY_STANCE z: ")[1].split()[0])
    assert stance == pytest.approx(0.0, abs=0.01)  # the model change is small

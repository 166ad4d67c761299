"""Benchmarks keep running and their methods keep agreeing (tiny sizes; no timing asserts)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[1] / "benchmarks"


def _load(name: str):
    if str(BENCH) not in sys.path:  # the scripts import their shared _timing module
        sys.path.insert(0, str(BENCH))
    spec = importlib.util.spec_from_file_location(name, BENCH / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_pit_asof_methods_agree_on_a_small_case():
    # main() asserts every peer's answer equals lake.panel's before it reports times.
    seconds = _load("pit_asof").main(
        ["--series", "6", "--start", "2019-01-02", "--dates", "30", "--repeat", "1"]
    )
    expected = {"lake.panel", "pandas merge_asof", "duckdb ASOF JOIN", "naive pandas loop"}
    assert expected <= set(seconds)


def test_agents_benchmark_runs_and_its_peer_agrees(sample_lake_path, capsys):
    # main() asserts the truncated-copy reports equal the PITView reports.
    args = ["--lake", str(sample_lake_path), "--start", "2019-01-01", "--end", "2019-03-31"]
    seconds = _load("agents").main([*args, "--date", "2019-03-29", "--repeat", "1", "--startup"])
    assert {"one date (PITView)", "one date (truncated copy)", "monthly history"} == set(seconds)
    out = capsys.readouterr().out
    assert "agents run, store empty:" in out and "agents run, store filled:" in out


def test_backtest_benchmark_methods_agree(capsys):
    # main() asserts vectorbt's and the pandas loop's equity equal the engine core's to 1e-6.
    args = ["--instruments", "6", "--years", "1", "--strategies", "2", "--repeat", "1"]
    seconds = _load("backtest").main(args)
    assert set(seconds) == {"engine core", "vectorbt", "pandas loop"}
    assert "equity curves agree to 1e-6" in capsys.readouterr().out


def test_risk_benchmark_methods_agree(capsys):
    # main() asserts HRP weights equal PyPortfolioOpt's to 1e-10 and Monte Carlo VaR/ES
    # equal the naive full-matrix peer's on the same draws.
    args = ["--assets", "8", "--days", "200", "--instruments", "6", "--scenarios", "5000"]
    seconds = _load("risk").main([*args, "--repeat", "1"])
    assert {"hrp: research_core", "hrp: PyPortfolioOpt", "mc: research_core"} <= set(seconds)
    assert "weights equal PyPortfolioOpt's to 1e-10" in capsys.readouterr().out


def test_pms_benchmark_runs_and_its_checks_hold(sample_lake_path, capsys):
    # main() asserts NAV = capital + the P&L rows and that each day's factors sum to its P&L.
    args = ["--lake", str(sample_lake_path), "--days", "4", "--repeat", "1"]
    seconds = _load("pms").main(args)
    assert {"mark (median day)", "attribution", "pla residual"} <= set(seconds)
    assert "20 positions, 5 marks" in capsys.readouterr().out


def test_lake_scaling_benchmark_runs():
    # one_scale() asserts check_lake is clean; auto-compaction keeps the file count bounded.
    out = _load("lake_scaling").main(
        ["--series", "3", "--days", "20", "--writes", "4", "--scales", "1,2"]
    )
    assert set(out) == {1, 2} and all(r["files"] >= 1 for r in out.values())


def test_health_detectors_benchmark_runs(capsys):
    # calibration and delays at a tiny size (the figures are only meaningful at 2000 streams)
    args = ["--streams", "8", "--budgets", "1", "--lengths", "252", "--cards", "2"]
    out = _load("health_detectors").main(args)
    assert {"h_252", "warn", "after_cusum_fa_252", "after_sharpe_252", "after_vol"} <= set(out)
    assert "trade-off" in capsys.readouterr().out


def test_book_backtest_benchmark_runs(sample_lake_path, capsys):
    # main() asserts the book's attribution sums to its equity change to 1e-9.
    args = ["--lake", str(sample_lake_path), "--start", "2016-02-01", "--end", "2016-03-15"]
    # --refit every: the new path's book must equal the earlier path's to 1e-12 (asserted).
    args += ["--workers", "1", "--verify", "0", "--paths", "earlier,new", "--refit", "every"]
    seconds = _load("book_backtest").main(args)
    assert {"book backtest", "book backtest (earlier)", "live decision"} <= set(seconds)
    text = capsys.readouterr().out
    assert "BOOK[erc,M]" in text and "new vs earlier: weights and returns differ by" in text


def test_strategies_benchmark_paths_agree(sample_lake_path, capsys):
    # main() asserts every strategy's signals, weights and returns are identical (1e-12)
    # on the earlier and new paths, and XA_REGIME_01 with refit="every" too.
    args = ["--lake", str(sample_lake_path), "--start", "2016-11-01", "--end", "2017-02-28"]
    out = _load("strategies").main([*args, "--strategies", "RATES_BR_01,XA_REGIME_01"])
    assert set(out) == {"earlier", "new", "new, warm"}
    assert "refit='every' on the new path: identical" in capsys.readouterr().out


def test_cli_benchmark_runs(sample_lake_path, capsys):
    args = ["--lake", str(sample_lake_path), "--start", "2026-09-01", "--verify", "0"]
    out = _load("cli").main([*args, "--paths", "new", "--commands", "backtest"])
    assert set(out) == {"backtest (new)"} and "backtest (new)" in capsys.readouterr().out


def test_curves_benchmark_runs(sample_lake_path, capsys):
    args = ["--lake", str(sample_lake_path), "--start", "2026-09-01", "--fit-days", "3"]
    seconds = _load("curves").main([*args, "--ql-every", "20"])
    assert {"research_core", "scipy interp", "NSS fit DI"} <= set(seconds)
    out = capsys.readouterr().out
    assert "largest repricing error, bp: DI" in out

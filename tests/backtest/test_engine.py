"""The backtester on the sample lake: every strategy from 2010, look-ahead made impossible,
causality fuzz, vintage grids, configuration and the CLI report."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from threadpoolctl import threadpool_info, threadpool_limits

from research_core.backtest import BacktestResult, CostModel, rebalance_dates, run_backtest
from research_core.backtest.causality import AsOfLakes, sample_dates
from research_core.backtest.executor import Executor
from research_core.backtest.sweep import vintage_grid
from research_core.cli import main
from research_core.config import get_settings
from research_core.errors import BacktestError, LookAheadError, StrategyConfigError
from research_core.lake.maintenance import export_as_of
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.strategies import STRATEGIES, BaseStrategy, get_strategy, load_config

# Three years (2010-2012) of every strategy: enough trades and history to check sizing and
# causality for each; the whole 2010-2026 span is timed in benchmarks/backtest.py.
START, END = "2010-01-04", "2012-12-28"


@pytest.fixture(scope="module")
def lake(sample_lake_path: Path) -> Lake:
    return Lake.open(sample_lake_path)


VERIFY = 2  # rebalance dates per strategy recomputed on the lake as known then


def _verified_book(part: tuple[str, tuple[str, ...]]) -> dict[str, BacktestResult]:
    """Some of the configured strategies, from 2010, each verified causal by the engine at
    VERIFY dates; the as-of copies are shared (strategies with the same rebalance frequency
    draw the same dates), and so are agent runs and unit returns."""
    path, names = part
    lake, book = Lake.open(path), load_config()
    with AsOfLakes(lake) as cuts:
        return {
            n: run_backtest(book[n], lake, START, END, verify=VERIFY, as_of_lakes=cuts)
            for n in names
        }


@pytest.fixture(scope="module")
def book(lake: Lake) -> dict[str, BacktestResult]:
    """Every configured strategy backtested from 2010 to 2012, in two processes
    (rates strategies in one, the rest in the other: about the same work each)."""
    configured = load_config()
    rates = tuple(n for n, s in configured.items() if s.family == "rates")
    rest = tuple(n for n in configured if n not in rates)
    parts = [(str(lake.root), rates), (str(lake.root), rest)]
    with Executor(workers=2) as pool:
        halves = pool.map(_verified_book, parts)
    return {**halves[0], **halves[1]}


def test_every_strategy_backtests_from_2010(book):
    fund = {f"RATES_BR_0{i}" for i in range(1, 5)} | {
        "INF_BR_01",
        "FX_BR_01",
        "CUPOM_01",
        "SOV_BR_01",
    }
    assert fund <= set(book) and len(book) >= 24
    assert set(book) == set(STRATEGIES)  # every registered strategy, verified below
    for name, r in book.items():
        assert r.equity.index[0] <= pd.Timestamp("2010-01-05"), name
        assert r.equity.index[-1] == pd.Timestamp(END), name
        assert np.isfinite(r.equity).all() and (r.equity > 0).all(), name
        assert np.isfinite(r.metrics[["sharpe", "annual_volatility", "max_drawdown"]]).all(), name
        assert 0.005 < r.metrics["annual_volatility"] < 0.5, name  # sized to a sane risk
        assert len(r.trades) > 10 and r.trades["cost"].gt(0).all(), name
        assert set(r.weights.columns) == set(STRATEGIES[name].instruments), name
        gross = r.weights.abs().sum(axis=1)
        assert (gross <= r.params["max_gross"] + 1e-9).all(), name
        assert {c.split(".")[-1] for c in r.exposures.columns} == {"gross", "net"}
        assert len(r.verified) == VERIFY and r.verified.isin(r.signals.index).all(), name


def test_signals_are_traded_after_they_are_known(book):
    r = book["RATES_BR_03"]
    signal_days, exec_days = r.signals.index, r.weights.index
    assert (exec_days > signal_days[: len(exec_days)]).all()  # next session's close
    assert (r.trades["date"].isin(exec_days)).all()


def test_rebalance_dates_are_last_sessions():
    weeks = rebalance_dates("2024-12-20", "2025-01-10", "W", "B3")
    # B3 is closed on 2024-12-25, 2024-12-31 and 2025-01-01; Friday 2025-01-03 is a session
    assert list(weeks.strftime("%Y-%m-%d")) == [
        "2024-12-20",
        "2024-12-27",
        "2025-01-03",
        "2025-01-10",
    ]
    months = rebalance_dates("2024-01-01", "2024-04-30", "M", "B3")
    assert list(months.strftime("%m-%d")) == ["01-31", "02-29", "03-28", "04-30"]
    with pytest.raises(BacktestError, match="unknown rebalance frequency"):
        rebalance_dates("2024-01-01", "2024-04-30", "Q")


class Peeker(BaseStrategy):
    """TEST — tries to read tomorrow's data. Reference: none (a test double)."""

    name = "TEST_PEEK"
    family = "rates"
    instruments = ("DI1.1Y",)

    def positions(self, view: PITView) -> Mapping[str, float]:
        tomorrow = view.at(view.as_of + pd.Timedelta(days=1))
        return {"DI1.1Y": float(tomorrow.series("BR.DI.1Y").iloc[-1] > 10)}


class Stray(Peeker):
    """TEST — returns an instrument it did not declare. Reference: none."""

    name = "TEST_STRAY"

    def positions(self, view: PITView) -> Mapping[str, float]:
        return {"ES.FUT": 1.0}


class NaNs(Peeker):
    """TEST — returns NaN. Reference: none."""

    name = "TEST_NAN"

    def positions(self, view: PITView) -> Mapping[str, float]:
        return {"DI1.1Y": float("nan")}


def test_a_strategy_that_reads_past_as_of_gets_an_error(lake):
    with pytest.raises(LookAheadError, match="data after the as-of instant are not visible"):
        run_backtest(Peeker(), lake, "2015-01-02", "2015-03-31")
    earlier = lake.at("2015-03-31").at("2015-01-02")  # looking back is fine
    assert earlier.as_of < lake.at("2015-03-31").as_of


class FilePeeker(Peeker):
    """TEST — finds the lake through the configuration and reads its Parquet files: trades
    the DI 1y move of the next month, whatever its release time. Reference: none."""

    name = "TEST_FILE_PEEK"

    def positions(self, view: PITView) -> Mapping[str, float]:
        files = sorted(Path(get_settings().lake_path).glob("source=*/*.parquet"))
        di = pd.concat(
            pd.read_parquet(f, columns=["obs_date", "value"], filters=[("series_id", "==", DI)])
            for f in files
        )
        di = di.set_index(pd.to_datetime(di["obs_date"]))["value"].sort_index()
        today = view.as_of.tz_convert(get_settings().timezone).tz_localize(None).normalize()
        ahead = di.loc[today + pd.Timedelta(days=1) : today + pd.Timedelta(days=30)]
        move = ahead.mean() - di.loc[:today].iloc[-1] if len(ahead) else 0.0
        return {"DI1.1Y": float(np.clip(move, -1, 1))}


DI = "BR.DI.1Y"
WINDOW = ("2015-01-02", "2015-05-29")


class LakePeeker(Peeker):
    """TEST — opens the configured lake itself (the door the view cannot close) and trades
    the sign of the DI 1y move over the next month. Reference: none."""

    name = "TEST_LAKE_PEEK"

    def positions(self, view: PITView) -> Mapping[str, float]:
        future = Lake.open().at("2100-01-01").series(DI)
        today = view.as_of.tz_convert(get_settings().timezone).tz_localize(None).normalize()
        ahead = future.loc[today + pd.Timedelta(days=1) : today + pd.Timedelta(days=30)]
        move = ahead.mean() - future.loc[:today].iloc[-1] if len(ahead) else 0.0
        return {"DI1.1Y": float(np.sign(move))}


def test_the_engine_catches_a_strategy_reading_the_lake_files(lake):
    """The backtest alone runs without error (the view is never asked for the future); the
    engine's verification recomputes on a lake cut at the date, which the configuration
    points at too, and sees the positions change. An honest strategy passes unchanged."""
    assert Path(get_settings().lake_path).resolve() == lake.root.resolve()
    peeker = FilePeeker(rebalance="M")
    peek = run_backtest(peeker, lake, *WINDOW, verify=0)  # unverified: no error
    assert (peek.signals.abs() > 0).all().all()
    first = sample_dates(peek.signals.index, 2, seed=0)[0]
    with pytest.raises(LookAheadError, match=rf"TEST_FILE_PEEK at {first.date()}: positions"):
        run_backtest(peeker, lake, *WINDOW, verify=2)
    assert Path(get_settings().lake_path).resolve() == lake.root.resolve()  # restored
    honest = get_strategy("RATES_BR_03", rebalance="M")
    checked = run_backtest(honest, lake, *WINDOW, verify=2)
    assert len(checked.verified) == 2
    assert checked.equity.equals(run_backtest(honest, lake, *WINDOW, verify=0).equity)
    with pytest.raises(BacktestError, match="causal vintage"):
        run_backtest(peeker, lake, *WINDOW, verify=1, vintage="latest")


def test_verification_is_on_by_default(lake):
    """Issue 24: a strategy that opens the lake itself backtested with a hand-picked
    one-month foresight under the old default (``verify=0``). By default the engine now
    checks three dates, the last among them, and catches it; ``verify=0`` still runs it."""
    peek = run_backtest(LakePeeker(rebalance="M"), lake, *WINDOW, verify=0)
    assert len(peek.verified) == 0 and peek.metrics["sharpe"] > 1  # a month of foresight
    with pytest.raises(LookAheadError, match=r"TEST_LAKE_PEEK at 2015-\d\d-\d\d: positions"):
        run_backtest(LakePeeker(rebalance="M"), lake, *WINDOW)
    dates = peek.signals.index
    picked = sample_dates(dates, 3, seed=0)
    assert len(picked) == 3 and picked[-1] == dates[-1]  # the last, and two at random
    assert sample_dates(dates, 1, seed=5).tolist() == [dates[-1]]
    honest = run_backtest(get_strategy("RATES_BR_03", rebalance="M"), lake, *WINDOW)
    assert honest.verified.equals(picked)


def test_bad_strategy_output_is_refused(lake):
    with pytest.raises(BacktestError, match=r"undeclared instruments \['ES.FUT'\]"):
        run_backtest(Stray(), lake, "2015-01-02", "2015-03-31")
    with pytest.raises(BacktestError, match="non-finite position"):
        run_backtest(NaNs(), lake, "2015-01-02", "2015-03-31")
    with pytest.raises(BacktestError, match="must be after start"):
        run_backtest(get_strategy("RATES_BR_03"), lake, "2015-03-31", "2015-01-02")


class ThreadCounter(Peeker):
    """TEST — flat, notes the BLAS/OpenMP threads it may use. Reference: none."""

    name = "TEST_THREADS"
    seen: ClassVar[set[int]] = set()

    def positions(self, view: PITView) -> Mapping[str, float]:
        self.seen.update(p["num_threads"] for p in threadpool_info())
        return {"DI1.1Y": 0.0}


def _threads(_: object) -> set[int]:
    return {p["num_threads"] for p in threadpool_info()}


def test_blas_and_openmp_are_bounded_in_the_engine_and_every_task(lake):
    # Issue 29: unbounded pools burned 2-5x the CPU for the same result; here the caller
    # allows two threads, the engine and each Executor task hold them to one.
    assert threadpool_info(), "no BLAS/OpenMP pool loaded: nothing to check"
    with threadpool_limits(2):
        assert max(_threads(None)) == 2
        run_backtest(ThreadCounter(), lake, "2015-01-02", "2015-02-27", verify=0)
        assert ThreadCounter.seen == {1}
        with Executor(workers=1) as pool:
            assert pool.map(_threads, [0, 1]) == [{1}, {1}]
        assert max(_threads(None)) == 2  # the caller's limit is back


FUZZ = ("RATES_US_05", "SOV_BR_01", "XA_CARRY_01", "CUPOM_01")


@settings(
    max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(days=st.integers(min_value=0, max_value=5000), pick=st.integers(0, len(FUZZ) - 1))
def test_causality_fuzz(lake, tmp_path_factory, days, pick):
    """A backtest over [start, D] is identical on a lake holding nothing released after D."""
    end = pd.Timestamp("2012-06-01") + pd.Timedelta(days=days)
    start = end - pd.Timedelta(days=500)
    truncated = export_as_of(lake, end, tmp_path_factory.mktemp("asof") / "lake")
    strategy = get_strategy(FUZZ[pick])
    full = run_backtest(strategy, lake, start, end, verify=0)  # the property, not the engine's
    cut = run_backtest(strategy, truncated, start, end, verify=0)  # check (tested above)
    pd.testing.assert_series_equal(full.equity, cut.equity)
    pd.testing.assert_frame_equal(full.trades, cut.trades)
    pd.testing.assert_frame_equal(full.signals, cut.signals)
    # and a longer backtest from the same start agrees on every day up to D
    longer = run_backtest(strategy, lake, start, end + pd.Timedelta(days=120), verify=0)
    pd.testing.assert_series_equal(full.equity, longer.equity.loc[: full.equity.index[-1]])


def test_vintage_grid_moves_only_with_revisions(lake):
    table, results = vintage_grid(lake, "RATES_US_05", "2012-01-02", "2020-12-31", record=False)
    by = {r.vintage: r for r in results}
    assert set(by) == {"first_release", "as_of", "latest"}
    # payrolls are revised: the three views trade differently
    assert not by["first_release"].signals.equals(by["as_of"].signals)
    assert not by["latest"].signals.equals(by["as_of"].signals)
    assert table.loc["sharpe", "latest - as_of"] == pytest.approx(
        by["latest"].metrics["sharpe"] - by["as_of"].metrics["sharpe"]
    )
    # market data are never revised: a curve strategy is the same on every vintage
    _, flat = vintage_grid(lake, "RATES_BR_03", "2015-01-02", "2016-12-30", record=False)
    assert all(r.equity.equals(flat[0].equity) for r in flat)


def test_costs_are_counted(lake):
    s = get_strategy("RATES_BR_03")
    span = ("2014-01-02", "2016-12-30")
    free = run_backtest(s, lake, *span, costs=CostModel(scale=0, impact=0), verify=0)
    paid = run_backtest(s, lake, *span, verify=0)
    thin = run_backtest(s, lake, *span, costs=CostModel(nav=5e10), verify=0)
    assert free.trades["cost"].sum() == 0
    assert free.equity.iloc[-1] > paid.equity.iloc[-1] > thin.equity.iloc[-1]


def test_config_validation(tmp_path):
    with pytest.raises(StrategyConfigError, match=r"unknown strategy 'NOPE'; valid: \['CUPOM_01'"):
        get_strategy("NOPE")
    with pytest.raises(StrategyConfigError, match=r"RATES_BR_03: bad parameters \(window"):
        get_strategy("RATES_BR_03", window=5)
    with pytest.raises(StrategyConfigError, match="lookbak: Extra inputs are not permitted"):
        get_strategy("RATES_BR_01", lookbak=100)
    path = tmp_path / "book.yaml"
    path.write_text(
        yaml.safe_dump({"strategies": {"FX_BR_02": {"sessions": 126}, "XA_MOM_01": None}})
    )
    book = load_config(path)
    assert book["FX_BR_02"].params.sessions == 126
    assert book["XA_MOM_01"].params.rebalance == "M"
    path.write_text("strategies: [FX_BR_02]")
    with pytest.raises(StrategyConfigError, match="expected a mapping"):
        load_config(path)


def test_every_strategy_documents_rationale_and_reference():
    for name, cls in STRATEGIES.items():
        doc = cls.__doc__ or ""
        assert name in doc and "Reference:" in doc, name
        assert len(cls.describe(cls)) > 80, name  # type: ignore[arg-type]


def test_cli_backtest_shows_progress_unless_quiet(lake, tmp_path, capsys):
    copy = export_as_of(lake, "2018-04-30", tmp_path / "lk")  # its own trial ledger
    args = ["backtest", "RATES_US_05", "--start", "2018-01-02", "--end", "2018-04-30"]
    args += ["--verify", "1", "--path", str(copy.root)]
    assert main([*args, "--out", str(tmp_path / "a")]) == 0
    err = capsys.readouterr().err
    assert "RATES_US_05:" in err and "RATES_US_05 causality:" in err and "it/s" in err
    assert main([*args, "--out", str(tmp_path / "b"), "--quiet"]) == 0
    assert capsys.readouterr().err == ""


def test_cli_backtest_writes_a_report(lake, tmp_path, capsys):
    out = tmp_path / "report"
    args = ["backtest", "RATES_US_05", "--start", "2015-01-02", "--end", "2018-12-31"]
    args += [
        "--grid",
        "first_release,as_of,latest",
        "--out",
        str(out),
        "--path",
        str(tmp_path / "lk"),
    ]
    export_as_of(lake, "2018-12-31", tmp_path / "lk")
    assert main(args) == 0
    text = capsys.readouterr().out
    assert "deflated Sharpe" in text and "latest - as_of" in text
    # verified by default (3 dates), as_of and first_release, not latest (not causal)
    assert text.count("verified causal at 3 dates") == 2
    figures = {p.stem for p in (out / "figures").glob("*.html")}
    assert figures == {"equity", "drawdown", "rolling_sharpe", "monthly_returns", "exposures"}
    metrics = pd.read_csv(out / "metrics.csv", index_col=0)
    assert {"first_release", "as_of", "latest", "sharpe"} <= set(metrics.columns) | set(
        metrics.index
    )
    assert len(pd.read_csv(out / "trades.csv")) > 0
    assert main(["backtest", "--list"]) == 0
    assert "XA_TREND_01" in capsys.readouterr().out

"""The book backtest's options object (issue 28: no function over 8 parameters) and its
daily rebalancing (issue 29)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pandas as pd
import pytest

from research_core.backtest.book import BookBacktestOptions, run_book_backtest
from research_core.calendars import business_day_range
from research_core.errors import BacktestError
from research_core.lake.store import Lake


@pytest.fixture(scope="module")
def lake(sample_lake_path: Path) -> Lake:
    return Lake.open(sample_lake_path)


def test_a_misspelt_option_is_a_one_line_error_naming_it(lake):
    with pytest.raises(BacktestError) as err:
        run_book_backtest(lake, "2016-01-04", "2016-02-29", verfy=0)
    text = str(err.value)
    assert "\n" not in text and "'verfy'" in text and "verify" in text  # the known ones
    with pytest.raises(BacktestError, match="'freqs'"):
        run_book_backtest(lake, "2016-01-04", "2016-02-29", BookBacktestOptions(), freqs="W")


def test_a_bad_frequency_is_refused_before_any_work(lake):
    with pytest.raises(BacktestError, match=r"'Q'.*D, W, M"):
        run_book_backtest(lake, "2016-01-04", "2016-02-29", BookBacktestOptions(freq="Q"))


def test_a_daily_book_decides_at_every_session(lake):
    # Hand count: B3 sessions 2016-03-01 .. 2016-03-04 are the 4 weekdays (Tue-Fri, no
    # holiday); every session but the last decides (its trade would fall after the end).
    start, end = "2016-03-01", "2016-03-04"
    sessions = business_day_range(start, end, "B3")
    assert len(sessions) == 4
    options = BookBacktestOptions(freq="D", verify=0)
    book = run_book_backtest(lake, start, end, options)
    assert book.result.signals.index.equals(pd.DatetimeIndex(sessions[:-1]))
    assert book.result.weights.index.equals(pd.DatetimeIndex(sessions[1:]))  # next session
    assert book.freq == "D" and book.result.strategy == "BOOK[erc,D]"


def test_the_benchmark_runs_a_daily_book_and_prints_its_profile(sample_lake_path, capsys):
    bench = Path(__file__).resolve().parents[2] / "benchmarks"
    if str(bench) not in sys.path:  # the script imports its shared _paths and _timing
        sys.path.insert(0, str(bench))
    spec = importlib.util.spec_from_file_location("book_backtest", bench / "book_backtest.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    args = ["--lake", str(sample_lake_path), "--start", "2016-03-01", "--end", "2016-03-04"]
    seconds = module.main(
        [*args, "--freq", "D", "--verify", "0", "--paths", "new", "--profile", "5"]
    )
    assert seconds["rebalances"] == 4.0  # the 4 sessions (hand count above)
    text = capsys.readouterr().out
    assert "BOOK[erc,D]" in text and "cumulative time" in text  # the profile, printed

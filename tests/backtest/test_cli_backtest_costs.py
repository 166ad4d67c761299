"""What a backtest from the command line pays for (issue 29, row 3): its statistics without
``scipy.stats`` (about 0.5 s CPU to import), the same numbers as scipy gives, and the array
paths of the strategies' hot loop equal to the frames they replace."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from research_core import pnl
from research_core.backtest.metrics import moments
from research_core.backtest.validation import deflated_sharpe, probabilistic_sharpe
from research_core.calendars import business_days
from research_core.catalog import instrument
from research_core.curves import hold
from research_core.lake.store import Lake
from research_core.strategies._market import aligned
from tests.lake.conftest import rows

REPO = Path(__file__).resolve().parents[2]


def test_a_backtests_statistics_do_not_import_scipy_stats():
    # A fresh process: the engine, the metrics, the trial ledger (skew, kurtosis, deflated
    # Sharpe) and the report run without loading scipy.stats.
    code = (
        "import sys, numpy as np, pandas as pd\n"
        "import research_core.backtest.engine, research_core.backtest.ledger\n"
        "import research_core.backtest.report\n"
        "from research_core.backtest.metrics import performance\n"
        "from research_core.backtest.validation import deflated_sharpe\n"
        "r = pd.Series(np.sin(np.arange(300.0)) / 100, index=pd.bdate_range('2020', periods=300))\n"
        "performance(r); deflated_sharpe(r, 5, 0.01)\n"
        "print('scipy.stats' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert done.stdout.strip() == "False"


def test_moments_are_scipy_stats_skew_and_kurtosis():
    # The peer: scipy.stats.skew (biased and adjusted) and kurtosis(fisher=False).
    r = np.random.default_rng(7).standard_t(4, 500) * 0.01 + 3e-4
    skew, kurt = moments(r)
    assert skew == pytest.approx(stats.skew(r), rel=1e-13)
    assert kurt == pytest.approx(stats.kurtosis(r, fisher=False), rel=1e-13)
    assert moments(r, bias=False)[0] == pytest.approx(stats.skew(r, bias=False), rel=1e-13)
    assert np.isnan(moments(np.full(10, 0.01))).all()  # constant: undefined, as scipy says


def test_deflated_sharpe_uses_the_normal_law():
    # Bailey & López de Prado (2012), eq. for the PSR: Phi((SR - SR*) sqrt(n - 1) / sqrt(1 -
    # g3 SR + (g4 - 1) / 4 SR^2)); by hand with SR 0.1, SR* 0, n 101, g3 0, g4 3:
    # z = 0.1 * 10 / sqrt(1 + 0.005) = 0.997509..., Phi(z) = 0.84072... (scipy.stats.norm).
    z = 0.1 * 10 / np.sqrt(1.005)
    assert probabilistic_sharpe(0.1, 0.0, 101, 0.0, 3.0) == pytest.approx(stats.norm.cdf(z))
    r = pd.Series(np.random.default_rng(3).normal(5e-4, 0.01, 400))
    sr = r.mean() / r.std(ddof=1)
    by_hand = stats.norm.cdf(
        (sr - 0.0)
        * np.sqrt(399)
        / np.sqrt(1 - stats.skew(r) * sr + (stats.kurtosis(r) + 2) / 4 * sr**2)
    )
    assert deflated_sharpe(r, 1, 0.0) == pytest.approx(by_hand, rel=1e-12)


def test_aligned_is_the_frame_forward_filled_from_the_first_common_date(tmp_path: Path):
    # Three series on different days; by hand: the union of dates from the first day all
    # three have a value (01-04), each the last value known at or before the day.
    lake = Lake.open(tmp_path / "lake", create=True)
    evening = "2024-01-10 22:00"
    lake.write(
        rows(
            "BR.CDS.5Y", ["2024-01-02", "2024-01-04", "2024-01-05"], [1.0, 2.0, 3.0], [evening] * 3
        )
    )
    lake.write(rows("US.VIX", ["2024-01-03", "2024-01-08"], [10.0, 11.0], [evening] * 2))
    lake.write(rows("US.BAA.SPREAD", ["2024-01-04"], [100.0], [evening]))
    view = lake.at("2024-01-12")
    ids = ["BR.CDS.5Y", "US.VIX", "US.BAA.SPREAD"]
    expected = np.array(
        [[2.0, 10.0, 100.0], [3.0, 10.0, 100.0], [3.0, 11.0, 100.0]]  # 01-04, 01-05, 01-08
    )
    assert np.array_equal(aligned(view, ids), expected)
    assert np.array_equal(view.frame(ids).ffill().dropna().to_numpy(), expected)


def test_session_days_are_the_calendars_sessions_begun_by_the_view(tmp_path: Path):
    # As of 2024-03-15 10:00 in São Paulo (13:00 UTC) that day's session has begun; the
    # WEEKDAYS calendar's index is in microseconds, B3's in nanoseconds: both read alike.
    view = Lake.open(tmp_path / "lake", create=True).at("2024-03-15 13:00+00:00")
    for calendar in ("B3", "WEEKDAYS"):
        days = business_days(calendar)
        by_hand = days[(days >= "2024-03-01") & (days <= "2024-03-15")]
        got = pnl.session_days(view, "2024-03-01", calendar=calendar)
        assert got.equals(by_hand) and got[-1] == pd.Timestamp("2024-03-15")
        assert pnl.session_days(view, "2024-03-01", "2024-03-08", calendar).equals(
            by_hand[by_hand <= "2024-03-08"]
        )


def test_a_curve_hold_of_no_rows_is_no_rows():
    # A unit extended by no new quote asks for the carry of no rows (Treasuries: par pillars).
    inst = instrument("UST.10Y.FUT")
    empty = (np.zeros(0, dtype=np.int64), np.zeros(0))
    data = {f"pillar:{s}": empty for s in hold.pillars(inst)[0][:-1]}
    assert hold.curve_hold(inst, np.zeros(0), np.zeros(0, dtype=np.int64), data).shape == (0,)


def test_latest_values_are_latest_as_arrays_a_withdrawal_included(tmp_path: Path):
    # By hand: BR.CDI's last period (01-04) was withdrawn (NaN) by 01-05: NaN at 01-04, as
    # view.latest says; BR.SELIC.TARGET's 01-03 value was revised 10.5 -> 10.75; US.VIX
    # has nothing released by then (int64 min, NaN). RATES_BR_08 reads these arrays.
    lake = Lake.open(tmp_path / "lake", create=True)
    lake.write(rows("BR.CDI", ["2024-01-03", "2024-01-04"], [10.4, 10.4], ["2024-01-04 12:00"] * 2))
    withdrawal = rows("BR.CDI", ["2024-01-04"], [float("nan")], ["2024-01-05 12:00"])
    lake.write(withdrawal.assign(withdrawn=True))
    lake.write(rows("BR.SELIC.TARGET", ["2024-01-03"], [10.5], ["2024-01-03 12:00"]))
    lake.write(rows("BR.SELIC.TARGET", ["2024-01-03"], [10.75], ["2024-01-05 12:00"]))
    lake.write(rows("US.VIX", ["2024-01-08"], [13.0], ["2024-01-08 22:00"]))
    view = lake.at("2024-01-06")
    ids = ["BR.CDI", "BR.SELIC.TARGET", "US.VIX"]
    obs, values = view.latest_values(ids)
    day = pd.Timestamp("2024-01-04").value
    assert obs.tolist() == [day, pd.Timestamp("2024-01-03").value, np.iinfo(np.int64).min]
    assert np.array_equal(values, [np.nan, 10.75, np.nan], equal_nan=True)
    frame = view.latest(ids).reindex(ids)
    assert np.array_equal(frame["value"].to_numpy(float), values, equal_nan=True)
    assert np.array_equal(pd.DatetimeIndex(frame["obs_date"]).asi8, obs)

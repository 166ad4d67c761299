"""PSR against the haircut backtest Sharpe, MinTRL, DSR over the trial ledger, and
implementation drift (Spearman / KS)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from research_core.backtest.ledger import TrialLedger
from research_core.backtest.validation import probabilistic_sharpe
from research_core.errors import HealthError
from research_core.health.drift import implementation_drift, live_returns
from research_core.health.track import ledger_dsr, min_track_record, track_record

GAMMA = 0.5772156649015329


def _dsr_by_hand(sr: float, n_trials: int, var: float, n: int, skew: float, kurt: float) -> float:
    """Bailey & López de Prado (2014), eqs. for E[max SR] and PSR, written out here."""
    z = stats.norm.ppf
    sr0 = np.sqrt(var) * ((1 - GAMMA) * z(1 - 1 / n_trials) + GAMMA * z(1 - 1 / (n_trials * np.e)))
    se = np.sqrt((1 - skew * sr + (kurt - 1) / 4 * sr**2) / (n - 1))
    return float(stats.norm.cdf((sr - sr0) / se))


def test_dsr_by_hand_reproduces_the_published_example():
    # "The Deflated Sharpe Ratio" (Bailey & López de Prado 2014), numerical example: 100
    # trials, V[SR] = 1/2 annualized, 1250 daily obs, SR 2.5 annualized, skew -3,
    # kurtosis 10 -> DSR = 0.9004.
    dsr = _dsr_by_hand(2.5 / np.sqrt(250), 100, 0.5 / 250, 1250, -3.0, 10.0)
    assert dsr == pytest.approx(0.9004, abs=5e-5)


def test_ledger_dsr_counts_the_strategy_trials(tmp_path):
    ledger = TrialLedger(tmp_path / "trials.jsonl")
    sharpes = [0.02, 0.05, -0.01, 0.04]
    lines = [
        {"trial_id": f"t{i}", "strategy": "S", "sharpe_period": s} for i, s in enumerate(sharpes)
    ]
    lines.append({"trial_id": "other", "strategy": "X", "sharpe_period": 1.0})
    ledger.path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    r = pd.Series(np.random.default_rng(1).normal(0.0005, 0.01, 1000))
    dsr, n = ledger_dsr(r, ledger, "S")
    x = r.to_numpy()
    expected = _dsr_by_hand(
        x.mean() / x.std(ddof=1),
        4,
        np.var(sharpes, ddof=1),
        len(x),
        stats.skew(x),
        stats.kurtosis(x, fisher=False),
    )
    assert n == 4 and dsr == pytest.approx(expected, rel=1e-12)
    assert ledger_dsr(r, TrialLedger(tmp_path / "none.jsonl"))[1] == 0


def test_min_track_record_by_hand_and_inverse_of_psr():
    # Normal returns: MinTRL = 1 + (1 + SR^2 / 2) (z_0.95 / (SR - SR*))^2 (Bailey & LdP 2012).
    sr = 0.1
    assert min_track_record(sr, 0.0, 0.0, 3.0) == pytest.approx(
        1 + (1 + sr**2 / 2) * (1.6448536269514722 / sr) ** 2
    )
    n = min_track_record(0.08, 0.03, -0.5, 6.0)
    assert probabilistic_sharpe(0.08, 0.03, n, -0.5, 6.0) == pytest.approx(0.95, abs=1e-3)
    assert min_track_record(0.02, 0.03, 0.0, 3.0) == float("inf")


def test_track_record_against_the_haircut_backtest():
    rng = np.random.default_rng(5)
    good = pd.Series(rng.normal(1.5 / np.sqrt(252), 1.0, 1500))  # Sharpe about 1.5
    t = track_record(good, 1.5)
    assert t.benchmark == pytest.approx(0.75) and t.psr > 0.9 and t.progress == 1.0
    dead = pd.Series(rng.normal(-0.5 / np.sqrt(252), 1.0, 1500))
    t = track_record(dead, 1.5)
    assert t.psr < 0.05 and t.min_track_record == float("inf") and t.progress == 0.0
    assert track_record(good, -1.0).benchmark == pytest.approx(-1.5)  # a negative one cut down
    with pytest.raises(HealthError, match="at least 3"):
        track_record(pd.Series([0.1, 0.2]), 1.0)


def test_implementation_drift_by_hand():
    days = pd.bdate_range("2024-01-01", periods=20)
    replay = pd.Series(np.arange(20.0), index=days)
    same = implementation_drift(replay, replay)
    assert (same.spearman, same.ks, same.flags) == (1.0, 0.0, ())
    # shifted by 5 of 20 evenly spaced values: ECDFs differ by at most 5/20 = 0.25
    shifted = implementation_drift(replay + 5, replay)
    assert shifted.spearman == 1.0 and shifted.ks == pytest.approx(0.25)
    assert len(shifted.flags) == 1 and "KS" in shifted.flags[0]
    noise = pd.Series(np.random.default_rng(2).permutation(np.arange(20.0)), index=days)
    assert any("Spearman" in f for f in implementation_drift(noise, replay).flags)
    with pytest.raises(HealthError, match="20 common dates"):
        implementation_drift(replay.iloc[:5], replay)


def test_live_returns_from_pms_tables():
    nav = pd.DataFrame(
        {"nav_brl": [101.0, 99.99], "pnl_brl": [1.0, -1.01]},
        index=pd.DatetimeIndex(["2024-01-02", "2024-01-03"], name="as_of"),
    )
    pnl = pd.DataFrame(
        {
            "as_of": ["2024-01-02", "2024-01-02", "2024-01-03"],
            "strategy": ["A", "B", "A"],
            "pnl_brl": [0.6, 0.4, -1.01],
        }
    )
    out = live_returns(pnl, nav)
    # day 1: NAV before 100 -> A 0.6 %, B 0.4 %, book 1 %; day 2: NAV before 101 -> -1 %
    assert out.loc["2024-01-02", ["A", "B", "BOOK"]].tolist() == pytest.approx([0.006, 0.004, 0.01])
    assert out.loc["2024-01-03", ["A", "B", "BOOK"]].tolist() == pytest.approx([-0.01, 0, -0.01])

"""The meta-model on simulated signal histories: labels and features known at the signal
date, walk-forward without leakage, value found where it was planted and not where it
was not, SHAP attributions that add up, and one ledger trial per evaluation."""

from __future__ import annotations

import sys

import numpy as np
import pandas as pd
import pytest

from research_core.backtest.ledger import TrialLedger
from research_core.health.meta import (
    FEATURES,
    SignalHistory,
    evaluate,
    next_trade_conviction,
    trade_events,
    walk_forward,
)
from research_core.lake import Lake

N_DAYS, EVERY = 1800, 5


def _history(seed: int, planted: bool, name: str = "SIM") -> SignalHistory:
    """One instrument, a weekly signal; with ``planted`` the trade drifts its way in
    proportion to (strength - 0.55) over its five holding sessions, else pure noise."""
    rng = np.random.default_rng(seed)
    days = pd.bdate_range("2012-01-02", periods=N_DAYS)
    at = np.arange(70, N_DAYS - 1, EVERY)
    side = rng.choice([-1.0, 1.0], len(at))
    strength = rng.uniform(0.1, 1.0, len(at))
    r = rng.normal(0.0, 0.01, N_DAYS)
    if planted:
        for i, s, k in zip(at, side, strength, strict=True):
            r[i + 2 : i + 2 + EVERY] += s * (k - 0.55) * 0.02  # entry at i + 1
    prices = pd.DataFrame({"X": 100 * np.exp(np.cumsum(r))}, index=days)
    signals = pd.DataFrame({"X": side * strength}, index=days[at])
    return SignalHistory(name, "W", signals, prices)


def test_labels_and_features_are_known_at_the_signal_date():
    h = _history(1, planted=True)
    ev = trade_events(h)
    assert list(FEATURES) == [c for c in ev.columns if c in FEATURES]
    first = ev.iloc[0]
    d = h.prices.index.get_loc(ev.index[0])
    # entry at the next session, side times the log move to the exit, as a simple return
    exit_ = h.prices.index.get_loc(first["t1"])
    move = np.log(h.prices["X"].iloc[exit_] / h.prices["X"].iloc[d + 1])
    assert first["ret"] == pytest.approx(np.expm1(first["side"] * move))
    assert 0 < exit_ - (d + 1) <= EVERY and first["win"] == float(first["ret"] > 0)
    assert np.isnan(ev["ret"].iloc[-1]) or ev.index[-1] < h.prices.index[-2]
    # rewriting every price after a signal date changes none of that date's features
    cut = ev.index[150]
    later = h.prices.copy()
    later.loc[later.index > cut, "X"] *= 1.3
    moved = trade_events(SignalHistory("SIM", "W", h.signals, later))
    pd.testing.assert_frame_equal(ev.loc[:cut, list(FEATURES)], moved.loc[:cut, list(FEATURES)])
    # the strategy's record uses only trades closed before the signal date
    closed_before = ev[pd.DatetimeIndex(ev["t1"]) < ev.index[40]].tail(10)
    assert ev["hit_rate_10"].iloc[40] == pytest.approx(closed_before["win"].mean())


def test_walk_forward_does_not_leak():
    ev = trade_events(_history(2, planted=True)).dropna(subset=["win"])
    p = walk_forward(ev, refit_every=40, min_train=60)
    assert p.iloc[:60].isna().all() and p.iloc[-50:].notna().all()
    # flipping the outcomes of the last block's trades cannot change its own predictions
    dates = ev.index.unique()
    start = dates[(len(dates) - 1) // 40 * 40]  # the last block's first date
    flipped = ev.copy()
    flipped.loc[flipped.index >= start, "win"] = 1 - flipped.loc[flipped.index >= start, "win"]
    again = walk_forward(flipped, refit_every=40, min_train=60)
    np.testing.assert_array_equal(p.to_numpy(), again.to_numpy())


def test_value_found_where_planted_and_not_elsewhere(tmp_path):
    lake = Lake.open(tmp_path / "lake", create=True)
    ledger = TrialLedger(tmp_path / "trials.jsonl")
    good = evaluate(_history(3, planted=True), lake, refit_every=40, ledger=ledger)
    assert good.auc > 0.6 and good.meta_sharpe > good.primary_sharpe
    assert good.importance.idxmax() == "strength"  # the planted feature
    noise = evaluate(_history(4, False, "NOISE"), lake, refit_every=40, ledger=ledger)
    assert abs(noise.auc - 0.5) < 0.1 and not noise.adds_value
    # one trial per evaluation, under the strategy's META name
    assert sorted(ledger.trials()["strategy"]) == ["META:NOISE", "META:SIM"]
    assert good.n_trials == noise.n_trials == 1
    assert "out-of-sample value" in noise.summary()


def test_next_trade_conviction_and_shap_attributions_add_up():
    h = _history(5, planted=True)
    conv, attr = next_trade_conviction(h)
    (key,) = conv
    assert key == ("strategy:SIM", "X")
    p = float(attr["p_win"].iloc[0])
    assert conv[key] == pytest.approx(2 * p)
    logit = attr["base"].iloc[0] + attr[list(FEATURES)].iloc[0].sum()
    assert logit == pytest.approx(np.log(p / (1 - p)), abs=1e-6)
    assert attr["method"].iloc[0].startswith("SHAP")


def test_without_shap_the_attributions_are_permutation_importance(monkeypatch):
    """``shap`` is an optional extra: with it blocked (``import shap`` raises ImportError),
    the conviction is unchanged and the attributions are the model's permutation importance,
    labelled so; the planted feature (the trade's strength, see ``_history``) ranks first."""
    h = _history(5, planted=True)
    conv_shap, _ = next_trade_conviction(h)
    monkeypatch.setitem(sys.modules, "shap", None)
    conv, attr = next_trade_conviction(h)
    assert conv == conv_shap
    assert attr["method"].iloc[0].startswith("permutation importance")
    assert attr[list(FEATURES)].iloc[0].idxmax() == "strength" and attr["base"].isna().all()


def test_a_trade_still_open_at_the_end_has_no_outcome():
    """A signal two sessions before the data ends: entry at the next session, a five-session
    (weekly) holding period that has not run out. Flat prices touch no barrier, so its
    outcome is unknown (NaN), not a 'time' exit on a cut path."""
    days = pd.bdate_range("2020-01-01", periods=120)
    rng = np.random.default_rng(0)
    walk = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 120)))
    walk[-8:] = walk[-9]  # flat at the end: no barrier is touched
    signals = pd.DataFrame({"X": [0.8, -0.8]}, index=days[[100, 117]])
    ev = trade_events(SignalHistory("SIM", "W", signals, pd.DataFrame({"X": walk}, index=days)))
    assert np.isfinite(ev["ret"].iloc[0])  # entry 101, exits by 106: known
    assert np.isnan(ev["ret"].iloc[-1]) and np.isnan(ev["win"].iloc[-1])  # entry 118 of 119

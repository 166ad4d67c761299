"""Validation: CPCV against skfolio, purging, walk-forward, deflated Sharpe, PBO, the trial
ledger, triple-barrier labels, meta-labeling and the executor (local and Dask)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from skfolio.model_selection import CombinatorialPurgedCV as SkfolioCPCV

from research_core.backtest import validation as v
from research_core.backtest.executor import Executor
from research_core.backtest.labels import MetaLabeler, triple_barrier
from research_core.backtest.ledger import TrialLedger
from research_core.backtest.sweep import Task, run_many, sweep
from research_core.errors import BacktestError
from research_core.lake.store import Lake


@pytest.mark.parametrize(
    ("n", "folds", "tests", "purge", "embargo"),
    [(503, 6, 2, 3, 5), (1000, 10, 8, 0, 0), (260, 5, 3, 2, 1)],
)
def test_cpcv_folds_equal_skfolio(n, folds, tests, purge, embargo):
    ours = v.CombinatorialPurgedCV(folds, tests, purge, embargo)
    theirs = SkfolioCPCV(n_folds=folds, n_test_folds=tests, purged_size=purge, embargo_size=embargo)
    pairs = list(zip(ours.split(n), theirs.split(np.zeros((n, 1))), strict=True))
    assert len(pairs) == theirs.n_splits
    for (tr_a, te_a), (tr_b, te_b) in pairs:
        np.testing.assert_array_equal(tr_a, tr_b)
        assert all(np.array_equal(a, b) for a, b in zip(te_a, te_b, strict=True))
    assert ours.n_paths == theirs.n_test_paths
    # the same recombination: split c's j-th test fold belongs to skfolio's path id
    paths, ids = ours.paths(), theirs.get_path_ids()
    for c, combo in enumerate(ours.combinations):
        for j, f in enumerate(combo):
            assert paths[ids[c, j], f] == c


def test_purged_kfold_keeps_a_gap_around_each_test_fold():
    for train, test in v.purged_kfold(100, 5, purge=3, embargo=4):
        lo, hi = test.min(), test.max()
        assert not np.isin(train, np.arange(lo - 3, lo)).any()
        assert not np.isin(train, np.arange(hi + 1, hi + 8)).any()
        assert np.intersect1d(train, test).size == 0
    with pytest.raises(BacktestError, match="cannot cut"):
        v.purged_kfold(5, 5)


def test_walk_forward_anchored_and_rolling():
    anchored = v.walk_forward(100, 40, 20)
    rolling = v.walk_forward(100, 40, 20, anchored=False, purge=2)
    assert [len(t) for _, t in anchored] == [20, 20, 20]
    assert all(tr[0] == 0 for tr, _ in anchored) and len(anchored[-1][0]) == 80
    assert [(tr[0], tr[-1]) for tr, _ in rolling] == [(0, 37), (20, 57), (40, 77)]
    with pytest.raises(BacktestError, match="train \\+ test"):
        v.walk_forward(10, 8, 5)


@pytest.fixture(scope="module")
def variants() -> pd.DataFrame:
    rng = np.random.default_rng(5)
    idx = pd.bdate_range("2010-01-01", periods=2000)
    noise = rng.normal(0, 0.01, (2000, 20))
    return pd.DataFrame(noise, index=idx, columns=[f"v{i}" for i in range(20)])


def test_pbo_separates_luck_from_skill(variants):
    # pure noise: picking the in-sample best is no better than a coin flip out of sample
    # (worse, as the halves of one sample are negatively related), so PBO is >= 1/2
    assert v.probability_of_overfitting(variants, 10) > 0.5
    skilled = variants.copy()
    skilled["v0"] += 0.002  # Sharpe ≈ 3
    assert v.probability_of_overfitting(skilled, 10) < 0.05
    with pytest.raises(BacktestError, match="even number of blocks"):
        v.probability_of_overfitting(variants, 9)


def test_selection_out_of_sample_and_cpcv_paths(variants):
    skilled = variants.copy()
    skilled["v3"] += 0.002
    oos = v.select_out_of_sample(skilled, v.walk_forward(2000, 500, 250))
    assert len(oos) == 1500 and (oos["variant"] == "v3").mean() > 0.8
    paths = v.cpcv_paths(skilled, v.CombinatorialPurgedCV(6, 2, purge=5, embargo=5))
    assert paths.shape == (2000, 5)
    assert (paths.mean() > 0.001).all()  # every path holds the skilled variant mostly


def test_deflated_sharpe_known_answers():
    rng = np.random.default_rng(1)
    r = pd.Series(rng.normal(0.0005, 0.01, 1500))
    sr = r.mean() / r.std()
    from scipy import stats

    psr = stats.norm.cdf(
        sr
        * np.sqrt(1499)
        / np.sqrt(1 - stats.skew(r) * sr + (stats.kurtosis(r, fisher=False) - 1) / 4 * sr**2)
    )
    assert v.deflated_sharpe(r, 1, 0.0) == pytest.approx(psr, rel=1e-12)
    assert v.deflated_sharpe(r, 100, 0.001) < v.deflated_sharpe(r, 10, 0.001) < psr
    # expected max Sharpe of N skill-less trials against a simulation
    draws = rng.normal(0, np.sqrt(0.001), (4000, 50)).max(axis=1).mean()
    assert v.expected_max_sharpe(50, 0.001) == pytest.approx(draws, rel=0.03)


def test_triple_barrier_known_path():
    idx = pd.bdate_range("2020-01-01", periods=80)
    up = np.r_[np.full(40, 100.0) * np.exp(np.random.default_rng(0).normal(0, 0.01, 40).cumsum())]
    path = np.r_[up, up[-1] * np.exp(np.linspace(0.01, 0.4, 40))]  # steady rally after day 40
    prices = pd.Series(path, index=idx)
    events = pd.DatetimeIndex([idx[40], idx[41]])
    long = triple_barrier(
        prices, events, profit_take=1.0, stop_loss=1.0, max_holding=10, vol_window=20
    )
    assert (long["barrier"] == "profit_take").all() and (long["label"] == 1).all()
    short = triple_barrier(
        prices,
        events,
        side=pd.Series(-1.0, index=events),
        profit_take=1.0,
        stop_loss=1.0,
        max_holding=10,
        vol_window=20,
    )
    assert (short["barrier"] == "stop_loss").all() and (short["ret"] < 0).all()
    assert (short["t1"] > short.index).all()
    with pytest.raises(BacktestError, match="not on the price index"):
        triple_barrier(prices, pd.DatetimeIndex(["2030-01-01"]))


def test_meta_labeling_filters_losing_trades():
    rng = np.random.default_rng(3)
    n = 3000
    idx = pd.bdate_range("2010-01-01", periods=n)
    signal = np.zeros(n)  # a persistent state known at t: the next days drift with its sign
    for t in range(1, n):
        signal[t] = 0.95 * signal[t - 1] + rng.normal()
    drift = np.where(signal > 0, 0.004, -0.004)
    rets = np.r_[0.0, (drift[:-1] + rng.normal(0, 0.01, n - 1))]
    prices = pd.Series(100 * np.exp(np.cumsum(rets)), index=idx)
    events = idx[100:-20:5]
    side = pd.Series(1.0, index=events)  # the primary model is always long
    labels = triple_barrier(prices, events, side=side, max_holding=5, vol_window=50)
    features = pd.DataFrame({"signal": signal, "noise": rng.normal(size=n)}, index=idx)
    half = len(labels) // 2
    train, test = labels.iloc[:half], labels.iloc[half:]
    meta = MetaLabeler().fit(features.loc[train.index], train)
    filtered = meta.filter(side.loc[test.index], features)
    kept = test[filtered != 0]
    assert 0.3 < len(kept) / len(test) < 0.7
    assert (kept["ret"] > 0).mean() > (test["ret"] > 0).mean() + 0.15
    with pytest.raises(BacktestError, match="fit must run"):
        MetaLabeler().probability(features)


def test_ledger_counts_distinct_trials_and_deflates(sample_lake_path: Path, tmp_path):
    lake = Lake.open(sample_lake_path)
    ledger = TrialLedger(tmp_path / "trials.jsonl")
    tasks = [
        Task(str(lake.root), "FX_BR_02", (("sessions", s),), "2014-01-02", "2016-12-30")
        for s in (21, 63, 126)
    ]
    results = run_many(tasks, Executor(workers=1), ledger)
    run_many(tasks[:1], Executor(workers=1), ledger)  # the same trial again: not a new one
    trials = ledger.trials("FX_BR_02")
    assert len(trials) == 3 and trials["params"].map(lambda p: p["sessions"]).tolist() == [
        63,
        126,
        21,
    ]
    assert {"lake_version", "start", "end", "sharpe_period", "kurtosis"} <= set(trials.columns)
    alone = TrialLedger(tmp_path / "one.jsonl")
    alone.record(results[1], lake)
    assert ledger.deflated_sharpe(results[1]) < alone.deflated_sharpe(results[1])
    (tmp_path / "bad.jsonl").write_text('{"trial_id": "x"}\nnot json\n')
    with pytest.raises(BacktestError, match=r"bad\.jsonl:2: unreadable ledger line"):
        TrialLedger(tmp_path / "bad.jsonl").trials()


def test_sweep_is_identical_locally_and_on_a_dask_cluster(sample_lake_path: Path):
    lake = Lake.open(sample_lake_path)
    grid = {"sessions": [21, 126], "rebalance": ["M"]}
    args = (lake, "FX_BR_02", grid, "2015-01-02", "2016-06-30")
    local, _ = sweep(*args, executor=Executor(workers=2), record=False)
    dask, _ = sweep(*args, executor=Executor(cluster="local", workers=2), record=False)
    assert list(local.columns) == ["rebalance=M,sessions=21", "rebalance=M,sessions=126"]
    pd.testing.assert_frame_equal(local, dask)
    with pytest.raises(BacktestError, match="context manager"):
        Executor(cluster="local").map(len, [[1], [2]])


def _kmeans_inertia(seed: int) -> float:
    from sklearn.cluster import KMeans

    x = np.random.default_rng(seed).normal(size=(5000, 3))
    return float(KMeans(3, n_init=1, random_state=0).fit(x).inertia_)


@pytest.mark.timeout(120)
def test_local_workers_do_not_deadlock_after_openmp_started():
    """Regression: forked workers hung forever in their first OpenMP region (KMeans inside
    hmmlearn) once the parent had run one; the every-strategy fixture then sat at its
    timeout. Expected values: the same fits run in this process."""
    here = [_kmeans_inertia(s) for s in (0, 1, 2)]  # starts OpenMP threads in the parent
    # the same up to OpenMP reduction order
    assert np.allclose(Executor(workers=2).map(_kmeans_inertia, [0, 1, 2]), here, rtol=1e-12)

"""Honest validation: walk-forward, purged k-fold, combinatorial purged CV, deflated Sharpe
and the probability of backtest overfitting.

Splits work on positions 0..n-1 of a time-ordered sample. Purging drops training
observations next to a test block whose labels overlap it (``purge`` observations on each
side); the embargo drops ``embargo`` more after each test block, because serial
correlation leaks test information into the observations that follow (López de Prado,
*Advances in Financial Machine Learning*, 2018, ch. 7 and 12).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pandas as pd

from research_core.backtest.metrics import moments
from research_core.errors import BacktestError

EULER_GAMMA = 0.5772156649015329


def fold_ids(n: int, n_folds: int) -> np.ndarray:
    """Fold of each observation: ``n // n_folds`` per fold, the remainder in the last one."""
    size = n // n_folds
    if n_folds < 2 or size < 2:
        raise BacktestError(f"cannot cut {n} observations into {n_folds} folds")
    return np.minimum(np.arange(n) // size, n_folds - 1)


def _purged_train(is_test: np.ndarray, purge: int, embargo: int) -> np.ndarray:
    """Training positions: not test, not within ``purge`` before a test block, not within
    ``purge + embargo`` after one."""
    n = len(is_test)
    drop = is_test.copy()
    step = np.diff(is_test.astype(int))
    starts = np.flatnonzero(step == 1)  # last train row before a test block
    ends = np.flatnonzero(step == -1)  # last test row of a block
    for k in range(purge):
        drop[np.maximum(starts - k, 0)] = True
    for k in range(purge + embargo):
        drop[np.minimum(ends + k + 1, n - 1)] = True
    return np.flatnonzero(~drop)


def purged_kfold(
    n: int, n_folds: int = 5, purge: int = 0, embargo: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """(train, test) positions for k-fold with purging and embargo."""
    folds = fold_ids(n, n_folds)
    return [
        (_purged_train(folds == f, purge, embargo), np.flatnonzero(folds == f))
        for f in range(n_folds)
    ]


@dataclass(frozen=True)
class CombinatorialPurgedCV:
    """Combinatorial purged CV: every choice of ``n_test_folds`` of ``n_folds`` folds is a
    test set; the test blocks recombine into ``n_paths`` full out-of-sample paths."""

    n_folds: int = 6
    n_test_folds: int = 2
    purge: int = 0
    embargo: int = 0

    @property
    def combinations(self) -> list[tuple[int, ...]]:
        return list(itertools.combinations(range(self.n_folds), self.n_test_folds))

    @property
    def n_paths(self) -> int:
        return len(self.combinations) * self.n_test_folds // self.n_folds

    def split(self, n: int) -> Iterator[tuple[np.ndarray, list[np.ndarray]]]:
        """Per combination: training positions and the test positions of each test fold."""
        folds = fold_ids(n, self.n_folds)
        if self.purge + self.embargo >= n // self.n_folds - 1:
            raise BacktestError("purge + embargo must be smaller than a fold")
        for combo in self.combinations:
            train = _purged_train(np.isin(folds, combo), self.purge, self.embargo)
            yield train, [np.flatnonzero(folds == f) for f in combo]

    def paths(self) -> np.ndarray:
        """(n_paths, n_folds) index of the combination that supplies each fold of each path."""
        out = np.zeros((self.n_paths, self.n_folds), dtype=int)
        used = np.zeros(self.n_folds, dtype=int)
        for c, combo in enumerate(self.combinations):
            for f in combo:
                out[used[f], f] = c
                used[f] += 1
        return out


def walk_forward(
    n: int, train: int, test: int, *, anchored: bool = True, purge: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Successive (train, test) windows; anchored keeps the start fixed, rolling slides it."""
    if train < 2 or test < 1 or train + test > n:
        raise BacktestError(f"walk-forward needs train + test <= {n} (got {train} + {test})")
    out = []
    start = train
    while start < n:
        stop = min(start + test, n)
        lo = 0 if anchored else start - train
        out.append((np.arange(lo, max(start - purge, lo)), np.arange(start, stop)))
        start = stop
    return out


def _sharpe(r: np.ndarray) -> np.ndarray:
    sd = r.std(axis=0, ddof=1)
    return np.where(sd > 0, r.mean(axis=0) / np.where(sd > 0, sd, 1.0), -np.inf)


def select_out_of_sample(
    returns: pd.DataFrame, splits: list[tuple[np.ndarray, np.ndarray]]
) -> pd.DataFrame:
    """Pick the best variant (Sharpe) on each train window and hold it over the test window.

    Returns one row per test observation: the out-of-sample return and the chosen variant.
    """
    values = returns.to_numpy()
    rows = []
    for train, test in splits:
        best = int(np.argmax(_sharpe(values[train])))
        for t in test:
            rows.append((returns.index[t], values[t, best], returns.columns[best]))
    return pd.DataFrame(rows, columns=["date", "return", "variant"]).set_index("date")


def cpcv_paths(returns: pd.DataFrame, cv: CombinatorialPurgedCV) -> pd.DataFrame:
    """Out-of-sample return paths: in each combination the in-sample best variant is held
    on its test folds; folds are stitched into ``cv.n_paths`` full paths (columns)."""
    values = returns.to_numpy()
    chosen = []
    for train, _ in cv.split(len(values)):
        chosen.append(int(np.argmax(_sharpe(values[train]))))
    folds = fold_ids(len(values), cv.n_folds)
    out = np.empty((len(values), cv.n_paths))
    for p, combos in enumerate(cv.paths()):
        for f, c in enumerate(combos):
            rows = folds == f
            out[rows, p] = values[rows, chosen[c]]
    return pd.DataFrame(out, index=returns.index, columns=[f"path_{p}" for p in range(cv.n_paths)])


_NORMAL = NormalDist()  # the standard normal law (scipy.special costs a backtest ~0.13 s)


def expected_max_sharpe(n_trials: int, sharpe_variance: float) -> float:
    """Expected maximum Sharpe of ``n_trials`` skill-less strategies (per period)."""
    if n_trials < 2:
        return 0.0
    z1 = _NORMAL.inv_cdf(1 - 1.0 / n_trials)  # scipy.special.ndtri to 1e-14, no import
    z2 = _NORMAL.inv_cdf(1 - 1.0 / (n_trials * np.e))
    return float(np.sqrt(sharpe_variance) * ((1 - EULER_GAMMA) * z1 + EULER_GAMMA * z2))


def probabilistic_sharpe(
    sharpe: float, benchmark: float, n_obs: int, skew: float, kurtosis: float
) -> float:
    """P(true Sharpe > benchmark) given a per-period Sharpe estimate (Bailey & López de
    Prado 2012); ``kurtosis`` is Pearson's (3 for a normal)."""
    denom = 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2
    if n_obs < 2 or denom <= 0:
        raise BacktestError(f"probabilistic Sharpe undefined (n={n_obs}, denominator {denom})")
    return _NORMAL.cdf(float((sharpe - benchmark) * np.sqrt(n_obs - 1) / np.sqrt(denom)))


def deflated_sharpe(returns: pd.Series, n_trials: int, sharpe_variance: float) -> float:
    """Deflated Sharpe ratio (Bailey & López de Prado 2014): the probability that the
    strategy's Sharpe beats the best of ``n_trials`` luck-only trials, whose per-period
    Sharpes vary with ``sharpe_variance`` across the trials actually run."""
    r = pd.Series(returns).dropna().to_numpy()
    sd = r.std(ddof=1)
    if sd == 0:
        raise BacktestError("deflated Sharpe of a constant return series")
    sr = r.mean() / sd
    return probabilistic_sharpe(
        sr,
        expected_max_sharpe(n_trials, sharpe_variance),
        len(r),
        *moments(r),
    )


def probability_of_overfitting(returns: pd.DataFrame, n_blocks: int = 16) -> float:
    """Probability of backtest overfitting by combinatorially symmetric CV (Bailey, Borwein,
    López de Prado & Zhu 2017): how often the in-sample best variant ranks in the bottom
    half out of sample, over every half/half split of ``n_blocks`` time blocks."""
    from scipy import stats  # on use: importing it costs every backtest ~0.5 s CPU

    values = returns.dropna().to_numpy()
    if values.shape[1] < 2 or n_blocks % 2 or len(values) < 2 * n_blocks:
        raise BacktestError("PBO needs >= 2 variants, an even number of blocks, enough rows")
    blocks = np.array_split(np.arange(len(values)), n_blocks)
    logits = []
    for half in itertools.combinations(range(n_blocks), n_blocks // 2):
        ins = np.concatenate([blocks[b] for b in half])
        oos = np.concatenate([blocks[b] for b in range(n_blocks) if b not in half])
        best = int(np.argmax(_sharpe(values[ins])))
        rank = stats.rankdata(_sharpe(values[oos]))[best] / (values.shape[1] + 1)
        logits.append(np.log(rank / (1 - rank)))
    return float(np.mean(np.asarray(logits) <= 0))

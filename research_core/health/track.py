"""Is the live track record consistent with the backtest? PSR, MinTRL and DSR.

* Probabilistic Sharpe (Bailey & López de Prado 2012, "The Sharpe Ratio Efficient
  Frontier") of the live returns against the backtest Sharpe cut by a haircut (50 % by
  default: backtested Sharpes shrink out of sample).
* Minimum track record length: the sessions needed for the observed Sharpe to beat that
  benchmark at the given confidence, and the progress of the record toward it.
* Deflated Sharpe of the backtest over the trial ledger's trials (Bailey & López de Prado
  2014): was the backtest the best of many tries?

The formulas live in :mod:`research_core.backtest.validation`; this module applies them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd
from scipy import stats

from research_core.backtest.ledger import TrialLedger
from research_core.backtest.metrics import PERIODS_PER_YEAR
from research_core.backtest.validation import deflated_sharpe, probabilistic_sharpe
from research_core.errors import BacktestError, HealthError

HAIRCUT = 0.5
CONFIDENCE = 0.95


def min_track_record(
    sharpe: float, benchmark: float, skew: float, kurtosis: float, confidence: float = CONFIDENCE
) -> float:
    """Sessions needed for a per-period ``sharpe`` to beat ``benchmark`` with probability
    ``confidence`` (Pearson ``kurtosis``, 3 for a normal); inf when it does not beat it."""
    if sharpe <= benchmark:
        return float("inf")
    z = stats.norm.ppf(confidence)
    var = 1 - skew * sharpe + (kurtosis - 1) / 4 * sharpe**2
    return float(1 + var * (z / (sharpe - benchmark)) ** 2)


@dataclass(frozen=True)
class TrackRecord:
    """The live record against the haircut backtest Sharpe (Sharpes annualized)."""

    n_obs: int
    sharpe: float  # live, annualized
    backtest_sharpe: float  # annualized
    benchmark: float  # backtest_sharpe - haircut * |backtest_sharpe|
    psr: float  # P(true live Sharpe > benchmark)
    min_track_record: float  # sessions (inf when the live Sharpe is below the benchmark)
    progress: float  # n_obs / min_track_record, capped at 1
    dsr: float  # deflated Sharpe of the backtest over the ledger (nan without a ledger)
    n_trials: int

    def to_dict(self) -> dict[str, float]:
        return {k: float(v) for k, v in asdict(self).items()}


def track_record(
    live: pd.Series,
    backtest_sharpe: float,
    *,
    haircut: float = HAIRCUT,
    confidence: float = CONFIDENCE,
    dsr: float = float("nan"),
    n_trials: int = 0,
) -> TrackRecord:
    """PSR and MinTRL of ``live`` daily excess returns against ``backtest_sharpe``
    (annualized) cut by ``haircut`` of its size (a negative Sharpe is cut further down)."""
    r = pd.Series(live, dtype=float).dropna().to_numpy()
    if len(r) < 3:
        raise HealthError(f"a track record needs at least 3 live returns, got {len(r)}")
    if not 0 <= haircut < 1:
        raise HealthError(f"haircut must be in [0, 1), got {haircut}")
    sd = r.std(ddof=1)
    if not sd > 0:
        raise HealthError("monitored returns are constant: no Sharpe to test")
    sr = float(r.mean() / sd)
    ann = np.sqrt(PERIODS_PER_YEAR)
    bench = (backtest_sharpe - haircut * abs(backtest_sharpe)) / ann
    skew, kurt = float(stats.skew(r)), float(stats.kurtosis(r, fisher=False))
    try:
        psr = probabilistic_sharpe(sr, bench, len(r), skew, kurt)
    except BacktestError as err:
        raise HealthError(f"monitored returns: {err}") from err
    mtrl = min_track_record(sr, bench, skew, kurt, confidence)
    return TrackRecord(
        n_obs=len(r),
        sharpe=sr * ann,
        backtest_sharpe=float(backtest_sharpe),
        benchmark=bench * ann,
        psr=psr,
        min_track_record=mtrl,
        progress=min(len(r) / mtrl, 1.0) if np.isfinite(mtrl) else 0.0,
        dsr=dsr,
        n_trials=n_trials,
    )


def ledger_dsr(
    excess: pd.Series, ledger: TrialLedger, strategy: str | None = None
) -> tuple[float, int]:
    """Deflated Sharpe of backtest ``excess`` returns over the ledger's distinct trials
    (all, or one strategy's) and the number of trials; (nan, 0) for an empty ledger."""
    trials = ledger.trials(strategy)
    if trials.empty:
        return float("nan"), 0
    variance = float(np.var(trials["sharpe_period"], ddof=1)) if len(trials) > 1 else 0.0
    return deflated_sharpe(excess, len(trials), variance), len(trials)

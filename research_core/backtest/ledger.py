"""The trial ledger: every strategy variant ever backtested, so multiple testing is counted.

Each run appends one JSON line (strategy, parameters, data snapshot, window, vintage and
per-period return moments) to ``<workspace>/backtests/trials.jsonl``. The deflated
Sharpe of any result then uses the true number of distinct trials and the spread of their
Sharpes — the number a researcher would rather forget.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from research_core import workspace
from research_core._files import append_atomic
from research_core.backtest.engine import BacktestResult
from research_core.backtest.metrics import moments
from research_core.backtest.validation import deflated_sharpe
from research_core.errors import BacktestError
from research_core.lake.store import Lake


def ledger_path(lake: Lake) -> Path:
    """Where a lake's trial ledger lives."""
    return workspace.trials_path(lake.root)


class TrialLedger:
    """Append-only record of backtest trials (one JSON object per line)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    @classmethod
    def for_lake(cls, lake: Lake) -> TrialLedger:
        return cls(ledger_path(lake))

    def record(self, result: BacktestResult, lake: Lake) -> dict[str, Any]:
        """Append one trial; the id hashes strategy, parameters, window, vintage and data."""
        r = result.returns.iloc[1:].to_numpy()
        ident = {
            "strategy": result.strategy,
            "params": result.params,
            "start": str(result.returns.index[0].date()),
            "end": str(result.returns.index[-1].date()),
            "vintage": result.vintage,
            "lake_version": lake.version,
        }
        digest = hashlib.sha256(json.dumps(ident, sort_keys=True).encode()).hexdigest()[:16]
        sd = float(r.std(ddof=1))
        skew, kurtosis = moments(r)
        entry = {
            "trial_id": digest,
            **ident,
            "recorded_at": pd.Timestamp.now(tz="UTC").isoformat(),
            "n_obs": len(r),
            "sharpe_period": float((r.mean() - result.risk_free.iloc[1:].mean()) / sd),
            "sharpe_annual": float(result.metrics["sharpe"]),
            "skew": skew,
            "kurtosis": kurtosis,
        }
        append_atomic(self.path, (json.dumps(entry, sort_keys=True) + "\n").encode())
        return entry

    def trials(self, strategy: str | None = None) -> pd.DataFrame:
        """Distinct trials (latest record of each id), optionally for one strategy."""
        if not self.path.exists():
            return pd.DataFrame(columns=["trial_id", "strategy", "sharpe_period"])
        text = self.path.read_text("utf-8")
        if not text.endswith("\n"):  # a last line cut short by a crash (append_atomic)
            text = text[: text.rfind("\n") + 1]
        rows = []
        for n, line in enumerate(text.splitlines(), start=1):
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as err:
                raise BacktestError(f"{self.path}:{n}: unreadable ledger line ({err})") from err
        frame = pd.DataFrame(rows).drop_duplicates("trial_id", keep="last")
        if strategy is not None:
            frame = frame[frame["strategy"] == strategy]
        return frame.reset_index(drop=True)

    def deflated_sharpe(self, result: BacktestResult, strategy: str | None = None) -> float:
        """Deflated Sharpe of ``result`` against every trial in the ledger (or one strategy's).

        The result itself must have been recorded; with a single trial there is nothing to
        deflate against and the number is the probabilistic Sharpe against zero.
        """
        trials = self.trials(strategy)
        if trials.empty:
            raise BacktestError(f"no trials recorded in {self.path}; record the result first")
        variance = float(np.var(trials["sharpe_period"], ddof=1)) if len(trials) > 1 else 0.0
        excess = result.returns.iloc[1:] - result.risk_free.iloc[1:]
        return deflated_sharpe(excess, len(trials), variance)

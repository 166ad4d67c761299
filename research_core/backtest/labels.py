"""Triple-barrier labels and meta-labeling (López de Prado 2018, ch. 3).

A primary strategy says which side to take; the triple barrier says how each trade would
have ended — profit-take, stop-loss (both in units of recent volatility) or the time limit —
and meta-labeling trains a classifier to predict, from features known at entry, whether
the primary's trade will make money. Its probability then filters (or sizes) the primary
signal: fewer, better trades.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.base import ClassifierMixin, clone
from sklearn.ensemble import RandomForestClassifier

from research_core.errors import BacktestError


def triple_barrier(
    prices: pd.Series,
    events: pd.DatetimeIndex,
    *,
    side: pd.Series | None = None,
    profit_take: float = 2.0,
    stop_loss: float = 2.0,
    max_holding: int = 21,
    vol_window: int = 63,
) -> pd.DataFrame:
    """Label each event by the first barrier its trade touches.

    Barriers sit at ``profit_take`` and ``stop_loss`` times the daily return volatility
    (trailing ``vol_window``, known at entry) scaled by sqrt(``max_holding``); the
    vertical barrier is ``max_holding`` rows later. With ``side`` (+1/-1 per event) returns
    are the trade's; without it, long. Columns: t1 (exit), ret, barrier
    (profit_take/stop_loss/time), label (+1, -1, or the sign of ret at the time limit).
    """
    px = prices.dropna().astype(float)
    if not px.index.is_monotonic_increasing or (px <= 0).any():
        raise BacktestError("prices must be positive and in time order")
    logp = np.log(px.to_numpy())
    vol = px.pct_change().rolling(vol_window, min_periods=vol_window // 2).std().to_numpy()
    pos = px.index.get_indexer(events)
    if (pos < 0).any():
        raise BacktestError(f"events not on the price index: {list(events[pos < 0][:3])}")
    rows = []
    for e, i in zip(events, pos.tolist(), strict=True):
        s = 1.0 if side is None else float(side.loc[e])
        width = vol[i] * np.sqrt(max_holding)
        end = min(i + max_holding, len(px) - 1)
        if not np.isfinite(width) or end <= i or s == 0:
            continue
        path = s * (logp[i + 1 : end + 1] - logp[i])
        hit_pt = np.flatnonzero(path >= profit_take * width)
        hit_sl = np.flatnonzero(path <= -stop_loss * width)
        first_pt = hit_pt[0] if len(hit_pt) else np.inf
        first_sl = hit_sl[0] if len(hit_sl) else np.inf
        if first_pt == first_sl == np.inf:
            j, barrier = len(path) - 1, "time"
        elif first_pt <= first_sl:
            j, barrier = int(first_pt), "profit_take"
        else:
            j, barrier = int(first_sl), "stop_loss"
        ret = float(np.expm1(path[j]))
        label = {"profit_take": 1, "stop_loss": -1}.get(barrier, int(np.sign(ret)))
        rows.append((e, px.index[int(i) + 1 + j], ret, barrier, label, s))
    cols = ["event", "t1", "ret", "barrier", "label", "side"]
    return pd.DataFrame(rows, columns=cols).set_index("event")


@dataclass
class MetaLabeler:
    """Learns P(primary trade is profitable | features at entry) with a scikit-learn model."""

    model: ClassifierMixin = field(
        default_factory=lambda: RandomForestClassifier(
            n_estimators=200, min_samples_leaf=20, max_features=1.0, random_state=0
        )
    )
    threshold: float = 0.5

    def fit(self, features: pd.DataFrame, labels: pd.DataFrame) -> MetaLabeler:
        """Fit on features at each event and the triple-barrier outcome of the primary side."""
        x, y = self._align(features, labels)
        if len(np.unique(y)) < 2:
            raise BacktestError("meta-labeling needs both winning and losing trades to learn")
        self.fitted_ = clone(self.model).fit(x, y)
        return self

    def probability(self, features: pd.DataFrame) -> pd.Series:
        """P(win) per row of ``features``."""
        if not hasattr(self, "fitted_"):
            raise BacktestError("MetaLabeler.fit must run before probability")
        proba = self.fitted_.predict_proba(features.to_numpy())[:, 1]
        return pd.Series(proba, index=features.index, name="p_win")

    def filter(self, side: pd.Series, features: pd.DataFrame) -> pd.Series:
        """The primary side where P(win) clears the threshold, flat elsewhere."""
        p = self.probability(features.loc[side.index])
        return side.where(p >= self.threshold, 0.0).rename("filtered_side")

    @staticmethod
    def _align(features: pd.DataFrame, labels: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
        common = features.index.intersection(labels.index)
        x = features.loc[common]
        if x.isna().any().any():
            raise BacktestError("features contain NaN at event dates")
        return x.to_numpy(), (labels.loc[common, "ret"] > 0).astype(int).to_numpy()

"""Learning when to trust a signal: a meta-model of each strategy's next trade.

The strategy's point-in-time signal history (its positions at each rebalance, computed
with the same ``lake.at(D)`` calls the backtester makes) gives one *event* per
(rebalance, instrument) with a position. Each event is labelled by the triple barrier
(:func:`research_core.backtest.labels.triple_barrier`, entry at the next session, held
at most to the next rebalance) and described by features known at the signal date:
position size and its change, a flip, the instrument's trailing volatility and
momentum in the trade's direction, and the strategy's own record on its last closed
trades (only trades whose exit is before the signal date).

A scikit-learn ``HistGradientBoostingClassifier`` learns P(trade pays). Walk-forward, it
is refit every ``refit_every`` rebalances on the events closed before the block starts
(purged: no training label overlaps the block). Its probability becomes a conviction
multiplier ``2 p`` (1 at p = 0.5) that :func:`research_core.signals.aggregate` can apply
(``conviction=``, off by default). Per-decision attributions are SHAP values of the
trees (``shap.TreeExplainer``, log-odds, summing to the decision exactly) when the optional
``explain`` extra (``pip install research_core[explain]``) is installed; without it the
attributions fall back to sklearn's permutation importance (global, the drop in ROC AUC
on the trades closed by then), labelled so in their ``method`` column.

:func:`evaluate` says honestly whether the meta-model adds out-of-sample value: AUC and
Brier score of the walk-forward probabilities, the Sharpe of meta-sized against
unsized trades, combinatorial purged CV paths and the deflated Sharpe over the
ledger's meta trials — every evaluation is recorded as one trial (``META:<strategy>``).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.inspection import permutation_importance
from sklearn.metrics import brier_score_loss, roc_auc_score
from threadpoolctl import threadpool_limits

from research_core.backtest import metrics as perf
from research_core.backtest.engine import BacktestResult, rebalance_dates
from research_core.backtest.labels import triple_barrier
from research_core.backtest.ledger import TrialLedger
from research_core.backtest.validation import CombinatorialPurgedCV, fold_ids
from research_core.calendars import (
    B3_SESSIONS_PER_YEAR,
    REBALANCE_PERIODS_PER_YEAR,
    REBALANCE_SESSIONS,
)
from research_core.errors import HealthError
from research_core.health.track import ledger_dsr
from research_core.lake.store import Lake
from research_core.lake.vintage import view_at
from research_core.pnl import unit_index
from research_core.strategies.base import BaseStrategy

FEATURES = (
    "side",
    "strength",
    "strength_change",
    "flip",
    "vol_63",
    "mom_21",
    "mom_63",
    "hit_rate_10",
    "mean_ret_10",
)
HORIZON = REBALANCE_SESSIONS
PERIODS = REBALANCE_PERIODS_PER_YEAR
SHAP_METHOD = "SHAP log-odds (per decision)"
PERMUTATION_METHOD = "permutation importance (ROC AUC drop, global; no shap installed)"

MODEL_PARAMS: dict[str, Any] = {
    "max_iter": 150,
    "learning_rate": 0.05,
    "max_depth": 3,
    "min_samples_leaf": 20,
    "l2_regularization": 1.0,
    "random_state": 0,
}


@dataclass(frozen=True, eq=False)
class SignalHistory:
    """A strategy's positions at each rebalance and its instruments' unit-return index."""

    strategy: str
    rebalance: str  # D, W or M
    signals: pd.DataFrame  # signal date x instrument, risk units in [-1, 1]
    prices: pd.DataFrame  # daily unit-return index per instrument (B3 sessions)

    @classmethod
    def from_backtest(cls, result: BacktestResult, lake: Lake) -> SignalHistory:
        """The signal history a backtest already computed (its ``signals``), with the unit
        index of its instruments read as of its last day."""
        sig, end = result.signals, result.returns.index[-1]
        warm = sig.index[0] - pd.Timedelta(days=400)
        ids = list(sig.columns)
        prices = unit_index(lake.at(end), ids, warm, end, "B3", trim=True)
        return cls(result.strategy, str(result.params["rebalance"]), sig, prices)


def signal_history(strategy: BaseStrategy, lake: Lake, start: object, end: object) -> SignalHistory:
    """The strategy's positions at its rebalance dates in [start, end], each from
    ``lake.at(date)`` (as the backtester asks), and the unit index to label them. The
    positions at a date are read from and kept in the lake's store (its outcome on that
    snapshot and date, ``signals.sources.strategy_units``), shared with the book backtest,
    the pipeline and a proposal."""
    from research_core.agents.store import stored_reports
    from research_core.signals.sources import strategy_units

    dates = rebalance_dates(start, end, strategy.params.rebalance)
    ids = list(strategy.instruments)
    with stored_reports(lake):
        rows = [strategy_units(view_at(lake, d), strategy) for d in dates]
    signals = pd.DataFrame(np.vstack(rows), index=dates, columns=ids)
    last = pd.Timestamp(end)  # type: ignore[arg-type]
    warm = pd.Timestamp(start) - pd.Timedelta(days=400)  # type: ignore[arg-type]
    prices = unit_index(lake.at(last), ids, warm, last, "B3", trim=True)
    return SignalHistory(strategy.name, strategy.params.rebalance, signals, prices)


def features(history: SignalHistory) -> pd.DataFrame:
    """Features of every event (signal date, instrument with a position), known at the
    signal date; the strategy-record columns are filled by :func:`trade_events`."""
    sig = history.signals
    prev = sig.shift(1).fillna(0.0)
    logp = pd.DataFrame(np.log(history.prices.to_numpy()), history.prices.index, sig.columns)
    daily = logp.diff()
    vol = daily.rolling(63, min_periods=21).std() * np.sqrt(B3_SESSIONS_PER_YEAR)
    frames = []
    for iid in sig.columns:
        s = sig[iid]
        on = s[s != 0].index
        at = history.prices.index.get_indexer(on, method="pad")
        ok = at >= 0
        on, at = on[ok], at[ok]
        side = np.sign(s.loc[on].to_numpy())
        lp = logp[iid].to_numpy()
        mom = {w: side * (lp[at] - lp[np.maximum(at - w, 0)]) for w in (21, 63)}
        frames.append(
            pd.DataFrame(
                {
                    "instrument": iid,
                    "side": side,
                    "strength": np.abs(s.loc[on].to_numpy()),
                    "strength_change": np.abs(s.loc[on].to_numpy())
                    - np.abs(prev[iid].loc[on].to_numpy()),
                    "flip": (np.sign(prev[iid].loc[on].to_numpy()) == -side).astype(float),
                    "vol_63": vol[iid].to_numpy()[at],
                    "mom_21": mom[21],
                    "mom_63": mom[63],
                },
                index=pd.Index(on, name="date"),
            )
        )
    if not frames:
        raise HealthError(f"{history.strategy}: no position taken in the signal history")
    return pd.concat(frames).sort_index(kind="stable")


def trade_events(history: SignalHistory, *, barrier: float = 2.0) -> pd.DataFrame:
    """Features plus the triple-barrier outcome of each event (entry at the next session,
    held at most to the next rebalance, barriers at ``barrier`` volatilities). Events
    whose outcome is not known yet keep NaN in ``ret``/``win`` (the next trades)."""
    feats = features(history)
    hold = HORIZON[history.rebalance]
    idx = history.prices.index
    out = []
    for iid, grp in feats.groupby("instrument", sort=False):
        pos = idx.get_indexer(grp.index, method="pad") + 1
        entry = pd.DatetimeIndex(idx[np.minimum(pos, len(idx) - 1)])
        side = pd.Series(grp["side"].to_numpy(), index=entry)
        side = side[~side.index.duplicated()]
        lab = triple_barrier(
            history.prices[iid],
            pd.DatetimeIndex(side.index),
            side=side,
            profit_take=barrier,
            stop_loss=barrier,
            max_holding=hold,
        )
        g = grp.assign(entry=entry)
        g = g.join(lab[["t1", "ret", "barrier"]], on="entry")
        g.loc[pos >= len(idx), ["t1", "ret"]] = np.nan
        # a trade still open at the end of the data touched no barrier yet: its outcome is
        # unknown, not a "time" exit (triple_barrier cuts the path at the last price)
        px = history.prices[iid].dropna().index
        at = px.get_indexer(pd.DatetimeIndex(g["entry"]))
        g.loc[(g["barrier"] == "time").to_numpy() & (at + hold > len(px) - 1), ["t1", "ret"]] = (
            np.nan
        )
        g = g.drop(columns="barrier")
        out.append(g)
    events = pd.concat(out).sort_index(kind="stable")
    events["win"] = np.where(events["ret"].notna(), (events["ret"] > 0).astype(float), np.nan)
    return _record_features(events)


def _record_features(events: pd.DataFrame, last: int = 10) -> pd.DataFrame:
    """Hit rate and mean return of the strategy's last ``last`` trades closed before each
    event's signal date (NaN with fewer than 3)."""
    closed = events.dropna(subset=["t1"]).sort_values("t1")
    t1 = pd.DatetimeIndex(closed["t1"]).to_numpy()
    wins = np.r_[0.0, np.cumsum(closed["win"].to_numpy())]
    rets = np.r_[0.0, np.cumsum(closed["ret"].to_numpy())]
    k = np.searchsorted(t1, events.index.to_numpy(), side="left")  # closed strictly before
    lo = np.maximum(k - last, 0)
    n = k - lo
    with np.errstate(invalid="ignore", divide="ignore"):
        events["hit_rate_10"] = np.where(n >= 3, (wins[k] - wins[lo]) / n, np.nan)
        events["mean_ret_10"] = np.where(n >= 3, (rets[k] - rets[lo]) / n, np.nan)
    return events


def conviction(p: np.ndarray | pd.Series | float) -> Any:
    """Multiplier of a contributor's weight: ``2 p`` clipped to [0, 2] (1 at p = 0.5)."""
    return np.clip(2.0 * np.asarray(p, dtype=float), 0.0, 2.0)


@dataclass
class MetaModel:
    """P(the strategy's trade pays | features at the signal date)."""

    params: dict[str, Any] = field(default_factory=lambda: dict(MODEL_PARAMS))

    def fit(self, events: pd.DataFrame) -> MetaModel:
        done = events.dropna(subset=["win"])
        if done["win"].nunique() < 2:
            raise HealthError("the meta-model needs winning and losing trades to learn from")
        with threadpool_limits(1, user_api="openmp"):  # small data: threads only cost
            self.model_ = HistGradientBoostingClassifier(**self.params).fit(
                done[list(FEATURES)].to_numpy(), done["win"].to_numpy().astype(int)
            )
        self.train_ = done
        return self

    def probability(self, events: pd.DataFrame) -> pd.Series:
        """P(win) per event row."""
        with threadpool_limits(1, user_api="openmp"):
            p = self._fitted().predict_proba(events[list(FEATURES)].to_numpy())[:, 1]
        return pd.Series(p, index=events.index, name="p_win")

    def explain(self, events: pd.DataFrame) -> pd.DataFrame:
        """SHAP values (log-odds) per event and feature, plus ``base`` (the expected log-odds):
        ``base + sum(features) = log(p / (1 - p))`` for each row."""
        with warnings.catch_warnings():  # shap's matplotlib colormaps warn on import
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap  # imported here: it takes seconds, and only attributions need it

        explainer = shap.TreeExplainer(self._fitted())
        values = np.asarray(explainer.shap_values(events[list(FEATURES)].to_numpy()))
        out = pd.DataFrame(values, index=events.index, columns=list(FEATURES))
        out["base"] = float(np.ravel(explainer.expected_value)[0])
        return out

    def importance(self, events: pd.DataFrame, repeats: int = 10) -> pd.Series:
        """Permutation importance (drop in ROC AUC) of each feature on ``events``."""
        done = events.dropna(subset=["win"])
        with threadpool_limits(1, user_api="openmp"):
            res = permutation_importance(
                self._fitted(),
                done[list(FEATURES)].to_numpy(),
                done["win"].to_numpy().astype(int),
                scoring="roc_auc",
                n_repeats=repeats,
                random_state=0,
            )
        return pd.Series(res.importances_mean, index=list(FEATURES), name="importance")

    def _fitted(self) -> HistGradientBoostingClassifier:
        if not hasattr(self, "model_"):
            raise HealthError("MetaModel.fit must run first")
        return self.model_


def walk_forward(events: pd.DataFrame, *, refit_every: int = 12, min_train: int = 60) -> pd.Series:
    """Out-of-sample P(win) of every event: the signal dates are cut into blocks of
    ``refit_every``; each block is predicted by a model fit on the events that closed
    before its first date (NaN until ``min_train`` such events exist, with both outcomes)."""
    dates = events.index.unique().sort_values()
    p = np.full(len(events), np.nan)
    t1 = pd.DatetimeIndex(events["t1"])
    date_of = events.index
    labelled = events["win"].notna().to_numpy()
    for b in range(0, len(dates), refit_every):
        start = dates[b]
        stop = dates[b + refit_every] if b + refit_every < len(dates) else pd.Timestamp.max
        block = np.asarray((date_of >= start) & (date_of < stop), dtype=bool)
        train = events[np.asarray(t1 < start, dtype=bool) & labelled]
        if len(train) < min_train or train["win"].nunique() < 2:
            continue
        p[block] = MetaModel().fit(train).probability(events[block]).to_numpy()
    return pd.Series(p, index=events.index, name="p_win")


def _period_returns(events: pd.DataFrame, p: pd.Series | np.ndarray) -> pd.DataFrame:
    """Per signal date: the mean trade return unsized (``primary``) and sized by the
    conviction of ``p`` (``meta``; an event without a probability keeps size 1)."""
    size = np.nan_to_num(conviction(p), nan=1.0)
    frame = pd.DataFrame(
        {"primary": events["ret"].to_numpy(), "meta": events["ret"].to_numpy() * size},
        index=events.index,
    )
    return frame.groupby(level=0).mean()


def _purge(events: pd.DataFrame) -> int:
    """Most later events whose signal date falls inside one event's holding period."""
    dates = events.index.to_numpy()
    t1 = pd.DatetimeIndex(events["t1"]).to_numpy()
    ends = np.searchsorted(dates, t1, side="right")
    starts = np.searchsorted(dates, dates, side="right")
    return int(np.max(ends - starts, initial=0))


def cpcv_sharpes(
    events: pd.DataFrame, periods: int, cv: CombinatorialPurgedCV | None = None
) -> pd.Series:
    """Annualized Sharpe of meta-sized trades on each combinatorial purged CV path: every
    test fold predicted by a model fit on the other folds, purged of overlapping labels."""
    done = events.dropna(subset=["win"])
    n = len(done)
    cv = cv or CombinatorialPurgedCV(6, 2, purge=_purge(done), embargo=0)
    folds = fold_ids(n, cv.n_folds)
    preds = []
    for train, _ in cv.split(n):
        pred = np.full(n, np.nan)
        part = done.iloc[train]
        if part["win"].nunique() == 2:
            test = ~np.isin(np.arange(n), train)
            pred[test] = MetaModel().fit(part).probability(done[test]).to_numpy()
        preds.append(pred)
    out = {}
    for k, combos in enumerate(cv.paths()):
        p = np.full(n, np.nan)
        for f, c in enumerate(combos):
            p[folds == f] = preds[c][folds == f]
        meta = _period_returns(done, p)["meta"]
        out[f"path_{k}"] = perf.sharpe_ratio(meta, periods_per_year=periods)
    return pd.Series(out, name="meta_sharpe")


@dataclass(frozen=True, eq=False)
class MetaEvaluation:
    """Does the meta-model add out-of-sample value to one strategy's trades?"""

    strategy: str
    n_events: int
    n_oos: int  # events with a walk-forward probability
    auc: float
    brier: float
    brier_base: float  # Brier score of always predicting the training base rate
    primary_sharpe: float  # annualized, unsized trades, walk-forward out-of-sample dates
    meta_sharpe: float  # the same trades sized by conviction
    cpcv_primary: float  # unsized trades, all labelled events
    cpcv: pd.Series  # meta-sized Sharpe per CPCV path
    dsr: float  # deflated Sharpe of the walk-forward meta returns over the META trials
    n_trials: int
    returns: pd.DataFrame  # per signal date: primary, meta (walk-forward)
    importance: pd.Series

    @property
    def adds_value(self) -> bool:
        """Better ranking (AUC > 0.5, Brier below the base rate's), better walk-forward
        Sharpe, most CPCV paths above the unsized Sharpe, and a DSR above 0.5."""
        return bool(
            self.auc > 0.5
            and self.brier < self.brier_base
            and self.meta_sharpe > self.primary_sharpe
            and float(np.median(self.cpcv)) > self.cpcv_primary
            and self.dsr > 0.5
        )

    def summary(self) -> str:
        verdict = "adds" if self.adds_value else "does not add"
        return (
            f"META:{self.strategy}: {self.n_oos}/{self.n_events} trades out of sample; AUC "
            f"{self.auc:.3f}, Brier {self.brier:.4f} vs base rate {self.brier_base:.4f}; "
            f"Sharpe sized {self.meta_sharpe:.2f} vs unsized {self.primary_sharpe:.2f}; CPCV "
            f"paths median {np.median(self.cpcv):.2f} (unsized {self.cpcv_primary:.2f}); DSR "
            f"{self.dsr:.2f} over {self.n_trials} trials -> {verdict} out-of-sample value"
        )

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>"


def evaluate(
    history: SignalHistory,
    lake: Lake,
    *,
    refit_every: int = 12,
    min_train: int = 60,
    ledger: TrialLedger | None = None,
) -> MetaEvaluation:
    """Walk-forward and CPCV evaluation of the meta-model on ``history``, recorded as one
    trial ``META:<strategy>`` in the ledger (default: the lake's)."""
    events = trade_events(history)
    done = events.dropna(subset=["win"])
    periods = PERIODS[history.rebalance]
    p = walk_forward(done, refit_every=refit_every, min_train=min_train)
    oos = p.notna().to_numpy()
    if oos.sum() < 20 or done["win"][oos].nunique() < 2:
        raise HealthError(
            f"{history.strategy}: {int(oos.sum())} out-of-sample trades; need 20 with both "
            "outcomes (a longer signal history or a smaller min_train)"
        )
    y, q = done["win"][oos].to_numpy(), p[oos].to_numpy()
    base = np.array([done["win"][~oos].mean() if (~oos).any() else 0.5] * len(y))
    rets = _period_returns(done[oos], q)
    ledger = ledger or TrialLedger.for_lake(lake)
    ledger.record(_as_result(history, rets["meta"], periods, refit_every, min_train), lake)
    dsr, n_trials = ledger_dsr(rets["meta"], ledger, f"META:{history.strategy}")
    return MetaEvaluation(
        strategy=history.strategy,
        n_events=len(done),
        n_oos=int(oos.sum()),
        auc=float(roc_auc_score(y, q)),
        brier=float(brier_score_loss(y, q)),
        brier_base=float(brier_score_loss(y, base)),
        primary_sharpe=perf.sharpe_ratio(rets["primary"], periods_per_year=periods),
        meta_sharpe=perf.sharpe_ratio(rets["meta"], periods_per_year=periods),
        cpcv_primary=perf.sharpe_ratio(
            _period_returns(done, np.full(len(done), 0.5))["primary"], periods_per_year=periods
        ),
        cpcv=cpcv_sharpes(done, periods),
        dsr=dsr,
        n_trials=n_trials,
        returns=rets,
        importance=_holdout_importance(done),
    )


def _holdout_importance(done: pd.DataFrame, share: float = 0.2) -> pd.Series:
    """Permutation importance on the last ``share`` of the trades, of a model fit on the
    trades closed before they start (importance on the training data would flatter)."""
    cut = done.index[int(len(done) * (1 - share))]
    train = done[np.asarray(pd.DatetimeIndex(done["t1"]) < cut, dtype=bool)]
    return MetaModel().fit(train).importance(done[done.index >= cut])


def _as_result(
    history: SignalHistory, meta: pd.Series, periods: int, refit_every: int, min_train: int
) -> BacktestResult:
    """The walk-forward meta-sized returns as a ledger trial (one per evaluation)."""
    returns = pd.concat([pd.Series([0.0], index=[meta.index[0] - pd.Timedelta(days=1)]), meta])
    returns = returns.rename("return")
    empty = pd.DataFrame()
    return BacktestResult(
        strategy=f"META:{history.strategy}",
        params={"model": MODEL_PARAMS, "refit_every": refit_every, "min_train": min_train},
        vintage="as_of",
        equity=(1 + returns).cumprod(),
        returns=returns,
        risk_free=returns * 0.0,
        signals=empty,
        weights=empty,
        positions=empty,
        trades=empty,
        turnover=pd.Series(dtype=float),
        exposures=empty,
        metrics=perf.performance(returns.iloc[1:], periods_per_year=periods),
    )


def _shap_installed() -> bool:
    """Whether the optional ``explain`` extra is importable (the import is cached after)."""
    try:
        with warnings.catch_warnings():  # shap's matplotlib colormaps warn on import
            warnings.simplefilter("ignore", PendingDeprecationWarning)
            import shap  # noqa: F401
    except ImportError:
        return False
    return True


def next_trade_conviction(
    history: SignalHistory, events: pd.DataFrame | None = None
) -> tuple[dict[tuple[str, str], float], pd.DataFrame]:
    """Conviction multipliers for the latest signal date's trades, keyed by
    ("strategy:NAME", instrument) for :func:`research_core.signals.aggregate`, from a
    model fit on every trade closed by then; and those trades' attributions (SHAP, or
    permutation importance without the ``explain`` extra: see the ``method`` column)."""
    events = trade_events(history) if events is None else events
    last = events.index.max()
    now = events[events.index == last]
    model = MetaModel().fit(events[pd.DatetimeIndex(events["t1"]) < last])
    p = model.probability(now)
    keys = [(f"strategy:{history.strategy}", str(i)) for i in now["instrument"]]
    if _shap_installed():
        attributions = model.explain(now).assign(method=SHAP_METHOD)
    else:  # the optional extra is absent: the model's global view, one row per trade
        imp = model.importance(model.train_)
        attributions = pd.DataFrame([imp.to_numpy()] * len(now), index=now.index, columns=imp.index)
        attributions = attributions.assign(base=np.nan, method=PERMUTATION_METHOD)
    attributions = attributions.assign(instrument=now["instrument"].to_numpy(), p_win=p)
    return dict(zip(keys, conviction(p.to_numpy()).tolist(), strict=True)), attributions

"""The point-in-time backtester: strategy → risk units → weights → positions → P&L.

At each rebalance date (the last session of each day/week/month of a business-day
calendar) the strategy gets a :class:`PITView` as of that day's end and nothing else. Its
risk units become notional weights with each instrument's volatility over the trailing
``vol_lookback`` sessions (computed from rows up to the signal date only); the trades go
through at the close ``execution_lag`` sessions later. Between rebalances the book is
marked daily with instrument-aware unit returns (:mod:`.pnl`); costs are the instrument's
one-way cost plus square-root market impact against its average daily volume
(:class:`CostModel`). The cash collateral earns the CDI, so ``returns`` are total returns
and Sharpe is measured over the CDI.

The engine checks causality itself (:mod:`.causality`), by default: it recomputes the
positions at ``verify`` rebalance dates (default 3: the last and two drawn with
``verify_seed``) on a copy of the lake cut at each date, with the configured lake path
pointing at it, and raises :class:`LookAheadError` on any difference. That catches, at the
dates checked, what the view cannot stop: a strategy opening the configured lake itself or
reading its files (not one taking the backtest's own objects through ``gc`` or frames; see
:mod:`research_core.lake.pit`). It costs an export of the lake and a cold decision per
date (under 1 s CPU for 3 dates on the sample lake; :mod:`.causality`); ``verify=0`` skips it.

One path for everything traded (:func:`run_engine`): the step from view to weights is a
:class:`Sizing` — :class:`StrategySizing` (the above) or the book's live decision path
(:mod:`.book`) — and marks, quotes, USD/BRL, the CDI, volatilities and impact come from one
:class:`~research_core.backtest.market.MarketData` read once from the view at the end.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from research_core._threads import OneThread
from research_core._typing import shared_fields, with_overrides
from research_core.backtest import metrics as perf
from research_core.backtest.causality import (
    VERIFY_DATES,
    AsOfLakes,
    VerifyOptions,
    verify_decisions,
)
from research_core.backtest.core import Continued, Simulation, simulate
from research_core.backtest.market import MarketData
from research_core.backtest.vintage import Vintage, view_at
from research_core.calendars import B3_SESSIONS_PER_YEAR, business_day_range
from research_core.catalog import instrument
from research_core.config import DEFAULT_CAPITAL
from research_core.errors import BacktestError
from research_core.lake.asof import as_of_index
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.pnl import contract_notional

if TYPE_CHECKING:  # the engine runs any Sizing; strategies (and their agents) load on use
    from research_core.strategies.base import BaseStrategy


@dataclass(frozen=True)
class CostModel:
    """Per-instrument one-way cost plus square-root impact (Almgren et al. 2005).

    cost of trading value ``q`` (base currency) = ``q * (c + impact * sigma * sqrt(q / ADV))``
    with ``c`` half the instrument's round-trip ``cost_bps`` (times ``scale``) or
    ``fee_bps`` for all, ``sigma`` the daily volatility and ``ADV`` the average daily volume
    in base currency. A thin market (low ADV) makes a large order cost much more.
    """

    scale: float = 1.0
    fee_bps: float | None = None
    impact: float = 1.0
    nav: float = DEFAULT_CAPITAL  # book size in BRL, to compare orders with volume

    def fees(self, instrument_ids: list[str]) -> np.ndarray:
        """One-way proportional cost per instrument (fraction of value traded)."""
        if self.fee_bps is not None:
            return np.full(len(instrument_ids), self.fee_bps / 1e4)
        return np.array([instrument(i).cost_bps / 2 * self.scale / 1e4 for i in instrument_ids])

    def impact_coefficients(
        self,
        instrument_ids: list[str],
        daily_vol: np.ndarray,
        quotes: np.ndarray,
        fx: float,
        vna: float | None = None,
    ) -> np.ndarray:
        """Per-instrument coefficient of ``traded ** 1.5`` (traded in book units); ``vna``
        (the NTN-B face then, R$) prices NTN-B contracts."""
        if self.impact == 0:
            return np.zeros(len(instrument_ids))
        adv = np.array(
            [
                instrument(i).adv_contracts * contract_notional(instrument(i), q, fx, vna)
                for i, q in zip(instrument_ids, quotes, strict=True)
            ]
        )
        return self.impact * np.nan_to_num(daily_vol) * np.sqrt(self.nav / adv)


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """Everything a backtest produced; ``metrics`` is the headline table."""

    strategy: str
    params: dict[str, Any]
    vintage: str
    equity: pd.Series  # total-return book value, 1.0 at start
    returns: pd.Series  # daily total returns (excess + CDI on the collateral)
    risk_free: pd.Series  # daily CDI accrual
    signals: pd.DataFrame  # risk units at each signal date
    weights: pd.DataFrame  # target weights at each execution date
    positions: pd.DataFrame  # daily drifted weights
    trades: pd.DataFrame  # one row per instrument traded
    turnover: pd.Series  # one-way value traded over book value, per execution date
    exposures: pd.DataFrame  # daily gross and net by asset class
    metrics: pd.Series = field(repr=False)
    verified: pd.DatetimeIndex = field(default_factory=lambda: pd.DatetimeIndex([]))

    def summary(self) -> str:
        m = self.metrics
        return (
            f"{self.strategy} [{self.vintage}] {self.equity.index[0].date()} → "
            f"{self.equity.index[-1].date()}: return {m['annual_return']:+.2%}/y, "
            f"vol {m['annual_volatility']:.2%}, Sharpe {m['sharpe']:.2f}, "
            f"max DD {m['max_drawdown']:.2%}, turnover {m['turnover']:.1f}x/y, "
            f"{len(self.trades)} trades"
            + (f"; verified causal at {len(self.verified)} dates" if len(self.verified) else "")
        )

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>" + self.metrics.to_frame().to_html()


def rebalance_dates(
    start: object, end: object, freq: str, calendar: str = "B3"
) -> pd.DatetimeIndex:
    """Last session of each day ("D"), week ("W") or month ("M") between start and end."""
    days = business_day_range(start, end, calendar)
    if len(days) == 0:
        raise BacktestError(f"no {calendar} sessions between {start} and {end}")
    if freq == "D":
        return days
    if freq not in ("W", "M"):
        raise BacktestError(f"unknown rebalance frequency {freq!r}; valid: D, W, M")
    key = days.to_period("W-FRI" if freq == "W" else "M")
    last = ~pd.Index(key).duplicated(keep="last")
    return days[last]


def _sizes(signals: np.ndarray, vol: np.ndarray, target: float, max_gross: float) -> np.ndarray:
    """Risk units → notional weights: equal risk budget per declared instrument (each row
    uses only its own signals and volatilities), gross capped."""
    n = signals.shape[1]
    with np.errstate(divide="ignore", invalid="ignore"):
        w = np.where(vol > 0, signals * target / (vol * np.sqrt(n)), 0.0)
    gross = np.abs(w).sum(axis=1, keepdims=True)
    return np.where(gross > max_gross, w * max_gross / np.maximum(gross, 1e-300), w)


class Sizing(Protocol):
    """The pluggable step between the view and the target weights.

    ``decide`` is what a view turns into at one rebalance date (a strategy's risk units, the
    book's constrained weights); causality verification recomputes exactly that on a lake
    cut at the date, with ``market=None`` (the decision must then read the view alone).
    ``size`` turns the decisions (rebalances x instruments) into target weights of book
    value with the volatilities known at each date; it must be row by row.
    """

    @property
    def name(self) -> str: ...

    @property
    def instruments(self) -> tuple[str, ...]: ...

    @property
    def rebalance(self) -> str: ...

    @property
    def uses_current(self) -> bool:
        """Whether ``decide`` needs the drifted book and its value history at the date (a
        sequential engine)."""

    @property
    def verify_atol(self) -> float:
        """How far a recomputed decision may be from the one used (solver tolerance)."""

    def params(self) -> dict[str, Any]: ...

    def prepare(self, lake: Lake, dates: pd.DatetimeIndex, vintage: Vintage) -> None:
        """Work that does not depend on the book held, for all dates at once (may run in
        parallel); ``decide`` then finishes each date in order."""

    def finish(self) -> None:
        """Release what ``prepare`` holds (worker processes), after the decisions or an
        error among them."""

    def decide(
        self,
        view: PITView,
        date: pd.Timestamp,
        market: MarketData | None,
        current: pd.Series | None,
        equity: pd.Series | None,
    ) -> np.ndarray: ...

    def size(self, decisions: np.ndarray, vol: np.ndarray) -> np.ndarray: ...


@dataclass(frozen=True)
class StrategySizing:
    """One strategy: risk units sized to its ``vol_target`` with each instrument's
    trailing volatility, gross capped at ``max_gross`` (:func:`_sizes`)."""

    strategy: BaseStrategy
    uses_current: bool = False  # risk units do not depend on the book held
    verify_atol: float = 1e-12  # a strategy's risk units are recomputed exactly

    @property
    def name(self) -> str:
        return self.strategy.name

    @property
    def instruments(self) -> tuple[str, ...]:
        return tuple(self.strategy.instruments)

    @property
    def rebalance(self) -> str:
        return self.strategy.params.rebalance

    def params(self) -> dict[str, Any]:
        return self.strategy.params.model_dump()

    def prepare(self, lake: Lake, dates: pd.DatetimeIndex, vintage: Vintage) -> None:
        """Nothing: each date's risk units come straight from the view."""

    def finish(self) -> None:
        """Nothing: ``prepare`` holds nothing."""

    def decide(self, view: PITView, *_: object) -> np.ndarray:
        """The strategy's risk units on the view alone (the date, market and book held do
        not enter a strategy's decision)."""
        return self.strategy.risk_units(view)

    def size(self, decisions: np.ndarray, vol: np.ndarray) -> np.ndarray:
        p = self.strategy.params
        return _sizes(decisions, vol * np.sqrt(B3_SESSIONS_PER_YEAR), p.vol_target, p.max_gross)


@dataclass(frozen=True, eq=False)
class EngineRun:
    """The engine's result and the arrays behind it (for attribution)."""

    result: BacktestResult
    market: MarketData
    days: pd.DatetimeIndex
    prices: np.ndarray  # (sessions x instruments) unit-return index
    exec_rows: np.ndarray  # row of each rebalance in ``days``
    sim: Simulation


@dataclass(frozen=True)
class EngineOptions:
    """How the engine runs: costs (default :class:`CostModel`), the business-day calendar,
    the sessions between a decision and its trade, the volatility look-back (sessions), the
    vintage, the causality check (``verify`` dates drawn with ``verify_seed``, on
    ``as_of_lakes`` shared between backtests of one lake) and progress bars."""

    costs: CostModel | None = None
    calendar: str = "B3"
    execution_lag: int = 1
    vol_lookback: int = 63
    vintage: Vintage = "as_of"
    verify: int = VERIFY_DATES
    verify_seed: int = 0
    as_of_lakes: AsOfLakes | None = None
    progress: bool = False


def run_backtest(
    strategy: BaseStrategy,
    lake: Lake,
    start: object,
    end: object,
    *,
    options: EngineOptions | None = None,
    **overrides: object,
) -> BacktestResult:
    """Backtest ``strategy`` on ``lake`` over [start, end] (see the module docstring).

    ``options`` (:class:`EngineOptions`, or any of its fields by keyword, e.g.
    ``verify=0``): ``verify`` rebalance dates (the last and the others drawn with
    ``verify_seed``) are recomputed on the lake as known then, and any difference raises
    :class:`LookAheadError`; ``verify=0`` skips that check (a few seconds per backtest).
    ``as_of_lakes`` shares those copies between backtests of the same lake. ``progress``
    shows bars over the rebalance dates and the dates verified.
    """
    return run_engine(
        StrategySizing(strategy), lake, start, end, options=options, **overrides
    ).result


@dataclass(frozen=True, eq=False)
class _Book:
    """What the engine knows of the book while deciding in date order."""

    days: pd.DatetimeIndex
    vol: np.ndarray
    prices: np.ndarray
    exec_rows: np.ndarray
    fee: np.ndarray
    impact: np.ndarray
    threads: OneThread
    decisions: list[np.ndarray] = field(default_factory=list)
    run: Continued = field(init=False)  # the book simulated so far, for ``_drifted``

    def __post_init__(self) -> None:
        object.__setattr__(self, "run", Continued(self.prices, self.fee))


def _decide_in_order(
    sizing: Sizing,
    lake: Lake,
    dates: pd.DatetimeIndex,
    vintage: Vintage,
    market: MarketData,
    book: _Book,
    progress: bool,
) -> list[tuple[pd.Series | None, pd.Series | None]]:
    """Each date's decision on the view as of then (appended to ``book.decisions``), given
    the book drifted since the trades before it and its value history when the sizing needs
    them; returns those (current weights, equity) per date for the verification."""
    held: list[tuple[pd.Series | None, pd.Series | None]] = []
    ends = as_of_index(dates, lake.tz)  # each date's end, the instant its view sees up to
    bar = tqdm(dates, desc=sizing.name, disable=not progress, leave=False)
    for d, end in zip(bar, ends, strict=True):
        current, equity = None, None
        if sizing.uses_current:
            current, equity = _drifted(sizing, book, int(book.days.searchsorted(d)))
        held.append((current, equity))
        view = view_at(lake, end, vintage)
        book.decisions.append(sizing.decide(view, d, market, current, equity))
        book.threads.refresh()  # the first decisions may load OpenMP (scikit-learn)
    return held


def _drifted(sizing: Sizing, book: _Book, row: int) -> tuple[pd.Series, pd.Series | None]:
    """The book's weights at ``row``, drifted from the trades executed by then, and its
    value on every session up to ``row`` (None before the first trade): what the book held
    and the NAV history its drawdown ladder reads. Rows come in order, so the simulation
    only extends ``book.run`` by the trades and sessions since the last date."""
    done = int(np.searchsorted(book.exec_rows[: len(book.decisions)], row, side="right"))
    if done == 0:
        return pd.Series(0.0, index=list(sizing.instruments)), None
    run = book.run
    for j in range(len(run.rows), done):  # size row by row (the Sizing contract)
        weights = sizing.size(book.decisions[j][None, :], book.vol[j : j + 1])[0]
        run.rebalance(int(book.exec_rows[j]), weights, book.impact[j])
    equity = run.equity(row)
    held = run.units[0] * book.prices[row] / equity[-1]
    value = pd.Series(equity, index=book.days[: row + 1], name="equity")
    return pd.Series(held, sizing.instruments), value


def run_engine(
    sizing: Sizing,
    lake: Lake,
    start: object,
    end: object,
    *,
    options: EngineOptions | None = None,
    **overrides: object,
) -> EngineRun:
    """The one engine path: ``sizing`` decides at each rebalance date on the view as of
    then, its decisions become target weights, trades go through ``execution_lag``
    sessions later with :class:`CostModel` costs, and the book is marked daily.
    ``options``: :class:`EngineOptions`, or its fields by keyword (a misspelt one raises
    :class:`BacktestError`).

    BLAS and OpenMP pools are held to one thread throughout: the work is many small fits
    (HMMs, regressions, covariances), where threads only add overhead, and on a shared
    machine an unbounded pool burned 2-5x the CPU for no gain (issue 29)."""
    o = with_overrides(options or EngineOptions(), overrides, BacktestError)
    with OneThread() as threads:
        return _run_engine(sizing, lake, start, end, o, threads)


def _schedule(
    sizing: Sizing, lake: Lake, start: object, end: object, calendar: str, execution_lag: int
) -> tuple[MarketData, pd.DatetimeIndex, pd.DatetimeIndex, np.ndarray]:
    """The market data, the sessions marked, the rebalance dates and the rows their trades
    execute on (``execution_lag`` sessions later; dates whose trade falls after ``end``
    dropped)."""
    start, end = pd.Timestamp(start), pd.Timestamp(end)  # type: ignore[arg-type]
    if end <= start:
        raise BacktestError(f"end {end.date()} must be after start {start.date()}")
    market = MarketData.build(lake.at(end), list(sizing.instruments), start, end, calendar)
    days = market.sessions(start)
    if len(days) < 2:
        raise BacktestError(f"fewer than two {calendar} sessions in {start.date()}..{end.date()}")
    signal_dates = rebalance_dates(days[0], days[-1], sizing.rebalance, calendar)
    exec_rows = days.get_indexer(signal_dates) + execution_lag
    keep = exec_rows < len(days)
    signal_dates, exec_rows = signal_dates[keep], exec_rows[keep]
    if len(exec_rows) == 0:
        raise BacktestError("no rebalance falls inside the backtest window")
    return market, days, signal_dates, exec_rows


def _run_engine(
    sizing: Sizing, lake: Lake, start: object, end: object, o: EngineOptions, threads: OneThread
) -> EngineRun:
    from research_core.agents.store import stored_reports  # only a run pays for the agents

    costs = o.costs or CostModel()
    ids = list(sizing.instruments)
    say(o.progress, f"{sizing.name}: reading marks, CDI and volumes {start}..{end}")
    market, days, signal_dates, exec_rows = _schedule(
        sizing, lake, start, end, o.calendar, o.execution_lag
    )
    vol = market.volatility(signal_dates, o.vol_lookback)
    fee = costs.fees(ids)
    impact = market.impact(costs, signal_dates, vol, ids)
    prices = market.marks.loc[days].to_numpy()
    with stored_reports(lake):  # agent reports per snapshot and date, shared between runs
        try:
            sizing.prepare(lake, signal_dates, o.vintage)
            book = _Book(days, vol, prices, exec_rows, fee, impact, threads)
            held = _decide_in_order(sizing, lake, signal_dates, o.vintage, market, book, o.progress)
        finally:
            sizing.finish()
    signals = np.vstack(book.decisions)

    def again(view: PITView, day: pd.Timestamp) -> np.ndarray:
        return sizing.decide(view, day, None, *held[int(signal_dates.searchsorted(day))])

    check = VerifyOptions(**shared_fields(o, VerifyOptions), atol=sizing.verify_atol)
    verified = verify_decisions(sizing.name, again, lake, signal_dates, signals, options=check)
    say(o.progress, f"{sizing.name}: simulating trades, costs and daily marks")
    weights = sizing.size(signals, vol)
    sim = simulate(prices, weights, exec_rows, fee=fee, impact=impact)
    exec_days = days[exec_rows]
    positions = pd.DataFrame(sim.weights(prices, exec_rows)[:, 0, :], index=days, columns=ids)
    excess = pd.Series(sim.equity[:, 0], index=days).pct_change().fillna(0.0)
    rf = market.risk_free(days)
    returns = (excess + rf).rename("return")
    turnover = pd.Series(
        np.abs(sim.traded[:, 0, :]).sum(axis=1) / sim.value_before[:, 0], index=exec_days
    )
    result = BacktestResult(
        strategy=sizing.name,
        params=sizing.params(),
        vintage=o.vintage,
        equity=(1 + returns).cumprod().rename("equity"),
        returns=returns,
        risk_free=rf,
        signals=pd.DataFrame(signals, index=signal_dates, columns=ids),
        weights=pd.DataFrame(weights, index=exec_days, columns=ids),
        positions=positions,
        trades=_trade_log(exec_days, ids, weights, sim.traded[:, 0, :], sim.costs[:, 0, :]),
        turnover=turnover.rename("turnover"),
        exposures=_exposures(positions),
        metrics=perf.performance(
            returns.iloc[1:],
            risk_free=rf.iloc[1:],
            turnover=float(turnover.sum() * B3_SESSIONS_PER_YEAR / max(len(days), 1)),  # a year
            rebalances=exec_days,
        ),
        verified=verified,
    )
    return EngineRun(result, market, days, prices, exec_rows, sim)


def say(progress: bool, stage: str) -> None:
    """One stage of a long run on stderr, as it starts (with ``progress``; bars cover the
    loops): no wait of more than a moment is silent (issue 29)."""
    if progress:
        print(f"{stage}…", file=sys.stderr, flush=True)


def _trade_log(
    dates: pd.Index,
    ids: list[str],
    weights: np.ndarray,
    traded: np.ndarray,
    costs: np.ndarray,
) -> pd.DataFrame:
    """One row per (execution date, instrument) with a non-zero trade."""
    k, j = np.nonzero(np.abs(traded) > 1e-12)
    return pd.DataFrame(
        {
            "date": dates[k],
            "instrument": np.asarray(ids, dtype=object)[j],
            "target_weight": weights[k, j],
            "traded": traded[k, j],
            "cost": costs[k, j],
            "cost_bps": costs[k, j] / np.abs(traded[k, j]) * 1e4,
        }
    )


def _exposures(positions: pd.DataFrame) -> pd.DataFrame:
    """Daily gross and net weight per asset class."""
    classes = pd.Index([instrument(i).asset_class for i in positions.columns])
    gross = positions.abs().T.groupby(classes).sum().T.add_suffix(".gross")
    net = positions.T.groupby(classes).sum().T.add_suffix(".net")
    return pd.concat([gross, net], axis=1).sort_index(axis=1)

"""The book backtest: the live decision path, run at every rebalance date on the PIT engine.

At each rebalance date (every session, or the last of the week or month) the book is
decided exactly as live (:func:`research_core.portfolio.book.decide`): every agent and
strategy on the view as of that day (``collect_signals``), ``aggregate``, ``construct``
with the chosen method on a Ledoit–Wolf covariance, then the constraints and the VaR cap
against the book held (drifted since the last trade), then the breakers
(``portfolio.construct``): stale inputs, and the drawdown ladder on the simulated book's
daily value up to that date. The ladder is read at each rebalance, so its cap (cut or
ramp, counted in sessions) takes effect there; a flattened book stays flat, since no
review clears it. The weights go through the same engine as a single strategy
(:func:`~research_core.backtest.engine.run_engine`: next-session trades, the same costs
and impact, the CDI on the collateral). A date where the path cannot build a book (no
directional signal, too little history) keeps the book held, with the reason.

Attribution: each day's P&L of an instrument (its held units times the move of its unit
index, less the costs of trading it) goes to the sources behind the decision that holds it
in proportion to their gross contributions to the instrument's aggregated score (the
provenance of :func:`~research_core.signals.aggregate.aggregate`), signed by whether each
argued for or against the net score, so no share exceeds 100%; what opposing sources
cancel is its own line, ``netting`` (:func:`source_shares`). The collateral's CDI goes to
``cash:CDI``. In units of the initial NAV the pieces add up to the equity's change exactly
(up to float rounding): day t's contributions are its return split by instrument, times
the equity the day before.

Causality: with ``verify=N`` the decision at N seeded dates is recomputed from scratch on
a copy of the lake cut at the date (signals gathered again, not taken from the workers),
and any difference raises :class:`LookAheadError`.

Speed: the signals (every agent and strategy, then aggregation) do not depend on the book
held, so they are gathered ahead of the decisions, in contiguous spans of dates: this
process gathers the first before deciding, ``workers - 1`` spawned processes the later
ones, sending each date as it is done while the decisions (covariance, construction and
constraints, in date order) go on. What each agent and strategy said at a date (signals,
freshness, or why it said nothing) comes from the lake's store when an earlier run on the
same snapshot made it (:mod:`research_core.agents.store`,
:func:`~research_core.signals.sources.collect_signals`; the causality check's cut lakes
never read it), unit histories are extended from date to date; the aggregation, the
strategies' quote ages and the attribution's shares run on numpy arrays (a daily book
makes one decision per session).
"""

from __future__ import annotations

import multiprocessing
import weakref
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from research_core._files import atomic_folder
from research_core._threads import OneThread, fewer_collections, one_thread
from research_core._typing import shared_fields, with_overrides
from research_core.agents.store import stored_reports
from research_core.backtest.causality import AsOfLakes
from research_core.backtest.engine import (
    BacktestResult,
    CostModel,
    EngineOptions,
    EngineRun,
    run_engine,
)
from research_core.backtest.market import MarketData
from research_core.backtest.vintage import Vintage, view_at
from research_core.catalog import instruments
from research_core.errors import (
    BacktestError,
    PortfolioError,
    RiskError,
    SignalError,
    WorkbenchError,
)
from research_core.lake.pit import PITView
from research_core.lake.store import Lake
from research_core.portfolio.book import DecideOptions, Decision, Gathered, decide, gather
from research_core.portfolio.constraints import Constraints
from research_core.portfolio.construct import METHODS
from research_core.strategies import load_config
from research_core.strategies.base import BaseStrategy

UNATTRIBUTED = "unattributed"  # a position no source stands behind (held through a band)
NETTING = "netting"  # the part of a position its sources' opposing views cancel out
CASH = "cash:CDI"
# the live path has nothing to propose at this date: keep the book held
NO_BOOK = (PortfolioError, RiskError, SignalError)
FREQS = ("D", "W", "M")  # rebalance frequencies: last session of the day, week, month
WORKER_DATES = 60  # fewest dates per process worth spawning one: its start costs ~50 dates
MAIN_SHARE = 0.85  # the main process gathers this much of a worker's share: it decides too


@dataclass(eq=False)
class BookSizing:
    """The live decision path as the engine's sizing step (see the module docstring).

    Decisions made on the backtest's own view are kept in ``decisions`` (date → the
    :class:`Decision`, or the reason no book was built) for the reports.
    """

    method: str = "erc"
    freq: str = "M"
    constraints: Constraints | None = None
    strategies: Mapping[str, BaseStrategy] | None = None
    lookback: int = 750
    instruments: tuple[str, ...] = field(default_factory=lambda: tuple(instruments()))
    workers: int = 1  # processes gathering signals (agents and strategies), this one included
    progress: bool = False  # a progress bar over the dates gathered
    decisions: dict[pd.Timestamp, Decision | str] = field(default_factory=dict)
    gathered: dict[pd.Timestamp, Gathered | WorkbenchError] = field(default_factory=dict)
    _coming: _Coming | None = field(default=None, repr=False)  # what workers still gather
    uses_current: bool = True
    verify_atol: float = 1e-9  # the same path on the same data: the same weights

    @property
    def name(self) -> str:
        return f"BOOK[{self.method},{self.freq}]"

    @property
    def rebalance(self) -> str:
        return self.freq

    def params(self) -> dict[str, Any]:
        cons = (self.constraints or Constraints()).model_dump(mode="json")
        strategies = None if self.strategies is None else sorted(self.strategies)
        return {
            "method": self.method,
            "freq": self.freq,
            "lookback": self.lookback,
            "constraints": cons,
            "strategies": strategies,
        }

    def prepare(self, lake: Lake, dates: pd.DatetimeIndex, vintage: Vintage) -> None:
        """Gather every date's signals (agents, strategies, aggregation), split in
        contiguous spans among ``workers`` processes: this one gathers the first span on
        the engine's lake and report store before the decisions start, each spawned
        process one later span, date after date (it extends what it computed for the
        dates before: unit histories, the year's HMM fits), sending each date back as it
        is done, so the decisions (:meth:`decide`, in date order) overlap the gathering.
        Spans are balanced by cost (:func:`spans`)."""
        self.finish()  # nothing of an earlier run that failed is taken for this one's
        self.gathered.clear()
        self.decisions.clear()
        bar = tqdm(total=len(dates), desc="signals", unit="date", disable=not self.progress)
        how = (vintage, self.strategies, self.lookback)
        parts = spans(len(dates), min(self.workers, max(1, len(dates) // WORKER_DATES)))
        if len(parts) == 1:
            with bar, fewer_collections():
                self.gathered.update(_gather_dates(lake, dates, how, bar))
            return
        self._coming = _Coming(str(lake.root), how, [dates[p] for p in parts[1:]], bar)
        with fewer_collections():  # an error: the engine calls finish()
            self.gathered.update(_gather_dates(lake, dates[parts[0]], how, bar))

    def finish(self) -> None:
        """Stop the worker processes still gathering (an error before the last date) and
        close their progress bar."""
        if self._coming is not None:
            self._coming.stop()
            self._coming.bar.close()
            self._coming = None

    def decide(
        self,
        view: PITView,
        date: pd.Timestamp,
        market: MarketData | None,
        current: pd.Series | None,
        equity: pd.Series | None,
    ) -> np.ndarray:
        held = pd.Series(0.0, index=list(self.instruments)) if current is None else current
        live = held[held != 0.0]  # the PMS's book: positions held, not the universe
        if self._coming is not None and market is not None:
            self.gathered.update(self._coming.take(date))
            if not self._coming.futures:  # all collected: the processes have stopped
                self._coming = None
        try:
            gathered = self.gathered.get(date) if market is not None else None
            if isinstance(gathered, WorkbenchError):
                raise gathered
            d = decide(
                view,
                method=self.method,
                current=live if len(live) else None,
                constraints=self.constraints,
                strategies=self.strategies,
                lookback=self.lookback,
                gathered=gathered,
                equity=equity,
            )
        except NO_BOOK as err:
            if market is not None:
                self.decisions[date] = f"no book, held: {err}"
            return held.to_numpy(dtype=float)
        if market is not None:
            self.decisions[date] = d
        extra = sorted(set(d.portfolio.weights.index) - set(self.instruments))
        if extra:
            raise BacktestError(f"the book holds {extra}, outside the backtest's instruments")
        return d.portfolio.weights.reindex(list(self.instruments), fill_value=0.0).to_numpy()

    def size(self, decisions: np.ndarray, vol: np.ndarray) -> np.ndarray:
        """The decisions already are weights of book value: sizing is the construction."""
        return decisions


# How signals are gathered: the vintage of the views, the strategies (None: the shipped
# strategies.yaml) and the sessions of return history read for the covariance.
How = tuple[Vintage, Mapping[str, BaseStrategy] | None, int]


def spans(n: int, workers: int) -> list[np.ndarray]:
    """``range(n)`` (dates in order) cut in ``workers`` contiguous spans of about equal
    cost, the first for the main process, which decides every date too, smaller
    (:data:`MAIN_SHARE`). A date costs more the later it is (longer histories, more
    sources with enough of them): about twice as much at the end as at the start."""
    if workers <= 1 or n <= 1:
        return [np.arange(n)]
    cost = np.cumsum(1.0 + np.arange(n) / n)
    shares = np.cumsum([MAIN_SHARE, *([1.0] * (workers - 1))])[:-1] / (MAIN_SHARE + workers - 1)
    cuts = np.searchsorted(cost, shares * cost[-1]) + 1
    return [p for p in np.split(np.arange(n), cuts) if len(p)]


class _Coming:
    """The signals that spawned processes gather, one process per span of dates (each
    keeps one open lake, report store and BLAS/OpenMP limit for its span), collected in
    date order as :meth:`BookSizing.decide` asks for them."""

    def __init__(self, root: str, how: How, parts: list[pd.DatetimeIndex], bar: tqdm) -> None:
        self.bar = bar
        self.pools: list[ProcessPoolExecutor] = []
        self.futures: dict[pd.Timestamp, Future[Gathered | WorkbenchError]] = {}
        # Spawned, not forked: see backtest.executor (OpenMP in a forked child deadlocks).
        spawn = multiprocessing.get_context("spawn")
        for part in parts:
            pool = ProcessPoolExecutor(1, spawn, _start_worker, (root, how))
            self.pools.append(pool)
            self.futures.update({d: pool.submit(_gather_one, d) for d in part})
        self.stop = weakref.finalize(self, _stop, self.pools)  # an error before the end

    def take(self, date: pd.Timestamp) -> dict[pd.Timestamp, Gathered | WorkbenchError]:
        """The signals gathered at ``date`` ({} if not a worker's), waiting for them; the
        processes are stopped after the last date, or at the first error."""
        future = self.futures.pop(date, None)
        if future is None:
            return {}
        try:
            got = future.result()
        except BaseException:
            self.stop()
            raise
        self.bar.update()
        if not self.futures:
            for pool in self.pools:
                pool.shutdown()
            self.bar.close()
        return {date: got}


def _stop(pools: list[ProcessPoolExecutor]) -> None:
    """Stop worker processes, dropping the dates they still had to gather."""
    for pool in pools:
        pool.shutdown(wait=False, cancel_futures=True)


_WORKER: tuple[Lake, How, ExitStack] | None = None  # a worker process's lake, for its span


def _start_worker(root: str, how: How) -> None:
    """A worker process opens the lake, its report store and the BLAS/OpenMP limit, and
    configures the strategies, once for all the dates of its span."""
    global _WORKER
    vintage, strategies, lookback = how
    lake, stack = Lake.open(root), ExitStack()
    stack.enter_context(stored_reports(lake))
    stack.enter_context(OneThread())
    stack.enter_context(fewer_collections())  # the process lives for its span
    strategies = load_config() if strategies is None else strategies
    _WORKER = (lake, (vintage, strategies, lookback), stack)


def _gather_one(date: pd.Timestamp) -> Gathered | WorkbenchError:
    """:func:`_gather_dates` at one date in a worker process (:func:`_start_worker`)."""
    if _WORKER is None:
        raise BacktestError("a gathering task outside a started worker process")
    lake, how, _ = _WORKER
    return _gather_dates(lake, [date], how)[date]


def _gather_dates(
    lake: Lake, dates: Iterable[pd.Timestamp], how: How, bar: tqdm | None = None
) -> dict[pd.Timestamp, Gathered | WorkbenchError]:
    """:func:`gather` at each date, or why no book can be built then, with one BLAS/OpenMP
    thread (the limit held by the engine or the worker process, refreshed at each date:
    the first dates load scikit-learn's OpenMP). The strategies are configured once, not
    read from ``strategies.yaml`` at every date (they keep no state between views)."""
    vintage, strategies, lookback = how
    strategies = load_config() if strategies is None else strategies
    out: dict[pd.Timestamp, Gathered | WorkbenchError] = {}
    for d in dates:
        with one_thread():
            try:
                view = view_at(lake, d, vintage)
                out[d] = gather(view, strategies=strategies, lookback=lookback)
            except NO_BOOK as err:
                out[d] = err
        if bar is not None:
            bar.update()
    return out


def instrument_pnl(
    prices: np.ndarray, units: np.ndarray, rows: np.ndarray, costs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Daily value P&L per instrument of a simulated book, split in (market, cost).

    ``market[t, i]`` is the units of ``i`` held over (t-1, t] times its price move and
    ``cost[t, i]`` minus what trading it cost at row t; both are zero on row 0. Their sum
    over instruments is the day's change of the book's value.
    """
    t_n = len(prices)
    seg = np.searchsorted(rows, np.arange(t_n), side="right") - 1  # decision held after row t
    held = np.where(seg[:, None] >= 0, units[np.maximum(seg, 0)], 0.0)
    market = np.zeros_like(prices)
    market[1:] = held[:-1] * np.diff(prices, axis=0)
    cost = np.zeros_like(prices)
    cost[rows] = -costs
    return market, cost


def source_shares(
    provenance: Sequence[pd.DataFrame | None], ids: Sequence[str]
) -> tuple[np.ndarray, list[str]]:
    """(decisions x instruments x sources) share of each source in each instrument's P&L.

    ``provenance[k]`` holds decision k's rows (instrument, source, contribution). With net
    score T = Σ c and gross G = Σ |c| over an instrument's sources, source s gets
    sign(T)·c_s / G (in [-1, 1]: a slice of the position in its own direction, negative
    when it argued against the net score) and :data:`NETTING` gets 1 − |T| / G (in [0, 1):
    the part of the position the sources' net view does not stand behind, since opposing
    slices cancel). A row of shares sums to 1. An instrument with no net score at k keeps
    the shares of the last decision that had one (the sources that opened what is being
    held or closed), or goes to :data:`UNATTRIBUTED`.
    """
    frames = [p for p in provenance if p is not None and len(p)]
    sources = [*sorted({str(s) for p in frames for s in p["source"]}), NETTING, UNATTRIBUTED]
    col = {s: j for j, s in enumerate(sources)}
    out = np.zeros((len(provenance), len(ids), len(sources)))
    last = np.zeros((len(ids), len(sources)))
    last[:, col[UNATTRIBUTED]] = 1.0
    pos = {i: n for n, i in enumerate(ids)}
    for k, prov in enumerate(provenance):
        if prov is not None and len(prov):
            _new_shares(prov, pos, col, last)
        out[k] = last
    return out, sources


def _new_shares(
    prov: pd.DataFrame, pos: Mapping[str, int], col: Mapping[str, int], last: np.ndarray
) -> None:
    """Overwrite in ``last`` (instruments x sources) the shares of the instruments with a
    net score in one decision's provenance (see :func:`source_shares`), in numpy: the
    book backtest makes a decision per session with ``freq="D"``."""
    row = np.array([pos.get(str(i), -1) for i in prov["instrument"]], dtype=np.intp)
    src = np.array([col[str(s)] for s in prov["source"]], dtype=np.intp)
    keep = row >= 0
    sums = np.zeros_like(last)  # contribution per (instrument, source)
    np.add.at(sums, (row[keep], src[keep]), prov["contribution"].to_numpy(dtype=float)[keep])
    net, gross = sums.sum(axis=1), np.abs(sums).sum(axis=1)
    scored = np.flatnonzero(np.isin(np.arange(len(last)), row[keep]) & (net != 0))
    last[scored] = np.sign(net[scored])[:, None] * sums[scored] / gross[scored, None]
    last[scored, col[NETTING]] = 1.0 - np.abs(net[scored]) / gross[scored]


def attribute(
    market: np.ndarray,
    cost: np.ndarray,
    value: np.ndarray,
    equity: np.ndarray,
    risk_free: np.ndarray,
    rows: np.ndarray,
    shares: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Daily P&L in units of the initial NAV, by instrument and by source.

    ``market``/``cost`` (T x N) come from :func:`instrument_pnl`, ``value`` (T,) is the
    simulated book value, ``equity`` (T,) the reported total-return equity (1.0 on row 0),
    ``risk_free`` (T,) the CDI accrual, ``shares`` from :func:`source_shares`. Day t's
    return is Σ_i pnl[t, i] / value[t-1] + risk_free[t]; each piece is scaled by
    equity[t-1], so everything sums to ``equity[-1] - equity[0]``. Returns
    (T x N+1 with the CDI last, T x sources+1 with the CDI last).
    """
    t_n = len(value)
    scale = np.zeros(t_n)
    scale[1:] = equity[:-1] / value[:-1]
    by_inst = np.zeros((t_n, market.shape[1] + 1))
    by_inst[:, :-1] = (market + cost) * scale[:, None]
    cash = np.zeros(t_n)
    cash[1:] = risk_free[1:] * equity[:-1]
    by_inst[:, -1] = cash
    hold = np.searchsorted(rows, np.arange(t_n) - 1, side="right") - 1  # decision held (t-1, t]
    trade = np.searchsorted(rows, np.arange(t_n), side="right") - 1  # decision traded at t
    by_src = np.zeros((t_n, shares.shape[2] + 1))
    live = hold >= 0
    by_src[live, :-1] += np.einsum(
        "tn,tns->ts", market[live] * scale[live, None], shares[hold[live]]
    )
    at_rows = np.zeros(t_n, dtype=bool)
    at_rows[rows] = True
    by_src[at_rows, :-1] += np.einsum(
        "tn,tns->ts", cost[at_rows] * scale[at_rows, None], shares[trade[at_rows]]
    )
    by_src[:, -1] = cash
    return by_inst, by_src


@dataclass(frozen=True, eq=False)
class BookBacktest:
    """The book through the engine, what bound, and where its P&L came from."""

    result: BacktestResult  # equity, returns, weights, trades, turnover, exposures, metrics
    method: str
    freq: str
    bindings: pd.DataFrame  # one row per (date, constraint that bound): reason
    held: pd.DataFrame  # dates where no book was built (kept the one held): reason
    skipped: pd.DataFrame  # (date, source) that said nothing: reason
    instrument_pnl: pd.DataFrame  # daily P&L per instrument and the CDI, × initial NAV
    attribution: pd.DataFrame  # daily P&L per source and the CDI, × initial NAV

    @property
    def returns(self) -> pd.Series:
        """The book's daily total returns (the health monitor's input)."""
        return self.result.returns

    @cached_property
    def contributions(self) -> pd.DataFrame:
        """Daily return contributions per source (+ CDI): each row sums to that day's
        return of the book."""
        prev = self.result.equity.shift(1).fillna(1.0)
        return self.attribution.div(prev, axis=0)

    @cached_property
    def by_source(self) -> pd.Series:
        """Total P&L per source over the backtest (× initial NAV); sums to equity − 1."""
        return self.attribution.sum().sort_values(ascending=False).rename("pnl")

    @cached_property
    def by_kind(self) -> pd.Series:
        """Total P&L of agents, strategies, the CDI and what no source stands behind."""
        kind = [c.split(":", 1)[0] for c in self.attribution.columns]
        return self.attribution.sum().groupby(kind).sum().rename("pnl")

    @cached_property
    def costs(self) -> pd.Series:
        """Trading costs per execution date (fraction of book value traded at)."""
        trades = self.result.trades
        by_day = trades.groupby("date")["cost"].sum()
        return by_day.reindex(self.result.turnover.index, fill_value=0.0).rename("costs")

    @cached_property
    def constraint_hits(self) -> pd.DataFrame:
        """How many times each constraint bound, per decision date."""
        if self.bindings.empty:
            return pd.DataFrame(index=self.result.signals.index)
        hits = pd.crosstab(self.bindings["date"], self.bindings["constraint"])
        return hits.reindex(self.result.signals.index, fill_value=0)

    def summary(self) -> str:
        total = float(self.result.equity.iloc[-1] - 1.0)
        kinds = ", ".join(f"{k} {v:+.2%}" for k, v in self.by_kind.items())
        top = ", ".join(f"{k} {v:+.2%}" for k, v in self.by_source.head(3).items())
        return (
            f"{self.result.summary()}\n"
            f"P&L {total:+.2%} of initial NAV = {kinds}; top sources: {top}\n"
            f"{len(self.bindings)} constraint hits over {len(self.result.signals)} decisions, "
            f"{len(self.held)} dates with no new book"
        )

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>" + self.result.metrics.to_frame().to_html()

    def write(
        self, folder: str | Path, others: Sequence[BookBacktest] = (), figures: Any = None
    ) -> Path:
        """The engine's report (:func:`~research_core.backtest.report.write_report`, with
        ``others`` — e.g. other vintages — side by side, and its ``figures``) plus
        attribution, constraint hits, costs and the dates that kept the book held."""
        from research_core.backtest.report import write_report  # report imports the engine

        with atomic_folder(folder) as tmp:
            write_report([self.result, *(b.result for b in others)], tmp / "engine", figures)
            self.attribution.to_parquet(tmp / "attribution.parquet")
            self.instrument_pnl.to_parquet(tmp / "instrument_pnl.parquet")
            self.by_source.to_csv(tmp / "attribution_by_source.csv")
            self.bindings.to_csv(tmp / "bindings.csv", index=False)
            self.constraint_hits.to_csv(tmp / "constraint_hits.csv")
            self.held.to_csv(tmp / "held.csv", index=False)
            self.skipped.to_csv(tmp / "skipped.csv", index=False)
            pd.concat([self.result.turnover, self.costs], axis=1).to_csv(tmp / "turnover.csv")
            (tmp / "summary.txt").write_text(self.summary() + "\n", encoding="utf-8")
        return Path(folder)


@dataclass(frozen=True, eq=False)
class BookBacktestOptions(DecideOptions):
    """How the book is backtested: :class:`DecideOptions` (construction ``method``,
    covariance ``lookback``, ``strategies``) and the rebalance ``freq`` (D, W or M), the
    ``constraints``, the engine's ``costs`` and ``vintage``, the causality check
    (``verify`` dates drawn with ``verify_seed``, lakes cut at them shared through
    ``as_of_lakes``), the ``workers`` processes that gather signals and a ``progress`` bar."""

    freq: str = "M"
    constraints: Constraints | None = None
    costs: CostModel | None = None
    vintage: Vintage = "as_of"
    verify: int = 2
    verify_seed: int = 0
    as_of_lakes: AsOfLakes | None = None
    workers: int = 1
    progress: bool = False


def run_book_backtest(
    lake: Lake,
    start: object,
    end: object,
    options: BookBacktestOptions | None = None,
    **overrides: object,
) -> BookBacktest:
    """Backtest the book that the live path would have traded (see the module docstring).

    ``options`` (:class:`BookBacktestOptions`; its fields may also be given by keyword,
    e.g. ``freq="W"``; a misspelt one is an error): ``strategies`` defaults to the shipped
    ``strategies.yaml``; ``verify`` dates are recomputed on the lake as known then
    (causality, on by default).
    """
    o = with_overrides(options or BookBacktestOptions(), overrides, BacktestError)
    if o.method not in METHODS:
        raise BacktestError(f"unknown construction method {o.method!r}; valid: {list(METHODS)}")
    if o.freq not in FREQS:
        raise BacktestError(f"book rebalance frequency {o.freq!r}: use one of {', '.join(FREQS)}")
    sizing = BookSizing(o.method, o.freq, o.constraints, o.strategies, o.lookback)
    sizing.workers, sizing.progress = o.workers, o.progress
    run = run_engine(
        sizing, lake, start, end, options=EngineOptions(**shared_fields(o, EngineOptions))
    )
    return _book_result(run, sizing)


def _book_result(run: EngineRun, sizing: BookSizing) -> BookBacktest:
    res, ids = run.result, list(sizing.instruments)
    dates = res.signals.index
    made = [sizing.decisions.get(d) for d in dates]
    provenance = [m.aggregated.provenance if isinstance(m, Decision) else None for m in made]
    shares, sources = source_shares(provenance, ids)
    market, cost = instrument_pnl(
        run.prices, run.sim.units[:, 0, :], run.exec_rows, run.sim.costs[:, 0, :]
    )
    by_inst, by_src = attribute(
        market,
        cost,
        run.sim.equity[:, 0],
        res.equity.to_numpy(),
        res.risk_free.to_numpy(),
        run.exec_rows,
        shares,
    )
    bindings, held, skipped = [], [], []
    for d, m in zip(dates, made, strict=True):
        if isinstance(m, Decision):
            bindings += [(d, b.constraint, b.reason) for b in m.portfolio.binding]
            skipped += [(d, s, why) for s, why in m.signals.skipped.items()]
        else:
            held.append((d, m or "no decision recorded"))
    return BookBacktest(
        result=res,
        method=sizing.method,
        freq=sizing.freq,
        bindings=pd.DataFrame(bindings, columns=["date", "constraint", "reason"]),
        held=pd.DataFrame(held, columns=["date", "reason"]),
        skipped=pd.DataFrame(skipped, columns=["date", "source", "reason"]),
        instrument_pnl=pd.DataFrame(by_inst, index=run.days, columns=[*ids, CASH]),
        attribution=pd.DataFrame(by_src, index=run.days, columns=[*sources, CASH]),
    )

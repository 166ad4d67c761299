"""The book's risk at one as-of date: VaR/ES by method with components, stresses, limits,
the drawdown ladder and the correlation monitor — all from one point-in-time view."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from research_core._typing import with_overrides
from research_core.config import DEFAULT_CAPITAL, get_settings
from research_core.errors import PriceHistoryError, RiskError
from research_core.lake.pit import PITView
from research_core.models.covariance import ShrunkCovariance, ledoit_wolf, regime_covariance
from research_core.pnl import unit_index
from research_core.risk import measures
from research_core.risk.breakers import DrawdownLadder
from research_core.risk.correlation import CorrelationMonitor, correlation_monitor
from research_core.risk.limits import RiskLimits, current_limits, limit_table
from research_core.risk.measures import StudentTFit, VaRResult
from research_core.risk.stress import StressResult, stress_test


def book_returns(view: PITView, instrument_ids: Sequence[str], lookback: int = 750) -> pd.DataFrame:
    """Daily unit returns (BRL) of the instruments over the last ``lookback`` B3 sessions
    known at the view, starting where all have prices."""
    if not instrument_ids:
        raise RiskError("empty book: no instruments")
    start = view.as_of.tz_convert(None).normalize() - pd.Timedelta(days=int(lookback * 1.5) + 30)
    try:
        level = unit_index(view, list(instrument_ids), start, trim=True)
    except PriceHistoryError as err:
        raise RiskError(f"no return history at {view.as_of}: {err}") from err
    rets = _pct_change(level).iloc[1:].iloc[-lookback:]
    if len(rets) < 60:
        raise RiskError(f"only {len(rets)} days of common returns for {list(instrument_ids)}")
    return rets


def _pct_change(level: pd.DataFrame) -> pd.DataFrame:
    """``level.pct_change()`` on its array (level / level the session before − 1, NaN on
    the first row): the same divisions in the same layout, without pandas' shift and
    aligned frame arithmetic on every decision. A frame held in several blocks, or in
    another layout, goes through pandas: the covariance's sums follow the layout."""
    if level._mgr.nblocks != 1:  # before to_numpy, which would consolidate it in place
        return level.pct_change()
    block = level.to_numpy(dtype="float64").T  # pandas' layout: one row per column
    if not block.flags.c_contiguous:
        return level.pct_change()
    out = np.empty_like(block)
    out[:, :1] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        np.subtract(block[:, 1:] / block[:, :-1], 1.0, out=out[:, 1:])
    return pd.DataFrame(out.T, index=level.index, columns=level.columns, copy=False)


@dataclass(frozen=True, eq=False)
class RiskReport:
    """Everything the risk page shows for one book at one date."""

    as_of: pd.Timestamp
    nav: float
    weights: pd.Series
    results: tuple[VaRResult, ...]
    covariance: ShrunkCovariance
    covariance_regime: str | None
    stress: StressResult
    limits: pd.DataFrame
    drawdown: pd.Series | None  # drawdown, level, state (None without P&L history)
    correlation: CorrelationMonitor | None
    student_t: StudentTFit  # the fit behind the student_t rows

    def to_frame(self) -> pd.DataFrame:
        """VaR and ES by method and confidence (fraction of NAV and BRL); ``fit`` names the
        fitted distribution where a method has one (the Student-t ν)."""
        rows = [(r.method, r.alpha, r.var, r.es) for r in self.results]
        out = pd.DataFrame(rows, columns=["method", "alpha", "var", "es"])
        out["var_brl"], out["es_brl"] = out["var"] * self.nav, out["es"] * self.nav
        out["fit"] = np.where(out["method"] == "student_t", self.student_t.summary(), "")
        return out.set_index(["method", "alpha"])

    def components(self, method: str = "historical", alpha: float = 0.99) -> pd.DataFrame:
        """Per-position weight, marginal and component VaR/ES for one method and level."""
        for r in self.results:
            if r.method == method and abs(r.alpha - alpha) < 1e-12:
                return r.to_frame().loc[self.weights.index]
        have = sorted({(r.method, r.alpha) for r in self.results})
        raise RiskError(f"no {method} result at {alpha}; have {have}")

    def summary(self) -> str:
        hist = self.components("historical", 0.99)
        var = hist["component_var"].sum()
        breaches = self.limits.index[self.limits["status"] == "breach"].tolist()
        warns = self.limits.index[self.limits["status"] == "warn"].tolist()
        lines = [
            f"risk as of {self.as_of.tz_convert(get_settings().timezone):%Y-%m-%d}: "
            f"{len(self.weights)} positions, NAV {self.nav:,.0f}",
            f"  99% 1-day historical VaR {var:.2%} of NAV ({var * self.nav:,.0f})",
            self._student_t_line(),
            f"  {self.stress.summary()}",
            f"  limits: {len(breaches)} breached {breaches}, {len(warns)} near {warns}",
        ]
        if self.correlation is not None:
            lines.append(f"  {self.correlation.summary()}")
        return "\n".join(lines)

    def _student_t_line(self) -> str:
        rows = [r for r in self.results if r.method == "student_t"]
        if not rows:
            return f"  Student-t fit {self.student_t.summary()}"
        t = max(rows, key=lambda r: r.alpha)
        return (
            f"  {t.alpha:.0%} 1-day Student-t VaR {t.var:.2%}, ES {t.es:.2%} of NAV; "
            f"{self.student_t.summary()}"
        )

    def _repr_html_(self) -> str:
        return f"<pre>{self.summary()}</pre>"


@dataclass(frozen=True)
class RiskOptions:
    """How the report measures: confidence levels, history, Monte Carlo draws, copula
    ("normal" or "t"), covariance ("ledoit_wolf" on all ``lookback`` days, or "regime":
    days in today's risk regime, ``models.covariance.regime_covariance``) and seed."""

    alphas: Sequence[float] = (0.95, 0.99)
    lookback: int = 750
    n_sims: int = 100_000
    copula: str = "normal"
    covariance: str = "ledoit_wolf"
    seed: int = 0


def risk_report(
    weights: pd.Series,
    view: PITView,
    *,
    nav: float = DEFAULT_CAPITAL,
    equity: pd.Series | None = None,
    limits: RiskLimits | None = None,
    ladder: DrawdownLadder | None = None,
    options: RiskOptions | None = None,
    **overrides: object,
) -> RiskReport:
    """VaR/ES (historical, normal, Student-t, Cornish–Fisher, Monte Carlo) with components,
    stresses, limit utilization, drawdown level and correlation regime of ``weights``.

    ``options`` (:class:`RiskOptions`; any of its fields may also be given by keyword,
    e.g. ``n_sims=20_000``) says how to measure. ``equity`` is the book's NAV history, for
    the drawdown limit and ladder.
    """
    o = with_overrides(options or RiskOptions(), overrides, RiskError)
    alphas, covariance = o.alphas, o.covariance
    w, rets = _book(weights, view, nav=nav, lookback=o.lookback)
    regime = None
    if covariance == "ledoit_wolf":
        cov = ledoit_wolf(rets)
    elif covariance == "regime":
        cov, regime = regime_covariance(rets, w)
    else:
        raise RiskError(f"unknown covariance {covariance!r}; use 'ledoit_wolf' or 'regime'")
    fit = measures.fit_student_t(w, rets)
    hist = measures.historical(w, rets, sorted({*alphas, 0.99}))  # 99% feeds the limits
    hist99 = next(r for r in hist if r.alpha == 0.99)
    table, dd_row = _limits(view, w, hist99, nav=nav, equity=equity, limits=limits, ladder=ladder)
    results = [
        *(r for r in hist if r.alpha in alphas),
        *measures.parametric(w, cov.covariance, alphas),
        *measures.parametric(w, cov.covariance, alphas, dist="student_t", df=fit.df),
        *measures.cornish_fisher(w, rets, alphas),
        *measures.monte_carlo(w, cov.covariance, alphas, n=o.n_sims, seed=o.seed, copula=o.copula),
    ]
    monitor = correlation_monitor(rets) if rets.shape[1] >= 2 else None
    return RiskReport(
        view.as_of,
        nav,
        w,
        tuple(results),
        cov,
        regime,
        stress_test(view, w, nav=nav, curves=True),
        table,
        dd_row,
        monitor,
        fit,
    )


def _book(
    weights: pd.Series, view: PITView, *, nav: float, lookback: int
) -> tuple[pd.Series, pd.DataFrame]:
    """The checked non-zero weights and their returns (what every measure starts from)."""
    if nav <= 0 or not np.isfinite(nav):
        raise RiskError(f"nav must be positive, got {nav!r}")
    w = pd.Series(weights, dtype="float64")
    w = w[w != 0.0]
    if w.empty:
        raise RiskError("empty book: no non-zero weights to measure")
    measures.check_book(w, list(w.index))
    return w, book_returns(view, list(w.index), lookback)


def _limits(
    view: PITView,
    w: pd.Series,
    hist99: VaRResult,
    *,
    nav: float,
    equity: pd.Series | None,
    limits: RiskLimits | None,
    ladder: DrawdownLadder | None = None,
) -> tuple[pd.DataFrame, pd.Series | None]:
    """The limit table (historical 99 % VaR/ES, leverage, concentration, liquidity,
    drawdown) and the drawdown row (None without an equity history)."""
    limits = limits or current_limits()
    ladder = limits.ladder(ladder)
    dd_row = None
    if equity is not None:
        dd, level, state = ladder.status(equity)
        dd_row = pd.Series({"drawdown": dd, "level": level, "state": state})
    table = limit_table(
        view,
        w,
        var_99=hist99.var,
        es_99=hist99.es,
        drawdown=None if dd_row is None else float(dd_row["drawdown"]),
        nav=nav,
        limits=limits,
    )
    return table, dd_row


@dataclass(frozen=True, eq=False)
class LimitCheck:
    """What a pre-trade check needs of a book: historical 99 % 1-day VaR/ES with
    components (the measure the limits use) and the limit table."""

    historical: VaRResult
    limits: pd.DataFrame


def limit_check(
    weights: pd.Series,
    view: PITView,
    *,
    nav: float = DEFAULT_CAPITAL,
    lookback: int = 750,
    equity: pd.Series | None = None,
    limits: RiskLimits | None = None,
) -> LimitCheck:
    """The limit-relevant part of :func:`risk_report`, with the same numbers, without the
    other VaR methods, simulations and stresses (a proposal prices dozens of books)."""
    w, rets = _book(weights, view, nav=nav, lookback=lookback)
    (hist99,) = measures.historical(w, rets, [0.99])
    table, _ = _limits(view, w, hist99, nav=nav, equity=equity, limits=limits)
    return LimitCheck(hist99, table)

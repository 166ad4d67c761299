"""Backtest reports: plotly figures and a folder with metrics, trades and the equity curve."""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from research_core import formats as fmt
from research_core._files import atomic_folder
from research_core.backtest import metrics as perf
from research_core.backtest.engine import BacktestResult
from research_core.calendars import B3_SESSIONS_PER_YEAR

if TYPE_CHECKING:
    from research_core.backtest.book import BookBacktest
from research_core.viz import COLORS, figure


def equity_figure(results: Sequence[BacktestResult]) -> go.Figure:
    fig = figure("Equity (total return, 1.0 at start)", yaxis="book value")
    for k, r in enumerate(results):
        fig.add_trace(
            go.Scatter(
                x=r.equity.index,
                y=r.equity,
                name=_label(r, results),
                line={"color": COLORS[k % len(COLORS)]},
            )
        )
    return fig


def drawdown_figure(results: Sequence[BacktestResult]) -> go.Figure:
    fig = figure("Drawdown from the running peak", yaxis="drawdown")
    for k, r in enumerate(results):
        dd = perf.drawdown(r.returns.iloc[1:])
        fig.add_trace(
            go.Scatter(
                x=dd.index,
                y=dd,
                name=_label(r, results),
                fill="tozeroy",
                line={"color": COLORS[k % len(COLORS)]},
            )
        )
    fig.update_yaxes(tickformat=".0%")
    return fig


def rolling_sharpe_figure(
    results: Sequence[BacktestResult], window: int = B3_SESSIONS_PER_YEAR
) -> go.Figure:
    fig = figure(f"Rolling {window}-session Sharpe over the CDI", yaxis="Sharpe")
    for k, r in enumerate(results):
        ex = r.returns - r.risk_free
        roll = ex.rolling(window).mean() / ex.rolling(window).std() * np.sqrt(B3_SESSIONS_PER_YEAR)
        fig.add_trace(
            go.Scatter(
                x=roll.index,
                y=roll,
                name=_label(r, results),
                line={"color": COLORS[k % len(COLORS)]},
            )
        )
    return fig


def monthly_heatmap(result: BacktestResult) -> go.Figure:
    monthly = (1 + result.returns).resample("ME").prod() - 1
    when = pd.DatetimeIndex(monthly.index)
    table = pd.DataFrame({"year": when.year, "month": when.month, "r": monthly.to_numpy()})
    grid = table.pivot(index="year", columns="month", values="r")
    fig = figure("Monthly returns")
    fig.add_trace(
        go.Heatmap(
            z=grid.to_numpy() * 100,
            x=[calendar.month_abbr[int(m)] for m in grid.columns],
            y=grid.index.astype(str),
            colorscale="RdBu",
            zmid=0,
            colorbar={"title": "%"},
            texttemplate="%{z:.1f}",
        )
    )
    return fig


def exposures_figure(result: BacktestResult) -> go.Figure:
    fig = figure("Gross and net exposure by asset class (notional / book)", yaxis="x book")
    for k, col in enumerate(result.exposures.columns):
        dash = "dot" if col.endswith(".net") else None
        fig.add_trace(
            go.Scatter(
                x=result.exposures.index,
                y=result.exposures[col],
                name=col,
                line={"color": COLORS[k // 2 % len(COLORS)], "dash": dash},
            )
        )
    return fig


def attribution_figure(book: BookBacktest, *, by: str = "kind", top: int = 8) -> go.Figure:
    """Cumulative P&L (× initial NAV) of the book by kind of source, or of its ``top``
    sources by |P&L| and the netting line (the rest summed as "other"); the lines add up
    to equity − 1."""
    from research_core.backtest.book import NETTING  # the decision path, only for a book

    pnl = book.attribution
    if by == "kind":
        frame = pnl.T.groupby([c.split(":", 1)[0] for c in pnl.columns]).sum().T
    else:
        ranked = book.by_source.drop(NETTING).abs().sort_values(ascending=False)
        keep = [*ranked.index[:top], NETTING]
        frame = pnl[keep].assign(other=pnl.drop(columns=keep).sum(axis=1))
    fig = figure(f"Book P&L attributed by {by} (cumulative, x initial NAV)", yaxis="P&L")
    for k, (name, col) in enumerate(frame.cumsum().items()):
        fig.add_trace(
            go.Scatter(x=col.index, y=col, name=str(name), line={"color": COLORS[k % len(COLORS)]})
        )
    fig.update_yaxes(tickformat=".1%")
    return fig


def turnover_costs_figure(book: BookBacktest) -> go.Figure:
    """Turnover (one-way, x book) and trading costs (bp of book) at each execution."""
    fig = figure("Turnover and trading costs per rebalance", yaxis="x book")
    turnover = book.result.turnover
    fig.add_trace(go.Bar(x=turnover.index, y=turnover, name="turnover", marker_color=COLORS[0]))
    fig.add_trace(
        go.Scatter(
            x=book.costs.index,
            y=book.costs * 1e4,
            name="costs (bp, right)",
            yaxis="y2",
            line={"color": COLORS[1]},
        )
    )
    fig.update_layout(yaxis2={"overlaying": "y", "side": "right", "title": "bp"})
    return fig


def figures(results: Sequence[BacktestResult]) -> dict[str, go.Figure]:
    """Every report figure (the first result is the headline one)."""
    main = results[0]
    return {
        "equity": equity_figure(results),
        "drawdown": drawdown_figure(results),
        "rolling_sharpe": rolling_sharpe_figure(results),
        "monthly_returns": monthly_heatmap(main),
        "exposures": exposures_figure(main),
    }


def metrics_table(results: Sequence[BacktestResult]) -> pd.DataFrame:
    """Metrics side by side (one column per result); with as_of present, the moves too."""
    table = pd.concat({_label(r, results): r.metrics for r in results}, axis=1)
    if len(results) > 1 and "as_of" in table:
        for col in table.columns.drop("as_of"):
            table[f"{col} - as_of"] = table[col] - table["as_of"]
    return table


# metric -> (label with its unit, formatter): how a person reads each one
_READ: dict[str, tuple[str, Any]] = {
    "annual_return": ("return, %/y", lambda v: fmt.pct(v, signed=True)),
    "annual_volatility": ("volatility, %/y", fmt.pct),
    "sharpe": ("Sharpe (excess over CDI)", lambda v: fmt.number(v, signed=True)),
    "sortino": ("Sortino (excess over CDI)", lambda v: fmt.number(v, signed=True)),
    "calmar": ("Calmar", fmt.number),
    "max_drawdown": ("max drawdown, %", fmt.pct),
    "max_drawdown_days": ("longest drawdown, sessions", lambda v: fmt.number(v, 0)),
    "win_rate": ("winning sessions, %", fmt.pct),
    "profit_factor": ("profit factor, x", fmt.number),
    "hit_ratio": ("winning rebalances, %", fmt.pct),
    "turnover": ("turnover, x book value/y", lambda v: fmt.number(v, 1)),
    "skew": ("skew of daily returns", fmt.number),
    "tail_ratio": ("tail ratio (95th / 5th pct)", fmt.number),
    "periods": ("sessions", lambda v: fmt.number(v, 0)),
}


def cdi_line(result: BacktestResult) -> str:
    """The benchmark: the CDI the collateral earned over the same sessions, compounded and
    annualized (252 sessions a year), and the strategy's return in excess of it."""
    rf = result.risk_free.dropna()
    years = max(len(rf), 1) / B3_SESSIONS_PER_YEAR
    growth = float(np.prod(1.0 + rf.to_numpy(dtype=float)))
    cdi = growth ** (1 / years) - 1
    excess = float(result.metrics["annual_return"]) - cdi
    return (
        f"benchmark CDI over the same {len(rf):,} sessions: {fmt.pct(cdi)}/y; "
        f"{result.strategy} {fmt.pct(excess, signed=True)}/y over it"
    )


def metrics_text(results: Sequence[BacktestResult]) -> str:
    """The metrics table as a person reads it: units in the row labels, no bare fractions
    (a vintage grid adds each vintage's difference to as_of in the same units)."""
    table = metrics_table(results)
    rows = [m for m in _READ if m in table.index]
    shown = pd.DataFrame(
        {col: [_READ[m][1](table.at[m, col]) for m in rows] for col in table.columns},
        index=[_READ[m][0] for m in rows],
    )
    return shown.to_string()


def write_report(results: Sequence[BacktestResult], folder: str | Path) -> Path:
    """Write metrics.csv, trades.csv, returns.parquet and figures/*.html into ``folder``.

    The folder is built beside the target and renamed into place, so a failed run never
    leaves a half-written report where a good one was.
    """
    with atomic_folder(folder) as tmp:
        metrics_table(results).to_csv(tmp / "metrics.csv")
        main = results[0]
        main.trades.to_csv(tmp / "trades.csv", index=False)
        pd.concat({_label(r, results): r.returns for r in results}, axis=1).to_parquet(
            tmp / "returns.parquet"
        )
        main.weights.to_csv(tmp / "weights.csv")
        (tmp / "figures").mkdir()
        for name, fig in figures(results).items():
            fig.write_html(tmp / "figures" / f"{name}.html", include_plotlyjs="directory")
        (tmp / "summary.txt").write_text("\n".join(r.summary() for r in results) + "\n")
    return Path(folder)


def _label(result: BacktestResult, results: Sequence[BacktestResult]) -> str:
    if len({r.vintage for r in results}) == len(results):
        return result.vintage
    return f"{result.strategy} [{result.vintage}]"

"""Backtest report figures (equity, drawdown, rolling Sharpe, monthly returns, exposures,
the book's attribution and costs): :func:`figures` makes the ones
:func:`~research_core.backtest.report.write_report` writes into a report folder."""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from research_core.backtest import metrics as perf
from research_core.backtest.engine import BacktestResult
from research_core.backtest.report import result_label as _label
from research_core.calendars import B3_SESSIONS_PER_YEAR
from research_core.viz import COLORS, TEMPLATE, figure
from research_core.viz.theme import template

if TYPE_CHECKING:
    from research_core.backtest.book import BookBacktest


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


@contextmanager
def _house_default() -> Iterator[None]:
    """Figures made inside take the house template by reference, as after
    :func:`~research_core.viz.theme.use`, instead of a deep copy each (the same JSON);
    plotly's default is put back after, so a caller's choice stands."""
    before = pio.templates.default
    template()
    pio.templates.default = TEMPLATE
    try:
        yield
    finally:
        pio.templates.default = before


def figures(results: Sequence[BacktestResult]) -> dict[str, go.Figure]:
    """Every report figure (the first result is the headline one)."""
    main = results[0]
    with _house_default():
        return {
            "equity": equity_figure(results),
            "drawdown": drawdown_figure(results),
            "rolling_sharpe": rolling_sharpe_figure(results),
            "monthly_returns": monthly_heatmap(main),
            "exposures": exposures_figure(main),
        }

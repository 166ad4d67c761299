"""Backtest reports: the metrics as a person reads them, and a folder with metrics, trades,
returns, weights and the figures it is given (made by :mod:`research_core.viz.backtests`:
viz sits to the right of the backtest in the house's import order)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from research_core import formats as fmt
from research_core._files import atomic_folder
from research_core.backtest.engine import BacktestResult
from research_core.calendars import B3_SESSIONS_PER_YEAR

if TYPE_CHECKING:
    import plotly.graph_objects as go


def metrics_table(results: Sequence[BacktestResult]) -> pd.DataFrame:
    """Metrics side by side (one column per result); with as_of present, the moves too."""
    table = pd.concat({result_label(r, results): r.metrics for r in results}, axis=1)
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


def write_report(
    results: Sequence[BacktestResult],
    folder: str | Path,
    figures: Mapping[str, go.Figure] | None = None,
) -> Path:
    """Write metrics.csv, trades.csv, returns.parquet, weights.csv, summary.txt and
    ``figures`` (name -> figure, e.g. :func:`research_core.viz.backtests.figures`) as
    figures/<name>.html into ``folder``.

    The folder is built beside the target and renamed into place, so a failed run never
    leaves a half-written report where a good one was.
    """
    with atomic_folder(folder) as tmp:
        metrics_table(results).to_csv(tmp / "metrics.csv")
        main = results[0]
        main.trades.to_csv(tmp / "trades.csv", index=False)
        pd.concat({result_label(r, results): r.returns for r in results}, axis=1).to_parquet(
            tmp / "returns.parquet"
        )
        main.weights.to_csv(tmp / "weights.csv")
        (tmp / "figures").mkdir()
        for name, fig in (figures or {}).items():
            fig.write_html(tmp / "figures" / f"{name}.html", include_plotlyjs="directory")
        (tmp / "summary.txt").write_text("\n".join(r.summary() for r in results) + "\n")
    return Path(folder)


def result_label(result: BacktestResult, results: Sequence[BacktestResult]) -> str:
    """A result's name beside the others: its vintage, or strategy [vintage]."""
    if len({r.vintage for r in results}) == len(results):
        return result.vintage
    return f"{result.strategy} [{result.vintage}]"

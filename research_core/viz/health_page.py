"""The Strategy Health page: the ``health`` step's cards (GREEN / AMBER / RED), the CUSUM
and ADWIN paths, the PSR and minimum-track-record progress, and the monitored record
(live P&L, or the backtest "as if live") beside the backtest.

Reads only the run's ``health/cards.json``, ``cards.parquet`` and ``health_paths.parquet``;
``viz.pages`` registers the reader and the renderer under ``strategy_health``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from research_core.viz import theme
from research_core.viz.runs import Item, Page, Problem, Run

ORDER = {"RED": 0, "AMBER": 1, "GREEN": 2}
KIND = {"RED": "breach", "AMBER": "warn", "GREEN": "ok"}
MAX_CHARTS = 8  # strategies with path charts (worst first): the page stays light


def read_health(run: Run) -> tuple[dict[str, Any], list[Problem]]:
    """The cards (worst first), the detector paths and the live strategies with no stored
    backtest (name → the command that stores one)."""
    record = run.record("cards")
    if not isinstance(record, dict):
        text = f"the {run.date} run has no strategy health cards (step health)"
        return {}, [Problem("warn", "Not in this run", text)]
    cards = run.table("cards")
    if cards is not None and len(cards):
        cards = cards.assign(_o=cards["status"].map(ORDER)).sort_values(["_o", "name"])
        cards = cards.drop(columns="_o").reset_index(drop=True)
    missing: dict[str, str] = dict(record.get("missing", {}))
    skipped: dict[str, str] = dict(record.get("skipped", {}))
    data = {"cards": cards, "paths": run.table("health_paths"), "missing": missing}
    problems = []
    if missing:
        command = next(iter(missing.values())).split(" ", 3)
        how = f"{command[0]} {command[1]} NAME {command[3]}" if len(command) == 4 else ""
        names = ", ".join(sorted(missing))
        text = f"{len(missing)} live strategies have no stored backtest ({names}); "
        problems.append(Problem("info", "No stored backtest", text + f"store one with `{how}`"))
    for name, why in sorted(skipped.items()):
        problems.append(Problem("warn", f"{name} not assessed", why))
    return data, problems


def _num(value: Any, spec: str, suffix: str = "") -> str:
    if value is None or not np.isfinite(float(value)):
        return "–"
    return f"{format(float(value), spec)}{suffix}"


def _card(row: pd.Series) -> str:
    """One strategy's card: status, why, and its numbers with their units."""
    mintrl = row.get("min_track_record")
    rows = [
        ("lower CUSUM", _num(row.get("cusum_down"), ".0%", " of the alarm line")),
        ("PSR vs haircut backtest Sharpe", _num(row.get("psr"), ".0%", " probability")),
        ("minimum track record", _num(mintrl, ",.0f", " sessions")),
        ("progress to it", _num(row.get("progress"), ".0%")),
        ("Sharpe, monitored", _num(row.get("sharpe"), "+.2f", " (annualized)")),
        ("Sharpe, backtest", _num(row.get("backtest_sharpe"), "+.2f", " (annualized)")),
        ("haircut benchmark", _num(row.get("benchmark"), "+.2f", " (annualized)")),
        ("DSR over the ledger", _num(row.get("dsr"), ".0%", " probability")),
        ("monitored", _num(row.get("n_obs"), ",.0f", f" sessions ({row.get('source')})")),
    ]
    table = "".join(f"<tr><td>{theme.esc(k)}</td><td class='num'>{theme.esc(v)}</td></tr>"
                    for k, v in rows)  # fmt: skip
    status = str(row["status"])
    body = (
        f"{theme.badge(status, KIND[status])}"
        f'<p class="wb-sub" data-reason="{theme.esc(row["name"])}">{theme.esc(row["reason"])}</p>'
        f'<table class="wb-table" data-table="health-{theme.esc(row["name"])}">{table}</table>'
    )
    return theme.card(str(row["name"]), body, span=4)


def _cusum_figure(name: str, p: pd.DataFrame, sample: bool) -> Item:
    """Both CUSUM statistics as a share of the alarm line, with the alarms marked."""
    fig = theme.figure(f"{name}: CUSUM and ADWIN", sample=sample, yaxis="% of the alarm line")
    x = pd.to_datetime(p["date"])
    h = p["threshold"].to_numpy()
    fig.add_scatter(x=x, y=100 * p["cusum_down"] / h, name="lower CUSUM (returns below)",
                    line={"color": theme.NEGATIVE})  # fmt: skip
    fig.add_scatter(x=x, y=100 * p["cusum_up"] / h, name="upper CUSUM (returns above)",
                    line={"color": theme.POSITIVE})  # fmt: skip
    fig.add_hline(y=100, line={"color": theme.MUTED, "dash": "dash"})
    for col, label, symbol in (("cusum_alarm", "CUSUM alarm", "x"),
                               ("adwin_alarm", "ADWIN: volatility change", "diamond")):  # fmt: skip
        hits = p[p[col] != 0]
        if len(hits):
            fig.add_scatter(x=pd.to_datetime(hits["date"]), y=[100.0] * len(hits), mode="markers",
                            name=label, marker={"symbol": symbol, "size": 9})  # fmt: skip
    fig.update_layout(height=300)
    return fig


def _record_figure(name: str, p: pd.DataFrame, source: str, sample: bool) -> Item:
    """Cumulative excess return of the live record and of the backtest on the same dates
    (without live P&L, the backtest's monitored sessions "as if live")."""
    live = source == "live"
    title = f"{name}: live vs backtest" if live else f"{name}: backtest as if live (no live P&L)"
    fig = theme.figure(title, sample=sample, yaxis="cumulative excess return, %")
    x = pd.to_datetime(p["date"])
    traces = (
        (("monitored", "live"), ("backtest", "backtest")) if live else (("backtest", "backtest"),)
    )
    for col, label in traces:
        path = (1 + p[col].astype(float).fillna(0.0)).cumprod() - 1
        fig.add_scatter(x=x, y=100 * path, name=label)
    fig.update_layout(height=300)
    return fig


def _progress_figure(cards: pd.DataFrame, sample: bool) -> Item:
    """PSR and progress to the minimum track record, per strategy (%)."""
    fig = theme.figure("PSR and minimum-track-record progress", sample=sample, yaxis="%")
    fig.add_bar(x=cards["name"], y=100 * cards["psr"], name="PSR vs haircut backtest Sharpe")
    fig.add_bar(x=cards["name"], y=100 * cards["progress"], name="progress to the MinTRL")
    fig.update_layout(height=320, barmode="group", hovermode="x")
    return fig


def render_health(page: Page) -> list[Item]:
    """Counts, the cards (worst first), the progress chart, then each strategy's paths."""
    if not page.data:  # no health step in this run: its message says so, no zero counts
        return []
    cards, paths = page.data.get("cards"), page.data.get("paths")
    counts = {s: 0 if cards is None else int((cards["status"] == s).sum()) for s in ORDER}
    kpis = [theme.kpi(f"{s} strategies", f"{n:,}", key=s.lower()) for s, n in counts.items()]
    kpis.append(theme.kpi("no stored backtest", f"{len(page.data.get('missing', {})):,}",
                          key="missing"))  # fmt: skip
    out: list[Item] = [theme.grid(kpis)]
    if cards is None or cards.empty:
        out.append(theme.message("no strategy has a health card in this run", "info"))
        return out
    out.append(theme.grid([_card(row) for _, row in cards.iterrows()]))
    sample = page.run.sample
    out.append(_progress_figure(cards, sample))
    if paths is None or paths.empty:
        return out
    for _, row in cards.head(MAX_CHARTS).iterrows():
        p = paths[paths["name"] == row["name"]]
        if len(p):
            out.append(_cusum_figure(str(row["name"]), p, sample))
            out.append(_record_figure(str(row["name"]), p, str(row["source"]), sample))
    return out

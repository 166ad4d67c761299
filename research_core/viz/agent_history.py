"""The Agent Hub's signal history: each agent's calls over the stored runs (the agents
step's ``agents/history.parquet``) as a chart of strength by date, and a table of the calls
whose view changed, each with the one-line reason of the model that made it."""

from __future__ import annotations

from typing import Any

import pandas as pd

from research_core.agents.reasons import VIEW
from research_core.formats import bp, number, pct
from research_core.viz import theme

KEY = ["source", "model", "instrument"]  # one call: an agent's model on one target


def _target(row: Any) -> str:
    """``instrument`` or ``instrument (model)`` when the agent names the model."""
    return f"{row.instrument} ({row.model})" if row.model else str(row.instrument)


def changes(history: pd.DataFrame) -> pd.DataFrame:
    """The calls whose view (long, short, no view) differs from the same call's view on the
    run before, newest first: date, agent, target, from, to, strength, reason."""
    h = history.sort_values("date", kind="stable").reset_index(drop=True)
    h["model"] = h["model"].fillna("")
    before = h.groupby(KEY, sort=False)["direction"].shift(1)
    moved = h[before.notna() & (before != h["direction"])]
    return pd.DataFrame(
        {
            "date": moved["date"],
            "agent": moved["source"].str.replace("_", " "),
            "target": [_target(r) for r in moved.itertuples()],
            "from": [VIEW[int(d)] for d in before[moved.index]],
            "to": [VIEW[int(d)] for d in moved["direction"]],
            "strength (z)": [number(v, 2, signed=True) for v in moved["strength"]],
            "reason": moved["rationale"].astype(str),
        }
    ).iloc[::-1]


def history_figure(history: pd.DataFrame, agent: str, sample: bool) -> Any:
    """One agent's signal strength (z) by run date, a line per target; hover: the reason."""
    name = agent.removeprefix("agent:").replace("_", " ")  # the stored source id is agent:<name>
    fig = theme.figure(f"{name} agent: signal strength by run date (z)",
                       sample=sample, yaxis="z")  # fmt: skip
    part = history[history["source"] == agent].copy()
    part["model"] = part["model"].fillna("")
    for (_, model, instrument), rows in part.groupby(KEY, sort=True):
        rows = rows.sort_values("date")
        name = f"{instrument} ({model})" if model else str(instrument)
        fig.add_scatter(x=pd.to_datetime(rows["date"]).to_numpy(), name=name,
                        y=rows["strength"].to_numpy(float), mode="lines+markers",
                        customdata=rows["rationale"].to_numpy(object),  # arrays: fast to validate
                        hovertemplate="%{y:+.2f}: %{customdata}<extra></extra>")  # fmt: skip
    days = pd.to_datetime(part["date"])
    span = {"range": [days.min() - pd.Timedelta(days=7), days.max() + pd.Timedelta(days=7)]}
    fig.update_layout(height=320, yaxis_tickformat="+.2f")
    fig.update_xaxes(
        tickformat="%Y-%m-%d",
        dtick=None if days.nunique() > 1 else 86_400_000 * 7,
        **(span if days.nunique() == 1 else {}),
    )  # one run: a dated week, not ms ticks
    return fig


def history_items(history: pd.DataFrame | None, sample: bool) -> list[Any]:
    """The changes card, then one chart per agent; a message when no history is stored."""
    if history is None or history.empty:
        text = "no signal history stored by the agents step for this run"
        return [theme.message(text, "info", title="Signal history")]
    dates = history["date"].nunique()
    moved = changes(history)
    if moved.empty:
        body = theme.message(f"no agent changed its view over {dates} run date(s)", "info")
    else:
        body = theme.table(moved, index=False, name="signal-changes")
    title = f"Changes of view over {dates} run date(s), newest first, with the model's reason"
    out: list[Any] = [theme.grid([theme.card(title, body)])]
    out += [history_figure(history, a, sample) for a in sorted(history["source"].unique())]
    return out


def regime_table(key: str, frame: pd.DataFrame, name: str) -> str:
    """A regime model's diagnostic (``<model>.transmat``, ``<model>.means``, its state
    probabilities) titled with its unit: probabilities in %, the risk regime's mean weekly
    returns in % (CDS changes in bp: the agent stores bp / 100), macro scores as z."""
    num = frame.select_dtypes("number")
    cols = [str(c) for c in num.columns]
    probability = key.endswith(".transmat") or bool(
        len(cols) == frame.shape[1]
        and ((num >= 0) & (num <= 1)).all().all()
        and (num.sum(axis=1) - 1).abs().max() < 1e-6
    )
    fmt: dict[str, Any]
    if probability:
        unit, fmt = "probability, %", {c: lambda v: pct(v, 1) for c in cols}
    elif key.startswith("risk_regime"):
        unit = "mean weekly return, %; CDS in bp"
        fmt = {c: lambda v: pct(v, 2, signed=True) for c in cols}
        if "cds" in fmt:
            fmt["cds"] = lambda v: bp(v * 100, digits=1)  # stored as a bp change / 100
    else:
        unit = "mean score, z"
        fmt = {c: lambda v: number(v, 2, signed=True) for c in cols}
    title = f"<h2>{theme.esc(key.replace('_', ' '))} ({theme.esc(unit)})</h2>"
    return title + theme.table(frame.rename(columns=str), formats=fmt, name=name)

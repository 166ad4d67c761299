"""Plotly figures with the house theme (:mod:`research_core.viz.theme`, the one plot
theme); every figure says when its data is sample data."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

# The one plot theme (``viz.theme``): figures here and on the pages share its template.
from research_core.viz.theme import SERIES as COLORS
from research_core.viz.theme import TEMPLATE, figure

__all__ = ["COLORS", "TEMPLATE", "fan_chart", "figure"]


def fan_chart(
    realtime: pd.DataFrame,
    final: pd.DataFrame,
    *,
    title: str,
    z: float = 1.645,
    sample: bool = False,
) -> go.Figure:
    """Real-time estimate at each as-of date (with a ±z·se fan) against the final estimate.

    ``realtime``: columns obs_date, rstar, rstar_se (and rule); ``final``: smoothed,
    smoothed_se (and rule) indexed by date.
    """
    fig = figure(title, sample=sample, yaxis="% p.a.")
    x = pd.DatetimeIndex(realtime["obs_date"])
    upper = realtime["rstar"] + z * realtime["rstar_se"]
    lower = realtime["rstar"] - z * realtime["rstar_se"]
    fig.add_trace(go.Scatter(x=x, y=upper, line={"width": 0}, showlegend=False, hoverinfo="skip"))
    fig.add_trace(
        go.Scatter(
            x=x,
            y=lower,
            fill="tonexty",
            fillcolor="rgba(31,59,115,0.18)",
            line={"width": 0},
            name=f"real-time {z:g}σ band",
        )
    )
    fig.add_trace(
        go.Scatter(x=x, y=realtime["rstar"], name="r* real time", line={"color": COLORS[0]})
    )
    fig.add_trace(
        go.Scatter(
            x=final.index,
            y=final["smoothed"],
            name="r* final (smoothed)",
            line={"color": COLORS[1], "dash": "dash"},
        )
    )
    if "rule" in realtime:
        fig.add_trace(
            go.Scatter(
                x=x,
                y=realtime["rule"],
                name="Taylor rule, real time",
                line={"color": COLORS[2]},
                visible="legendonly",
            )
        )
    if "rule" in final:
        fig.add_trace(
            go.Scatter(
                x=final.index,
                y=final["rule"],
                name="Taylor rule, final",
                line={"color": COLORS[2], "dash": "dot"},
                visible="legendonly",
            )
        )
    return fig

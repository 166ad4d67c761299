"""Plotly figures with the house theme (:mod:`research_core.viz.theme`, the one plot
theme); every figure says when its data is sample data. Importing this changes no plotly
default: a notebook calls :func:`use_theme` to make the theme (and the mimetype renderer)
its default for every figure, also those it makes itself."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

# The one plot theme (``viz.theme``): figures here and on the pages share its template.
from research_core.viz.theme import SERIES as COLORS
from research_core.viz.theme import TEMPLATE, figure
from research_core.viz.theme import use as use_theme

__all__ = ["COLORS", "TEMPLATE", "fan_chart", "figure", "use_theme"]


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
    # the Taylor rule, real time and final, shown when asked for in the legend
    for xs, frame, when, dash in (
        (x, realtime, "real time", None),
        (final.index, final, "final", "dot"),
    ):
        if "rule" in frame:
            line = {"color": COLORS[2], "dash": dash} if dash else {"color": COLORS[2]}
            name = f"Taylor rule, {when}"
            fig.add_trace(
                go.Scatter(x=xs, y=frame["rule"], name=name, line=line, visible="legendonly")
            )
    return fig

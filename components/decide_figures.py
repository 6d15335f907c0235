"""Figures of the Decide page (pure: frames in, plotly figures out), in the shared theme and model colours.

Model refs become category labels, legend names, point text and hover text here, so each goes through
``core.untrusted_text.plotly_escape`` (``esc``) first, as in ``components.figures``.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from components.figures import THEME
from core.selection import Pareto
from core.untrusted_text import plotly_escape as esc

GREY = "#B8B8C0"


def contribution_figure(frame: pd.DataFrame) -> go.Figure:
    """Stacked bars: each criterion's points in each model's weighted score (rank order, top first)."""
    fig = go.Figure()
    for criterion, part in frame.groupby("criterion", sort=False):
        fig.add_bar(y=part["model"].map(esc), x=part["points"], name=esc(criterion), orientation="h",
                    hovertemplate="%{y}<br>" + esc(criterion) + ": %{x:.1f} points<extra></extra>")
    models = [esc(m) for m in dict.fromkeys(frame["model"])]
    fig.update_layout(template=THEME, barmode="stack", title={"text": "Weighted score (0-100) by criterion"},
                      height=max(300, 140 + 48 * len(models)), xaxis={"title": {"text": "points"}})
    fig.update_yaxes(autorange="reversed", type="category", categoryorder="array", categoryarray=models)
    return fig


def pareto_figure(pareto: Pareto, colours: Mapping[str, str]) -> go.Figure:
    """Quality against latency: frontier models in colour and joined, dominated ones greyed."""
    fig = go.Figure()
    frontier = sorted((p for p in pareto.points if p.on_frontier), key=lambda p: p.latency_s)
    if len(frontier) > 1:
        fig.add_scatter(x=[p.latency_s for p in frontier], y=[p.quality for p in frontier], mode="lines",
                        line={"dash": "dot", "color": "#555"}, name="Pareto frontier", hoverinfo="skip")
    for p in pareto.points:
        note = "on the frontier" if p.on_frontier else "dominated by " + ", ".join(p.dominated_by)
        fig.add_scatter(x=[p.latency_s], y=[p.quality], mode="markers+text", text=[esc(p.ref)],
                        textposition="top center",
                        marker={"size": 14, "color": colours.get(p.ref, "#333") if p.on_frontier else GREY},
                        name=esc(p.ref), hovertemplate=f"{esc(p.ref)}<br>{esc(note)}<extra></extra>")
    fig.update_layout(template=THEME, title={"text": "Quality against latency (top left is best)"}, height=420,
                      xaxis={"title": {"text": "latency (s)"}}, yaxis={"title": {"text": "quality (1-5)"}})
    return fig


def tornado_figure(frame: pd.DataFrame) -> go.Figure:
    """For each weight, how many points it can lose (left) or gain (right) before the winner changes."""
    fig = go.Figure()
    criteria = frame["criterion"].map(esc)
    fig.add_bar(y=criteria, x=-frame["down (points)"], orientation="h", name="weight lowered",
                marker={"color": "#0072B2"}, customdata=frame["winner below"].map(esc, na_action="ignore"),
                hovertemplate="%{y}: -%{x:.1f} points → winner %{customdata}<extra></extra>")
    fig.add_bar(y=criteria, x=frame["up (points)"], orientation="h", name="weight raised",
                marker={"color": "#E69F00"}, customdata=frame["winner above"].map(esc, na_action="ignore"),
                hovertemplate="%{y}: +%{x:.1f} points → winner %{customdata}<extra></extra>")
    fig.update_layout(template=THEME, barmode="overlay", height=max(300, 120 + 44 * len(frame)),
                      title={"text": "How far each weight can move before the winner changes"},
                      xaxis={"title": {"text": "weight points (a bar reaching the end never flips)"}})
    fig.update_yaxes(autorange="reversed", type="category")
    return fig


def win_probability_figure(probabilities: Mapping[str, float], colours: Mapping[str, str]) -> go.Figure:
    """Share of random weightings around the chosen weights that each model wins."""
    refs = sorted(probabilities, key=lambda r: -probabilities[r])
    fig = go.Figure(go.Bar(y=[esc(r) for r in refs], x=[100 * probabilities[r] for r in refs], orientation="h",
                           marker={"color": [colours.get(r, "#333") for r in refs]},
                           texttemplate="%{x:.0f}%", hovertemplate="%{y}: %{x:.1f}%<extra></extra>"))
    fig.update_layout(template=THEME, title={"text": "Chance of winning when the weights are drawn at random"},
                      height=max(260, 120 + 44 * len(refs)), xaxis={"title": {"text": "% of draws won"},
                                                                   "range": [0, 100]})
    fig.update_yaxes(autorange="reversed", type="category")
    return fig

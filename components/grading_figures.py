"""Plotly figure for the Grade page: score against answer length. Data frame in, figure out, no Streamlit.

It carries ``components.figures.THEME`` and the shared model colours, so it looks like (and exports
like) every chart on the Compare page. Model refs and the source's name (a judge is a model ref) go
through ``core.untrusted_text.plotly_escape`` (``esc``): plotly renders tags in names, hover text and titles.
"""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from components.figures import THEME
from core.grading.rubric import LEVELS
from core.untrusted_text import plotly_escape as esc


def length_score_figure(points: pd.DataFrame, colours: Mapping[str, str], source: str) -> go.Figure:
    """Each scored answer as a point: its length in characters (x) against its overall score (y).

    ``points`` is ``components.grading_frames.score_points``. A cloud that rises to the right within
    one model's colour is the sign of a grader rewarding verbosity rather than quality.
    """
    fig = go.Figure()
    for model in dict.fromkeys(points["model"]):
        rows = points[points["model"] == model]
        fig.add_trace(go.Scatter(
            x=rows["response_chars"], y=rows["score"], mode="markers", name=f"{esc(model)} (n={len(rows)})",
            marker={"color": colours.get(model), "size": 10, "opacity": 0.75, "line": {"color": "white", "width": 1}},
            customdata=rows["item"].map(esc),
            hovertemplate="%{x} characters<br>score %{y:.2f}<br>%{customdata}<extra>" + esc(model) + "</extra>",
        ))
    fig.update_layout(template=THEME, height=420, title={"text": f"Score against answer length: {esc(source)}"},
                      xaxis_title="Answer length (characters)", yaxis_title="Overall score (mean of criteria)")
    fig.update_xaxes(rangemode="tozero")
    fig.update_yaxes(range=[LEVELS[0] - 0.3, LEVELS[-1] + 0.3], dtick=1)
    return fig

"""The look every plotly figure shares, on the page and in every exported image: theme and model colours.

It lives in core (plotly, no Streamlit) because the exports draw the same figures as the pages:
``core.decide.charts`` builds the Decide charts for both, ``components.figures`` the Compare ones.
Every figure carries ``THEME`` inside it, which is why the app (``st.plotly_chart(theme=None)``), the PNG
downloads and the SVGs of the HTML/PDF decision report look the same.
"""

from __future__ import annotations

from collections.abc import Iterable

import plotly.graph_objects as go

PALETTE: tuple[str, ...] = (  # Okabe-Ito first (colour-blind safe), then distinct extras
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9",
    "#8C6D31", "#6B6ECF", "#7F7F7F", "#B5CF6B",
)
FONT = "Source Sans Pro, Segoe UI, Helvetica, Arial, sans-serif"

THEME = go.layout.Template(layout=go.Layout(
    font={"family": FONT, "size": 13, "color": "#262730"},
    title={"font": {"size": 17}, "x": 0.01, "xanchor": "left"},
    paper_bgcolor="white",
    plot_bgcolor="white",
    colorway=list(PALETTE),
    margin={"l": 10, "r": 20, "t": 60, "b": 50},
    xaxis={"gridcolor": "#E6E6EA", "zerolinecolor": "#B0B0B8", "automargin": True},
    yaxis={"gridcolor": "#E6E6EA", "zerolinecolor": "#B0B0B8", "automargin": True},
    legend={"orientation": "v", "yanchor": "top", "y": 1, "xanchor": "left", "x": 1.02, "title": {"text": ""}},
    hoverlabel={"font": {"family": FONT}},
))


def colour_map(refs: Iterable[str]) -> dict[str, str]:
    """One colour per model ref, by order of first appearance (pass every ref the store knows,
    so selecting fewer models does not repaint the others)."""
    return {ref: PALETTE[i % len(PALETTE)] for i, ref in enumerate(dict.fromkeys(refs))}

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


LEGEND_ROW_PX = 22
TITLE_LINE = 50  # characters of a title on one line: about 450 px at the title's size


def chart_title(text: str, *, above_plot_px: int = 0) -> dict:
    """Layout arguments for a title that fits a narrow page (plotly never wraps a title: one long line runs off
    the chart at 1,000 px): ``"What: how it is drawn"`` becomes the what, with the how on a smaller second
    line; another long title breaks at a space. The top margin holds the lines and ``above_plot_px`` more
    (the first stacked panel's own title sits there)."""
    head, sep, tail = text.partition(": ")
    if sep:
        text = f"{head}<br><span style=\"font-size:13px\">{tail}</span>"
    elif len(text) > TITLE_LINE:
        cut = text.rfind(" ", 0, TITLE_LINE)
        text = f"{text[:cut + 1]}<br>{text[cut + 1:]}"  # the space kept: the SVG's text reads as the title
    lines = text.count("<br>") + 1
    return {"title": {"text": text, "yref": "container", "y": 1, "yanchor": "top", "pad": {"t": 12}},
            "margin": {"t": 24 + 24 * lines + above_plot_px}}


def legend_below(entries: int) -> tuple[dict, int]:
    """A legend under the plot and the height it may add (one entry a row at the narrowest; wider, plotly puts
    several on a row): beside the plot a legend of long model ids would take the plot's width at 1,000 px,
    and over it, it would cover points or the title."""
    legend = {"orientation": "h", "yref": "container", "y": 0, "yanchor": "bottom", "x": 0, "xanchor": "left"}
    return legend, LEGEND_ROW_PX * entries + 10


def colour_map(refs: Iterable[str]) -> dict[str, str]:
    """One colour per model ref, by order of first appearance (pass every ref the store knows,
    so selecting fewer models does not repaint the others)."""
    return {ref: PALETTE[i % len(PALETTE)] for i, ref in enumerate(dict.fromkeys(refs))}


SHORT_LABEL = 40  # characters of a model id a chart label shows; the full id is in the hover text (and the CSV)


def short_labels(refs: Iterable[str], limit: int = SHORT_LABEL) -> dict[str, str]:
    """Each model ref as a chart label of at most ``limit`` characters: its beginning and its end (where
    ids carry their variant and version, ``…-generic-cpu:4``) around an ellipsis. Refs that would read the same
    (``…-qwen-1.5b-…`` and ``…-qwen-7b-…``) are cut longer until they differ, so a label never merges two models
    on a category axis."""
    refs = list(dict.fromkeys(refs))
    labels = {ref: _middle_cut(ref, limit) for ref in refs}
    width = limit
    while clashes := [ref for ref in refs if list(labels.values()).count(labels[ref]) > 1]:
        width += 4
        labels |= {ref: _middle_cut(ref, width) for ref in clashes}
    return labels


def _middle_cut(text: str, limit: int) -> str:
    if len(text) <= limit:
        return text
    tail = limit // 4  # the end says the variant and version; the device is on the label's next line
    return f"{text[:limit - 1 - tail]}…{text[-tail:]}"

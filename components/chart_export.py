"""Every chart with its two downloads: the picture as PNG and the numbers behind it as CSV.

PNGs are drawn by kaleido in the system's chromium (``core.chart_images``, which the decision report's
SVGs also use). The figure already carries the app's theme (``core.chart_theme.THEME``), so the image
matches what the user sees.

The CSV's text cells go through the same neutraliser as every other export
(``core.untrusted_text.csv_cell``): model ids and devices come from endpoints, so a cell that a spreadsheet
would evaluate (``=HYPERLINK(...)``) gets a leading apostrophe and invisible characters are written out.

Both files are made only when their button is clicked (deferred downloads): starting chromium costs a
few seconds and a sample table can be large, which every rerun would otherwise pay for every chart.
"""

from __future__ import annotations

from functools import partial

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.chart_images import browser_path, figure_images
from core.untrusted_text import csv_cell

EXPORT_WIDTH = 1200
EXPORT_SCALE = 2


def figure_png(fig: go.Figure, *, width: int = EXPORT_WIDTH, scale: int = EXPORT_SCALE) -> bytes:
    """The figure as PNG bytes, at the height it has in the app (``ChartImagesUnavailable`` without chromium)."""
    return figure_images([fig], fmt="png", width=width, scale=scale)[0]


def chart_csv(data: pd.DataFrame) -> str:
    """The numbers behind a chart as CSV: numeric columns as they are, every text cell neutralised."""
    text_columns = data.select_dtypes(exclude="number").columns
    return data.assign(**{c: data[c].map(csv_cell) for c in text_columns}).to_csv(index=False)


def chart_with_downloads(fig: go.Figure, data: pd.DataFrame, name: str, *, key: str) -> None:
    """Show ``fig`` in the shared theme, with "PNG" and "CSV" download buttons under it."""
    st.plotly_chart(fig, theme=None, key=f"{key}-chart", config={"displaylogo": False})
    buttons = st.container(horizontal=True)  # each as wide as its label (fixed columns cut them to "P" and "C")
    no_browser = not browser_path().is_file()
    buttons.download_button(
        "PNG", data=partial(figure_png, fig), file_name=f"{name}.png", mime="image/png", key=f"{key}-png",
        icon=":material/image:", on_click="ignore", disabled=no_browser,
        help="Install chromium to export images" if no_browser else "Download this chart as an image",
    )
    buttons.download_button(
        "CSV", data=partial(chart_csv, data), file_name=f"{name}.csv", mime="text/csv", key=f"{key}-csv",
        icon=":material/table:", on_click="ignore", help="Download the numbers behind this chart",
    )

"""Plotly figures drawn as images (PNG for the chart downloads, SVG for the decision report) by kaleido 1.x.

kaleido drives a real browser: the system's chromium (Debian's ``/usr/bin/chromium``, or the one
``BROWSER_PATH`` names, the variable kaleido's own lookup honours). The path is always passed, so
kaleido never looks for, or downloads, a browser of its own; MathJax is off because its default is a CDN
script and no chart uses TeX. Starting chromium is most of the cost (about 3 s on 2 cores, see
BENCHMARKS.md), so ``figure_images`` draws every figure it is given in ONE browser session.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import kaleido
import plotly.graph_objects as go

CHROMIUM = Path("/usr/bin/chromium")
DEFAULT_HEIGHT = 500

# choreographer (kaleido's browser driver) logs a garbled message on the browser pipe with a full traceback
# and carries on ("JSONError decoding message. Ignoring", seen once under load, the images still complete).
# What counts is the outcome, images or ``ChartImagesUnavailable``: no traceback on the CLI's stderr.
logging.getLogger("choreographer").setLevel(logging.CRITICAL)


class ChartImagesUnavailable(RuntimeError):
    """No browser to draw with, or kaleido failed; the message says what to do."""


def browser_path() -> Path:
    """The browser kaleido and the PDF printer use (it may not be installed: check ``is_file()``)."""
    return Path(os.environ.get("BROWSER_PATH") or CHROMIUM)


def figure_images(figures: Sequence[go.Figure], *, fmt: str, width: int, scale: float = 1,
                  browser: Path | None = None) -> list[bytes]:
    """Each figure as ``fmt`` ("png" or "svg") bytes, ``width`` pixels wide and as high as it is in the app,
    all drawn in one chromium session; ``ChartImagesUnavailable`` when that cannot be done."""
    path = browser if browser is not None else browser_path()
    if not path.is_file():
        raise ChartImagesUnavailable(f"drawing charts needs chromium at {path} (Debian: apt-get install chromium, "
                                     "or set BROWSER_PATH to a Chrome or Chromium)")
    if not figures:
        return []
    jobs = [(fig, {"format": fmt, "width": width, "height": fig.layout.height or DEFAULT_HEIGHT, "scale": scale})
            for fig in figures]

    async def draw() -> list[bytes]:
        async with kaleido.Kaleido(path=str(path), mathjax=False) as session:
            return [await session.calc_fig(fig, opts=opts) for fig, opts in jobs]

    try:  # a thread of its own, so a caller already inside an event loop (as kaleido's sync calls do) works too
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, draw()).result()
    except Exception as exc:  # a browser that crashes, hangs or speaks another protocol version: many exception types
        raise ChartImagesUnavailable(f"kaleido could not draw the charts with {path}: {exc}") from exc

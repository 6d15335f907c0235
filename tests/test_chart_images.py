"""Figures drawn by kaleido in the system chromium: several per browser start, or one clear sentence."""

from __future__ import annotations

from pathlib import Path

import plotly.graph_objects as go
import pytest

from core.chart_images import CHROMIUM, ChartImagesUnavailable, figure_images


def test_a_missing_browser_is_one_sentence_that_says_what_to_install(tmp_path: Path):
    with pytest.raises(ChartImagesUnavailable, match=r"needs chromium at .*no-chromium \(Debian: apt-get install"):
        figure_images([go.Figure()], fmt="svg", width=400, browser=tmp_path / "no-chromium")


def test_a_browser_path_from_the_environment_is_used(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("BROWSER_PATH", str(tmp_path / "elsewhere"))
    with pytest.raises(ChartImagesUnavailable, match="elsewhere"):
        figure_images([go.Figure()], fmt="png", width=400)


@pytest.mark.skipif(not CHROMIUM.is_file(), reason="needs /usr/bin/chromium")
def test_every_figure_is_drawn_in_one_call_at_its_own_height():
    tall = go.Figure(go.Bar(x=[1, 2], y=["a", "b"], orientation="h")).update_layout(height=600)
    svg, png = figure_images([go.Figure(go.Scatter(x=[1], y=[2])), tall], fmt="svg", width=400), \
        figure_images([tall], fmt="png", width=400, scale=1)[0]
    assert [s.startswith(b"<svg") for s in svg] == [True, True]
    assert b'height="500"' in svg[0][:300] and b'height="600"' in svg[1][:300]
    assert png.startswith(b"\x89PNG") and int.from_bytes(png[20:24], "big") == 600  # IHDR height

"""The Compare page in chromium: charts render from seeded runs, and a chart downloads as a real PNG.

Needs seeded data, so it starts its own app over its own store file (``app_server`` serves an empty one).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from store import Store
from tests.conftest import ARTIFACTS, running_app
from tests.test_compare import LARGE, SMALL, ModelSpec, seed_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def compare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app over a store holding a CPU run and a GPU run; yields the Compare page's URL."""
    folder = tmp_path_factory.mktemp("compare")
    store = Store(folder / "pickwise.json")
    seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, speed=0.6, unique_answers={"p1"})], seed=1,
             created_at="2026-03-01T10:00:00+00:00")
    seed_run(store, [ModelSpec(SMALL, device="GPU", provider="CUDAExecutionProvider", speed=3.0)], seed=2,
             created_at="2026-03-02T10:00:00+00:00")
    with running_app(store.path, folder) as server:
        yield f"{server.url}/compare"


def test_compare_charts_render_and_export_in_chromium(compare_server: str, page) -> None:
    page.goto(compare_server)
    charts = page.locator("[data-testid='stPlotlyChart'] .main-svg")
    charts.first.wait_for(timeout=60_000)
    page.get_by_text("Tokens/s after the first token").first.wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 3400})  # the page scrolls inside Streamlit's container
    page.get_by_text("Latency against tokens/s").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # let plotly finish laying out the last chart
    page.screenshot(path=str(ARTIFACTS / "compare.png"))

    with page.expect_download(timeout=60_000) as download:
        page.get_by_role("button", name="PNG", exact=True).first.click()
    assert download.value.suggested_filename == "ttft-percentiles.png"
    png = download.value.path().read_bytes()
    assert png.startswith(b"\x89PNG\r\n\x1a\n") and len(png) > 10_000
    (ARTIFACTS / "compare-export.png").write_bytes(png)

    page.get_by_role("tab", name="With and without GPU").click()
    page.get_by_text("speed-up with 95% CI").first.wait_for(timeout=30_000)
    page.screenshot(path=str(ARTIFACTS / "compare-gpu.png"))

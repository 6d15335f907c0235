"""The Compare page in chromium: charts render from seeded runs, and a chart downloads as a real PNG.

Needs seeded data, so it starts its own server on the Compare page with its own store file
(``app_server`` in conftest serves an empty store).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator

import pytest

from core.paths import REPO_ROOT
from store import Store
from tests.conftest import ARTIFACTS, free_port
from tests.test_compare import LARGE, SMALL, ModelSpec, seed_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def compare_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``streamlit run app_pages/compare.py`` over a store holding a CPU run and a GPU run."""
    folder = tmp_path_factory.mktemp("compare")
    store = Store(folder / "pickwise.json")
    seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, speed=0.6, unique_answers={"p1"})], seed=1,
             created_at="2026-03-01T10:00:00+00:00")
    seed_run(store, [ModelSpec(SMALL, device="GPU", provider="CUDAExecutionProvider", speed=3.0)], seed=2,
             created_at="2026-03-02T10:00:00+00:00")
    port = free_port()
    with open(folder / "streamlit.log", "w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app_pages/compare.py", "--server.port", str(port),
             "--server.headless", "true", "--browser.gatherUsageStats", "false"],
            cwd=REPO_ROOT, env={**os.environ, "PICKWISE_DB": str(store.path)}, stdout=log, stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            _wait_healthy(url)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=15)


def _wait_healthy(url: str, timeout_s: float = 60) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    raise RuntimeError("Streamlit did not start; see streamlit.log beside the test's store")


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

"""Runs from another machine in chromium: the gpu-box bundle (``tests.gpu_bundle``) uploaded through the Compare
page's uploader beside the laptop's real CPU run, then the GPU tab states the speed-up with its interval.

Saves docs/screenshots/compare_gpu.png.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.paths import REPO_ROOT
from tests.conftest import running_app
from tests.gpu_bundle import FAMILY, GPU_BOX, NEAR, K, write_fixture

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOT = REPO_ROOT / "docs" / "screenshots" / "compare_gpu.png"


@pytest.fixture(scope="module")
def laptop(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """The app over the laptop's store (one real CPU run); yields the Compare page's URL and the bundle file."""
    folder = tmp_path_factory.mktemp("bundles")
    bundle, _, _ = write_fixture(folder)
    with running_app(folder / "pickwise.json", folder) as server:
        yield f"{server.url}/compare", bundle


def test_an_uploaded_gpu_bundle_is_paired_on_the_gpu_tab(laptop: tuple[str, Path], page) -> None:
    url, bundle = laptop
    page.goto(url)
    page.get_by_text("Runs from another machine").first.click()
    page.locator("[data-testid='stFileUploaderDropzoneInput']").set_input_files(str(bundle))
    page.get_by_text(re.compile(rf"{re.escape(bundle.name)}: imported 1 run")).first.wait_for(timeout=60_000)
    page.get_by_role("tab", name="With and without GPU").click()
    sentence = page.get_by_text(re.compile(rf"{re.escape(FAMILY)} on {GPU_BOX}, CUDA is \d\.\dx as fast in "
                                           r"tokens/s as on .*, CPU \(95% CI")).first
    sentence.wait_for(timeout=60_000)
    assert page.locator("[data-testid='stException']").count() == 0
    said, low, high = map(float, re.search(r"(\d\.\d)x as fast in tokens/s.*95% CI (\d\.\d+)-(\d\.\d+)x",
                                           sentence.inner_text()).groups())
    assert K / NEAR <= said <= K * NEAR and low <= said <= high  # exactly K over the same run: test_gpu_bundle.py
    page.set_viewport_size({"width": 1400, "height": 2200})
    page.get_by_text("Model families").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # let plotly finish laying out the chart
    SHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOT))

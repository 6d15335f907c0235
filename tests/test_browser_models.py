"""The newcomer's first minute in a real browser: open the app, probe the default model, read the answer."""

from __future__ import annotations

import re

import pytest

from tests.conftest import ARTIFACTS, AppServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_probe_default_model_in_chromium(app_server: AppServer, page) -> None:
    page.goto(f"{app_server.url}/models")
    page.get_by_text("Default model").first.wait_for(timeout=60_000)
    page.get_by_text(re.compile(r"is ready\.")).wait_for(timeout=60_000)

    page.get_by_role("button", name="Run probe").click()
    metric = page.get_by_text("Time to first token")
    metric.wait_for(timeout=120_000)

    answer = page.locator("[data-testid='stCode']").last
    text = answer.inner_text()
    assert len(text.split()) >= 3, f"the default model's answer looks empty: {text!r}"
    assert page.get_by_text(re.compile(r"run [0-9a-f]{12}")).count() >= 1, "the probe's run id is not shown"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "models-probe.png"), full_page=True)

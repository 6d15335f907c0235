"""A benchmark in a real browser on the default model: start, watch progress advance, cancel, keep results."""

from __future__ import annotations

import re
import time

import pytest

from store import Store
from store.records import Table
from tests.conftest import ARTIFACTS, AppServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PROGRESS = re.compile(r"(\d+)/(\d+)")


def _done_requests(page) -> int:
    bar = page.locator("[data-testid='stMain'] [data-testid='stProgress']").first
    match = PROGRESS.search(bar.inner_text(timeout=5_000))
    return int(match.group(1)) if match else 0


def test_start_watch_cancel_keep_partial_results(app_server: AppServer, page) -> None:
    page.goto(f"{app_server.url}/benchmark")
    page.get_by_role("button", name="Start benchmark").wait_for(timeout=60_000)
    page.get_by_label("Rounds", exact=True).fill("20")
    page.get_by_label("Rounds", exact=True).press("Tab")
    page.get_by_label("Max output tokens").fill("24")
    page.get_by_label("Max output tokens").press("Tab")
    page.get_by_role("button", name="Start benchmark").click()

    page.locator("[data-testid='stMain'] [data-testid='stProgress']").first.wait_for(timeout=60_000)
    deadline = time.monotonic() + 120
    seen = []
    while time.monotonic() < deadline and (not seen or seen[-1] < 3):
        seen.append(_done_requests(page))
        time.sleep(0.5)
    assert seen[-1] >= 3 and seen[-1] > seen[0], f"progress did not advance: {seen}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "benchmark-running.png"))

    page.get_by_role("button", name="Cancel").click()
    page.get_by_text(re.compile(r"Status \*?\*?cancelled|Status cancelled")).wait_for(timeout=60_000)
    page.screenshot(path=str(ARTIFACTS / "benchmark-cancelled.png"))

    runs = Store(app_server.db).find(Table.RUNS, kind="benchmark")
    assert len(runs) == 1 and runs[0]["status"] == "cancelled"
    samples = Store(app_server.db).find(Table.SAMPLES, run_id=runs[0]["run_id"])
    assert len(samples) >= 3
    assert len(samples) < 4 * 21, "cancel should stop the run early"
    assert all(s["error"] is None and s["completion_tokens"] for s in samples)

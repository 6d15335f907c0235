"""The newcomer's whole path in chromium on the default model: probe, benchmark, compare, grade (judge and
by hand), decide, export — and the downloaded report says what was decided. It also takes the README's
screenshots (docs/screenshots/)."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from core.paths import REPO_ROOT
from store import Store
from store.records import Table
from tests.conftest import running_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = REPO_ROOT / "docs" / "screenshots"
DEFAULT = "foundry-local:pickwise-smollm2-135m:1"


def _wait_until(check, timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.wheel(0, -10_000)
    page.wait_for_timeout(800)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def test_newcomer_journey(tmp_path: Path, page) -> None:
    db = tmp_path / "pickwise.json"
    with running_app(db, tmp_path) as app:
        main = page.locator("[data-testid='stMain']")
        page.set_viewport_size({"width": 1400, "height": 1100})

        # 1. Models: the default model answers a probe
        page.goto(f"{app.url}/models")
        page.get_by_text(re.compile(r"is ready\.")).wait_for(timeout=60_000)
        page.get_by_role("button", name="Run probe").click()
        main.get_by_text("Time to first token").wait_for(timeout=120_000)
        _shot(page, "models")

        # 2. Benchmark: one quick round of the built-in set
        page.goto(f"{app.url}/benchmark")
        page.get_by_role("button", name="Start benchmark").wait_for(timeout=60_000)
        for label, value in (("Warm-up rounds (not counted)", "0"), ("Rounds", "1"), ("Max output tokens", "24")):
            field = page.get_by_label(label, exact=True)
            field.fill(value)
            field.press("Tab")
        page.get_by_role("button", name="Start benchmark").click()
        _wait_until(lambda: any(r["status"] == "completed" for r in Store(db).find(Table.RUNS, kind="benchmark")),
                    180, "the benchmark to complete")
        page.reload()
        main.get_by_text(re.compile(r"Status completed")).wait_for(timeout=60_000)
        _shot(page, "benchmark")

        # 3. Compare: the charts render
        page.goto(f"{app.url}/compare")
        page.locator("[data-testid='stPlotlyChart'] .main-svg").first.wait_for(timeout=60_000)
        _shot(page, "compare")

        # 4. Grade: the default model judges, then a person grades one answer blind
        page.goto(f"{app.url}/grade")
        main.get_by_text("Benchmark run").first.wait_for(timeout=60_000)
        # the only model is the candidate itself, so no judge is preselected: the newcomer chooses it
        main.get_by_role("combobox", name=re.compile("Judge model")).click()
        page.get_by_role("option", name=re.compile("pickwise-smollm2-135m")).click()
        page.get_by_role("button", name=re.compile("Start judging")).click()
        _wait_until(lambda: not Store(db).find(Table.JOBS, kind="judge", state="running")
                    and Store(db).find(Table.JOBS, kind="judge"), 300, "the judge to finish")
        assert Store(db).find(Table.JUDGMENTS), "the judge recorded nothing (scored or unscored)"
        page.reload()
        page.get_by_role("tab", name="Manual").click()
        name = page.get_by_role("textbox", name="Your name or initials")
        name.fill("pat")
        name.press("Enter")
        form = main.locator("[data-testid='stForm']").filter(has_text="Save and next")
        form.get_by_text("4", exact=True).click()
        form.get_by_role("button", name="Save and next").click()
        main.get_by_text(re.compile(r"1 of \d+ graded")).wait_for(timeout=30_000)
        _shot(page, "grade")

        # 5. Decide: record the decision and download the Markdown report
        page.goto(f"{app.url}/decide")
        page.get_by_role("button", name="Record decision").wait_for(timeout=60_000)
        page.get_by_label("Decision-makers (comma-separated)").fill("Ana, Ben")
        page.get_by_role("button", name="Record decision").click()
        main.get_by_text(re.compile(r"Decision [0-9a-f]{12} recorded")).wait_for(timeout=60_000)
        _shot(page, "decide")
        with page.expect_download() as download:
            main.get_by_role("button", name="Markdown").click()
        report = Path(download.value.path()).read_text(encoding="utf-8")
        assert page.locator("[data-testid='stException']").count() == 0

    [decision] = Store(db).all(Table.DECISIONS)
    assert decision["chosen"] == DEFAULT
    assert decision["run_ids"] and decision["run_ids"][0] in report
    assert "pickwise-smollm2-135m" in report and "Ana" in report

"""Blind manual grading in chromium: open the Grade page on a seeded run, grade answers with mouse and
keyboard, and watch the progress move (and the grade land in the store)."""

from __future__ import annotations

import re

import pytest

from store import Store
from store.records import Table
from tests.conftest import ARTIFACTS, AppServer
from tests.test_grading_items import make_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ANSWERS = [("a:m", "capital", "The capital of France is Paris."), ("b:m", "capital", "Lyon, I think."),
           ("a:m", "haiku", "Soft rain on the roof\nwhispers to the sleeping town\nmorning finds it gone"),
           ("b:m", "haiku", "Rain rain rain.")]


def test_grade_answers_blind_and_see_the_progress_move(app_server: AppServer, page) -> None:
    run_id = make_run(Store(app_server.db), ANSWERS)
    page.goto(f"{app_server.url}/grade")
    main = page.locator("[data-testid='stMain']")
    main.get_by_text("Benchmark run").first.wait_for(timeout=60_000)
    # the shared server may hold other runs (e.g. from the benchmark browser test): pick ours
    main.get_by_role("combobox").first.click()
    page.get_by_role("option", name=re.compile(run_id)).click()
    page.get_by_role("tab", name="Manual").click()
    name = page.get_by_role("textbox", name="Your name or initials")
    name.fill("pat")
    name.press("Enter")
    main.get_by_text("0 of 4 graded").wait_for(timeout=30_000)
    assert main.get_by_text("a:m").count() == 0 and main.get_by_text("b:m").count() == 0, "grading must be blind"

    form = main.locator("[data-testid='stForm']").filter(has_text="Save and next")
    form.get_by_role("radiogroup").first.get_by_text("4", exact=True).click()  # the mouse: level 4 of Helpfulness
    comment = form.get_by_role("textbox", name="Comment (optional)")
    comment.click()
    page.keyboard.type("Clear, but could be shorter.")  # the keyboard
    form.get_by_role("button", name="Save and next").click()
    main.get_by_text("1 of 4 graded").wait_for(timeout=30_000)
    assert page.locator("[data-testid='stException']").count() == 0

    grades = Store(app_server.db).find(Table.GRADES, run_id=run_id)
    assert [(g["grader"], g["scores"], g["comment"]) for g in grades] == [
        ("pat", {"helpfulness": 4}, "Clear, but could be shorter.")]

    next_form = main.locator("[data-testid='stForm']").filter(has_text="Save and next")
    # the radio group, not any other "2" on the page (under load the previous answer's form may linger a moment)
    next_form.get_by_role("radiogroup").first.get_by_text("2", exact=True).click()
    ARTIFACTS.mkdir(exist_ok=True)
    page.set_viewport_size({"width": 1400, "height": 1700})
    page.mouse.wheel(0, -10_000)  # back to the title: saving scrolled the page
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / "grade.png"), full_page=True)
    next_form.get_by_role("button", name="Save and next").click()
    main.get_by_text("2 of 4 graded").wait_for(timeout=30_000)

    page.get_by_role("tab", name="Results").click()
    main.get_by_text("Score against answer length").first.wait_for(timeout=30_000)
    page.wait_for_timeout(500)  # let plotly finish laying out
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(ARTIFACTS / "grade-results.png"), full_page=True)

"""Issue 16's record part in chromium: manual grading moves on after Save (the keyboard focus on the next
answer's first score) and "Undo last grade" goes back to it; the Decide page says why a cell is empty; the
exported HTML record shows the chosen model and the runner-up with their example answers, escaped.
Screenshots go to test-artifacts/record-*.png."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from core.benchmark.runner import create_run, execute_run
from core.benchmark.settings import BenchmarkSettings
from core.grading import get_rubric, grading_items, install_presets, record_grade
from core.models.sources import add_endpoint
from store import Store
from tests.conftest import ARTIFACTS, running_app
from tests.fake_openai_server import FakeOpenAIServer, Scenario
from tests.test_benchmark import _Control

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HOSTILE = ["Paris ", "is ", "the ", "capital. ", "<script>alert(1)</script> ", "[click](http://evil.example)"]


def _seed(db: Path) -> str:
    """Two endpoints answer six prompts twice; a person graded every answer (fast 4, slow 2)."""
    store = Store(db)
    with FakeOpenAIServer(Scenario(tokens=HOSTILE, token_interval_s=0.001)) as fast, \
            FakeOpenAIServer(Scenario(n_tokens=12, token_interval_s=0.004)) as slow:
        add_endpoint(store, "fast", fast.base_url)
        add_endpoint(store, "slow", slow.base_url)
        settings = BenchmarkSettings(models=["fast:fake-model", "slow:fake-model"], rounds=2, warmup=0, timeout_s=5,
                                     prompts=[{"id": f"q{i}", "prompt": f"Question {i}?"} for i in range(6)])
        run_id = create_run(store, settings)
        execute_run(store, run_id, _Control())
    install_presets(store)
    rubric = get_rubric(store, "helpfulness")
    for item in grading_items(store, run_id):
        record_grade(store, run_id, item.item_id, "pat", rubric, {"helpfulness": 4 if "fast" in item.model_ref else 2})
    return run_id


def _shot(page, name: str, full: bool = False) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(600)
    page.screenshot(path=str(ARTIFACTS / f"record-{name}.png"), full_page=full)


def _focused_form_item(page) -> str | None:
    """The answer id of the form holding the keyboard focus, if the focus is on one of its scores."""
    return page.evaluate("""() => {
        const el = document.activeElement;
        if (!el || el.type !== 'radio') return null;
        const form = el.closest('[data-testid="stForm"]');
        const m = form && form.textContent.match(/Answer (i-[0-9a-f]+)/);
        return m ? m[1] : null;
    }""")


def test_grade_moves_on_undo_goes_back_and_the_record_shows_the_evidence(tmp_path: Path, page) -> None:
    db = tmp_path / "pickwise.json"
    _seed(db)
    with running_app(db, tmp_path) as app:
        main = page.locator("[data-testid='stMain']")
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.goto(f"{app.url}/grade")
        page.get_by_role("tab", name="Manual").click()
        name = page.get_by_role("textbox", name="Your name or initials")
        name.fill("lee")
        name.press("Enter")
        main.get_by_text("0 of 12 graded").wait_for(timeout=30_000)
        first = re.search(r"i-[0-9a-f]+", main.get_by_text(re.compile(r"^Answer i-")).first.inner_text()).group(0)
        form = main.locator("[data-testid='stForm']").filter(has_text=first)
        form.get_by_role("radiogroup").first.get_by_text("4", exact=True).click()
        form.get_by_role("button", name="Save and next").click()
        main.get_by_text("1 of 12 graded").wait_for(timeout=30_000)
        page.wait_for_function("() => document.activeElement && document.activeElement.type === 'radio'",
                               timeout=10_000)
        second = _focused_form_item(page)
        assert second and second != first, "the focus must move to the next answer's first score"
        _shot(page, "grade-after-save")  # the viewport: the next answer in view, not the old Save button
        page.keyboard.press("ArrowDown")  # the keyboard carries on: a score chosen without the mouse
        page.keyboard.press("ArrowDown")
        _shot(page, "grade-keyboard")

        main.get_by_role("button", name="Undo last grade").click()
        main.get_by_text("0 of 12 graded").wait_for(timeout=30_000)
        main.locator("[data-testid='stForm']").filter(has_text=first).wait_for(timeout=30_000)
        assert page.locator("[data-testid='stException']").count() == 0
        _shot(page, "grade-after-undo")

        page.goto(f"{app.url}/decide")
        main.get_by_text("Record the decision").wait_for(timeout=60_000)
        main.get_by_text("How robust is the winner?").wait_for(timeout=60_000)  # tables are canvases: see the shot
        page.set_viewport_size({"width": 1400, "height": 4200})  # the page scrolls inside its own container
        page.get_by_text("Ranking", exact=True).scroll_into_view_if_needed()
        _shot(page, "decide")
        page.set_viewport_size({"width": 1400, "height": 1000})
        page.get_by_label("Decision-makers (comma-separated)").fill("Ana")
        main.get_by_role("button", name="Record decision").click()
        main.get_by_text(re.compile(r"Decision \w+ recorded")).wait_for(timeout=60_000)
        with page.expect_download(timeout=120_000) as download:
            main.get_by_role("button", name="HTML", exact=True).click()
        html = download.value.path().read_text(encoding="utf-8")
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "fast:fake-model (chosen, rank 1" in html and "slow:fake-model (runner-up, rank 2" in html
        saved = ARTIFACTS / "record-decision.html"
        saved.write_text(html, encoding="utf-8")
        page.goto(saved.as_uri())
        page.get_by_text("The chosen model and the runner-up").first.wait_for(timeout=10_000)
        _shot(page, "decision-html", full=True)

"""A benchmark in a real browser: on the default model, start, watch progress advance, cancel, keep results; on a
slow local server, reload mid-run and see the form, the sidebar, the bar and the Runs table follow the one run."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from core.benchmark.prompt_sets.builtin import RAG, builtin_prompt_sets
from core.benchmark.runner import create_run
from core.benchmark.settings import BenchmarkSettings
from core.models.sources import add_endpoint
from store import Store, queries
from store.records import Run, Table
from tests.conftest import ARTIFACTS, AppServer, running_app
from tests.fake_openai_server import FakeOpenAIServer, Scenario

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


# One JS call reads every place at once: the sidebar's bar, the page's bar and the Runs section's caption.
_READ_PLACES = """() => {
  const text = (sel) => Array.from(document.querySelectorAll(sel)).map(e => e.innerText);
  return {
    sidebar: text("[data-testid='stSidebar'] [data-testid='stProgress']").join(" | "),
    bar: text("[data-testid='stMain'] [data-testid='stProgress']").join(" | "),
    runs: text("[data-testid='stMain'] [data-testid='stCaptionContainer']")
      .filter(t => t.startsWith("Status")).join(" | "),
  };
}"""


def _one_reading(page, tries: int = 20) -> str:
    """The ``done/total`` every place shows at one moment (tried until a tick has reached all three; a tick's
    updates arrive as separate messages, so a reading may fall between them)."""
    seen = []
    for _ in range(tries):
        places = page.evaluate(_READ_PLACES)
        figures = {place: (m.group(0) if (m := PROGRESS.search(text)) else None) for place, text in places.items()}
        seen.append(figures)
        if None not in figures.values() and len(set(figures.values())) == 1:
            return figures["bar"]
        time.sleep(0.1)
    raise AssertionError(f"sidebar, bar and Runs table never agreed: {seen[-3:]}")


def _sidebar_samples(page) -> int:
    """The sidebar's count of stored samples ("… · 37 samples · …"), as the page shows it now."""
    line = page.locator("[data-testid='stSidebar']").get_by_text(re.compile(r"\d+ samples?\b")).first.inner_text()
    found = re.search(r"(\d+) samples?\b", line)
    assert found, line
    return int(found.group(1))


def _seed_store(db: Path, base_url: str) -> None:
    """The endpoint, and an earlier run over it: the form opens on that run's settings (one model, 24 rounds)."""
    store = Store(db)
    add_endpoint(store, "slow", base_url)
    prompts = [p.model_dump(exclude_none=True) for p in builtin_prompt_sets()[RAG]]
    run_id = create_run(store, BenchmarkSettings(models=["slow:slow-model"], prompts=prompts, prompt_set_name=RAG,
                                                 rounds=24, warmup=0, max_output_tokens=10))
    run = queries.get_run(store, run_id)
    assert run is not None
    queries.update(store, Run, run.stored_id,
                   {"status": "completed", "models": {"slow:slow-model": {"status": "failed"}}})


def test_reload_sidebar_bar_and_runs_move_together_then_cancel(page, tmp_path: Path) -> None:
    # 4 prompts x 25 rounds, each answer ~0.25 s: a run of about 25 s
    slow = Scenario(models=["slow-model"], n_tokens=10, ttft_s=0.05, token_interval_s=0.02)
    with FakeOpenAIServer(slow) as server, running_app(tmp_path / "pickwise.json", tmp_path) as app:
        _seed_store(app.db, server.base_url)
        page.goto(f"{app.url}/benchmark")
        page.get_by_role("button", name="Start benchmark").wait_for(timeout=60_000)
        rounds = page.get_by_label("Rounds", exact=True)
        assert rounds.input_value() == "24", "the form should open on the last run's settings"
        rounds.fill("25")
        rounds.press("Tab")
        page.get_by_role("button", name="Start benchmark").click()
        page.locator("[data-testid='stMain'] [data-testid='stProgress']").first.wait_for(timeout=30_000)

        page.reload()
        page.locator("[data-testid='stMain'] [data-testid='stProgress']").first.wait_for(timeout=30_000)
        assert page.get_by_label("Rounds", exact=True).input_value() == "25", "the form forgot the run's settings"
        assert page.get_by_label("Max output tokens").input_value() == "10"

        first, first_samples = _one_reading(page), _sidebar_samples(page)
        time.sleep(3)
        second, second_samples = _one_reading(page), _sidebar_samples(page)
        done = [int(x.split("/")[0]) for x in (first, second)]
        assert first.split("/")[1] == second.split("/")[1] == "100" and done[1] > done[0], (first, second)
        assert second_samples > first_samples, "the sidebar's sample count stood still during the run"
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "benchmark-live.png"), full_page=True)

        page.get_by_role("button", name="Cancel").click()
        page.get_by_text(re.compile(r"Status cancelled")).wait_for(timeout=30_000)
        [run] = [r for r in Store(app.db).find(Table.RUNS, kind="benchmark") if r["status"] != "completed"]
        samples = Store(app.db).find(Table.SAMPLES, run_id=run["run_id"])
        assert run["status"] == "cancelled" and run["settings"]["rounds"] == 25
        assert done[1] <= len(samples) < 100, "cancel keeps the finished samples and stops early"
        table = page.locator("[data-testid='stMain'] [data-testid='stDataFrame']").first
        assert table.is_visible()
        page.screenshot(path=str(ARTIFACTS / "benchmark-live-cancelled.png"), full_page=True)

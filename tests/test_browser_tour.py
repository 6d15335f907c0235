"""The README tour: every page in chromium over seeded stores with 2 and with 8 models, screenshotted into
docs/screenshots/tour/, and every Compare and Decide chart checked for text that collides.

No model runs: the runs are ``tests.test_compare.seed_run`` (the runner's own record shape), people's grades
are recorded with ``core.grading.record_grade``, and the endpoints the Models page lists point at
``tests.fake_openai_server``. The collision check reads the boxes chromium laid the charts' text out in
(titles, subplot titles, axis titles, legends, point and bar labels) and fails on any two that overlap,
at 1,400 px and at 1,000 px wide.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.grading import get_rubric, grading_items, install_presets, record_grade
from core.models.sources import add_endpoint
from core.paths import REPO_ROOT
from store import Store
from tests.conftest import running_app
from tests.fake_openai_server import FakeOpenAIServer, Scenario
from tests.test_compare import ModelSpec, seed_run

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SHOTS = REPO_ROOT / "docs" / "screenshots" / "tour"
WIDE, NARROW = 1400, 1000
COMPARE_TABS = ("Speed", "Distributions", "Memory and disk", "With and without GPU", "Against a baseline",
                "Responses")

# (source, model id, device, speed, family): in-process Foundry Local models measure memory and disk; endpoint
# models report neither (nor, for most, a device). Long ids on purpose: real ids are long.
TWO = [("foundry-local", "phi-3.5-mini-instruct-generic-cpu:1", "cpu", 1.0, "phi-3.5-mini"),
       ("ollama", "llama3.2:3b-instruct-q4_K_M", None, 0.6, "llama3.2-3b")]
EIGHT = TWO + [
    ("foundry-local", "qwen2.5-0.5b-instruct-generic-cpu:4", "cpu", 2.5, "qwen2.5-0.5b"),
    ("foundry-local", "qwen2.5-coder-7b-instruct-generic-cpu:3", "cpu", 0.35, "qwen2.5-coder-7b"),
    ("foundry-local", "deepseek-r1-distill-qwen-1.5b-generic-cpu:3", "cpu", 1.4, "deepseek-r1-1.5b"),
    ("ollama", "mistral:7b-instruct-v0.3-q4_K_M", None, 0.4, "mistral-7b"),
    ("vllm-gpu-box", "meta-llama/Llama-3.1-8B-Instruct", None, 3.0, "llama3.1-8b"),
    ("foundry-local", "Phi-4-mini-instruct-generic-cpu:1", "cpu", 0.8, "phi-4-mini"),
]


@dataclass(frozen=True)
class Tour:
    url: str
    models: int


def _spec(source: str, model: str, device: str | None, speed: float, family: str, **change) -> ModelSpec:
    local = source == "foundry-local"
    fields = {"device": device or "", "provider": "CPUExecutionProvider" if local else "", "speed": speed,
              "rss_load_mb": 900 * (1 + 1 / speed) if local else None, "disk_mb": 700 / speed if local else None,
              "family": family, "unique_answers": {"p1"}}
    return ModelSpec(f"{source}:{model}", **(fields | change))


def _seed(store: Store, models: list[tuple], servers: dict[str, FakeOpenAIServer]) -> None:
    """Two CPU runs of every model (the later a little slower: a baseline to compare against), one GPU run of
    the first local model's family, a person's grades on the newest CPU run, and the endpoints listed."""
    specs = [_spec(*m) for m in models]
    seed_run(store, specs, seed=1, prompts=5, created_at="2026-03-01T10:00:00+00:00", prompt_set="Support answers")
    gpu = _spec("foundry-local", "phi-3.5-mini-instruct-cuda-gpu:1", "GPU", 3.2, "phi-3.5-mini",
                provider="CUDAExecutionProvider")
    seed_run(store, [gpu], seed=2, prompts=5, created_at="2026-03-02T10:00:00+00:00", prompt_set="Support answers")
    latest = seed_run(store, specs, seed=3, prompts=5, slowdown=1.08, created_at="2026-03-03T10:00:00+00:00",
                      prompt_set="Support answers")
    install_presets(store)
    rubric = get_rubric(store, "helpfulness")
    for i, item in enumerate(grading_items(store, latest)):
        if i % 3:  # some left for the Grade page to show
            record_grade(store, latest, item.item_id, "pat", rubric, {"helpfulness": 2 + i % 4})
    for source, server in servers.items():
        add_endpoint(store, source, server.base_url)


@pytest.fixture(scope="module", params=[2, 8], ids=["2-models", "8-models"])
def tour(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tour]:
    models = TWO if request.param == 2 else EIGHT
    folder = tmp_path_factory.mktemp(f"tour{request.param}")
    endpoint_models: dict[str, list[str]] = {}
    for source, model, *_ in models:
        if source != "foundry-local":
            endpoint_models.setdefault(source, []).append(model)
    with ExitStack() as stack:
        servers = {source: stack.enter_context(FakeOpenAIServer(Scenario(models=ids)))
                   for source, ids in endpoint_models.items()}
        store = Store(folder / "pickwise.json")
        _seed(store, models, servers)
        app = stack.enter_context(running_app(store.path, folder))
        yield Tour(app.url, request.param)


# chromium's own layout of each plotly chart's text: every box that must stay clear of the others
_TEXT_BOXES = """
(plot) => {
  const kinds = {'.g-gtitle text': 'title', '.annotation-text-g text': 'subplot title',
                 '.g-xtitle text': 'x title', '.g-ytitle text': 'y title', '.legend .bg': 'legend',
                 '.textpoint text': 'point label', '.bartext': 'bar label', '.ytick text': 'y tick'};
  const boxes = [];
  for (const [selector, kind] of Object.entries(kinds)) {
    for (const el of plot.querySelectorAll(selector)) {
      const r = el.getBoundingClientRect();
      if (r.width > 0 && r.height > 0 && el.textContent !== null)
        boxes.push({kind, text: (el.textContent || kind).slice(0, 60),
                    x0: r.left, y0: r.top, x1: r.right, y1: r.bottom});
    }
  }
  const title = plot.querySelector('.g-gtitle text');
  const frame = plot.getBoundingClientRect();
  return {title: title ? title.textContent : '', boxes, left: frame.left, right: frame.right};
}
"""
_SLACK = 1.5  # px: glyph boxes of neighbouring lines touch


def _collisions(chart: dict) -> list[str]:
    """Every text box that runs off the chart's sides, and every two text boxes of one chart that overlap
    (ticks among themselves excepted: plotly spaces them)."""
    boxes = chart["boxes"]
    found = [f"{chart['title']!r}: {box['kind']} {box['text']!r} runs off the chart" for box in boxes
             if box["x0"] < chart["left"] - _SLACK or box["x1"] > chart["right"] + _SLACK]
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            if a["kind"] == b["kind"] == "y tick":
                continue
            if min(a["x1"], b["x1"]) - max(a["x0"], b["x0"]) > _SLACK and \
                    min(a["y1"], b["y1"]) - max(a["y0"], b["y0"]) > _SLACK:
                found.append(f"{chart['title']!r}: {a['kind']} {a['text']!r} overlaps {b['kind']} {b['text']!r}")
    return found


def _settle(page, ready: str) -> None:
    main = page.locator("[data-testid='stMain']")
    main.get_by_text(ready).first.wait_for(timeout=90_000)
    page.wait_for_timeout(1_500)  # the rest of the script run and plotly's layout
    for _ in range(120):  # Streamlit's "running" indicator
        if page.locator("[data-testid='stStatusWidget']").count() == 0:
            break
        page.wait_for_timeout(250)
    page.wait_for_timeout(700)
    assert page.locator("[data-testid='stException']").count() == 0, f"an exception on the page ({ready})"


def _shot(page, name: str, width: int) -> list[str]:
    """A screenshot of the whole page at ``width`` (the page scrolls inside Streamlit's container, so the
    viewport grows to its height), and the text collisions of every chart on it."""
    page.set_viewport_size({"width": width, "height": 1000})
    page.wait_for_timeout(800)
    height = page.evaluate("document.querySelector('[data-testid=\"stMain\"]').scrollHeight")
    page.set_viewport_size({"width": width, "height": min(max(height + 60, 900), 16_000)})
    page.wait_for_timeout(1_500)  # plotly re-lays out on resize
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))
    _compact(SHOTS / f"{name}.png")
    charts = [plot.evaluate(_TEXT_BOXES) for plot in page.locator(".js-plotly-plot").all()]
    return [f"{name}: {c}" for chart in charts for c in _collisions(chart)]


def _compact(png: Path) -> None:
    """256 colours: a page is mostly flat colour and text, and 36 full-colour screenshots weigh 14 MB in git."""
    from PIL import Image

    with Image.open(png) as image:
        small = image.convert("RGB").quantize(colors=256, dither=Image.Dither.NONE)
    small.save(png, optimize=True)


def _open(page, tour: Tour, path: str, ready: str) -> None:
    page.set_viewport_size({"width": WIDE, "height": 1000})
    page.goto(f"{tour.url}/{path}")
    _settle(page, ready)


def test_tour_pages(tour: Tour, page) -> None:
    """Models, Benchmark, Grade (its judge tab, then blind manual grading where pat left off) and Decide at
    1,400 px; the Decide charts also at 1,000 px."""
    n = tour.models
    collisions: list[str] = []
    _open(page, tour, "models", "Models")
    page.wait_for_timeout(3_000)  # the endpoints are listed in the background
    _shot(page, f"models-{n}-models", WIDE)
    _open(page, tour, "benchmark", "Runs")
    _shot(page, f"benchmark-{n}-models", WIDE)
    _open(page, tour, "grade", "Benchmark run")
    _shot(page, f"grade-{n}-models", WIDE)
    page.get_by_role("tab", name="Manual").click()
    grader = page.get_by_role("textbox", name="Your name or initials")
    grader.fill("pat")
    grader.press("Enter")
    _settle(page, "graded")
    _shot(page, f"grade-manual-{n}-models", WIDE)
    _open(page, tour, "decide", "Quality against latency")
    for width in (WIDE, NARROW):
        collisions += _shot(page, f"decide-{n}-models-{width}px", width)
    assert not collisions, "\n".join(collisions)


def test_tour_compare(tour: Tour, page) -> None:
    """Each Compare tab at 1,400 and 1,000 px, in one visit (a page load per tab cost a minute of the suite);
    no chart's text collides at either width."""
    _open(page, tour, "compare", "In words")
    collisions: list[str] = []
    for tab in COMPARE_TABS:
        if tab != "Speed":
            page.set_viewport_size({"width": WIDE, "height": 1000})
            page.get_by_role("tab", name=tab).click()
            page.wait_for_timeout(500)
            _settle(page, "In words")
        slug = tab.lower().replace(" ", "-")
        collisions += [c for width in (WIDE, NARROW)
                       for c in _shot(page, f"compare-{slug}-{tour.models}-models-{width}px", width)]
    assert not collisions, "\n".join(collisions)

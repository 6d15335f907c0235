"""The Compare page through AppTest: no runs, one run, runs on two devices, a baseline, the answers."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.paths import REPO_ROOT
from store import Store
from tests.test_compare import HTML_ANSWER, LARGE, SMALL, ModelSpec, seed_run

PAGE = str(REPO_ROOT / "app_pages" / "compare.py")
GPU = {"device": "GPU", "provider": "CUDAExecutionProvider"}


@pytest.fixture
def app(store_file: Path, monkeypatch: pytest.MonkeyPatch) -> AppTest:
    monkeypatch.setenv("PICKWISE_DB", str(store_file))
    return AppTest.from_file(PAGE, default_timeout=60)


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _open(at: AppTest, tab: str) -> AppTest:
    """Tabs run lazily (only the open one), so a test opens the tab it reads, as a user would."""
    at.session_state["cmp-tab"] = tab
    return at.run()


def _chart_titles(at: AppTest) -> list[str]:
    import json

    return [json.loads(c.proto.spec)["layout"]["title"]["text"] for c in at.get("plotly_chart")]


def test_no_runs_says_run_a_benchmark_first(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert "Run a benchmark first" in _texts(app.info)
    assert not app.get("plotly_chart")


def test_one_run_shows_every_chart_and_explains_the_device_gap(app: AppTest, store: Store) -> None:
    seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, speed=0.5, rss_load_mb=None, disk_mb=None)])
    app.run()
    assert not app.exception
    assert app.multiselect(key="cmp-models").value == [SMALL, LARGE]
    titles = _chart_titles(app)
    assert len(titles) == 4  # only the open tab (Speed) ran
    for expected in ("Time to first token", "End-to-end latency", "Tokens/s", "Latency against tokens/s"):
        assert any(expected in t for t in titles), (expected, titles)
    assert "every measured request" in _chart_titles(_open(app, "Distributions"))[0]
    assert _chart_titles(_open(app, "Memory and disk")) == ["Memory and disk footprint"]
    assert f"All selected runs ran on {socket.gethostname()}, CPU; run the same model on a GPU to compare" in _texts(
        _open(app, "With and without GPU").info)
    assert "Select at least two runs" in _texts(_open(app, "Against a baseline").info)
    assert not app.exception


def test_two_devices_show_the_speedup(app: AppTest, store: Store) -> None:
    seed_run(store, [ModelSpec(SMALL)], seed=1, created_at="2026-03-01T10:00:00+00:00")
    seed_run(store, [ModelSpec(SMALL, **GPU, speed=4.0)], seed=2, created_at="2026-03-02T10:00:00+00:00")
    _open(app, "With and without GPU")
    assert not app.exception
    assert any("speed-up" in t for t in _chart_titles(app))
    speedups = app.dataframe[0].value.set_index("metric")
    assert speedups.loc["e2e_s", "speedup"] == pytest.approx(4.0, rel=0.1)
    assert "ran on CPU" not in _texts(app.info)


def test_filters_narrow_the_runs(app: AppTest, store: Store) -> None:
    seed_run(store, [ModelSpec(SMALL)], seed=1, prompt_set="A")
    seed_run(store, [ModelSpec(SMALL, **GPU)], seed=2, prompt_set="B")
    app.run()
    assert len(app.multiselect(key="cmp-runs").value) == 2
    app.multiselect(key="cmp-devices").select("GPU").run()
    assert not app.exception
    assert len(app.multiselect(key="cmp-runs").value) == 1
    app.multiselect(key="cmp-sets").select("A").run()
    assert "No run matches these filters" in _texts(app.info)


def test_baseline_regression_is_called_out(app: AppTest, store: Store) -> None:
    seed_run(store, [ModelSpec(SMALL)], seed=1, rounds=8, created_at="2026-03-01T10:00:00+00:00")
    seed_run(store, [ModelSpec(SMALL)], seed=3, rounds=8, slowdown=1.4, created_at="2026-03-02T10:00:00+00:00")
    _open(app, "Against a baseline")
    assert not app.exception
    warning = _texts(app.warning)
    assert "Worse beyond noise" in warning and "slower end to end than in baseline run" in warning
    assert "over 4 shared prompts" in warning and "worse beyond noise" in warning


def test_the_comparison_is_said_in_words_first(app: AppTest, store: Store) -> None:
    seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, speed=0.5), ModelSpec("ollama:twin", speed=0.5)])
    app.run()
    assert not app.exception
    words = _texts(app.markdown)
    assert "In words" in _texts(app.subheader)
    assert "foundry-local:small:1 is 2.0x faster end to end than ollama:large (95% CI " in words
    assert "Statistical tie between ollama:large and ollama:twin on end-to-end latency" in words
    table = app.dataframe[0].value
    assert {"n", "tps_ci95_low", "tps_ci95_high"} <= set(table.columns)


def test_a_device_speedup_over_different_prompt_sets_is_paired_or_refused(app: AppTest, store: Store) -> None:
    seed_run(store, [ModelSpec(SMALL)], seed=1, prompts=4, created_at="2026-03-01T10:00:00+00:00")
    seed_run(store, [ModelSpec(SMALL, **GPU)], seed=2, prompts=8, created_at="2026-03-02T10:00:00+00:00")
    _open(app, "With and without GPU")
    assert not app.exception
    here = socket.gethostname()
    assert f"Statistical tie for small:1 between {here}, CUDA and {here}, CPU" in _texts(app.markdown)
    assert set(app.dataframe[0].value["shared_prompts"]) == {4}


def test_answers_are_plain_text_with_a_differences_filter(app: AppTest, store: Store) -> None:
    seed_run(store, [ModelSpec(SMALL), ModelSpec(LARGE, unique_answers={"p1"})])
    _open(app, "Responses")
    answers = [c.value for c in app.code]
    assert answers.count("The answer to p0 is forty-two.") == 2
    assert any(HTML_ANSWER in a for a in answers)  # verbatim in st.code: never rendered as HTML/markdown
    app.toggle(key="cmp-diff-only").set_value(True).run()
    assert not app.exception
    answers = [c.value for c in app.code]
    assert len(answers) == 2 and "The answer to p1 is forty-two." in answers


def test_a_run_whose_model_failed_says_so(app: AppTest, store: Store) -> None:
    seed_run(store, [ModelSpec(SMALL, failing=True)])
    app.run()
    assert not app.exception
    assert "No measured request" in _texts(app.warning)
    assert "None of the selected models has a measured request" in _texts(app.info)


EVIL_REF = 'acc:[x](https://evil.example/)<a href="https://evil.example/">y</a><b>B</b>'


def test_hostile_model_ids_stay_text_in_warnings_and_charts(app: AppTest, store: Store) -> None:
    seed_run(store, [ModelSpec(SMALL), ModelSpec(EVIL_REF), ModelSpec(EVIL_REF + ":failed", failing=True)])
    app.run()
    assert not app.exception
    warning = _texts(app.warning)
    assert "No measured request" in warning and "[x](" not in warning and r"\[x\]" in warning
    assert "[x](" not in _texts(app.markdown) and r"\[x\]" in _texts(app.markdown)  # the sentences, literal
    specs = " ".join(_spec_text(c) for c in app.get("plotly_chart"))
    assert len(app.get("plotly_chart")) == 4
    assert "<a href" not in specs and "<b>B" not in specs and "&lt;a href=" in specs
    _open(app, "Distributions")
    assert "<a href" not in " ".join(_spec_text(c) for c in app.get("plotly_chart"))


def _spec_text(chart) -> str:
    """A chart's figure JSON as the browser reads it (the proto escapes ``<`` as ``\\u003c``)."""
    import json

    return json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)


def test_a_family_tag_saved_on_the_gpu_tab_pairs_two_endpoints(app: AppTest, store: Store) -> None:
    """The same model served by two endpoints under two ids (a laptop's and a GPU box's) pairs once both carry
    one tag."""
    laptop, box = "laptop-ollama:llama3.2:3b", "box-ollama:llama-3.2-3b-instruct-q4"
    seed_run(store, [ModelSpec(laptop)], seed=1, created_at="2026-03-01T10:00:00+00:00")
    seed_run(store, [ModelSpec(box, **GPU, speed=4.0)], seed=2, created_at="2026-03-02T10:00:00+00:00")
    _open(app, "With and without GPU")
    assert not app.exception
    assert "family tag" in _texts(app.info)
    for ref in (laptop, box):
        app.selectbox(key="cmp-families-model").select(ref).run()
        app.text_input(key=f"cmp-families-tag-{ref}").input("llama3.2-3b").run()
        next(b for b in app.button if b.label == "Save tag").click().run()
        assert not app.exception
        assert f"{ref} is now in family llama3.2-3b" in _texts(app.success).replace("\\", "")
    speedups = app.dataframe[0].value.set_index("metric")
    assert speedups.loc["e2e_s", "speedup"] == pytest.approx(4.0, rel=0.1)
    assert "llama3.2-3b on" in _texts(app.markdown)

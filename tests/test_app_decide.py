"""The Decide page through AppTest on runs made by the real runner against local test servers."""

from __future__ import annotations

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

from cli import main
from core.benchmark.runner import create_run, execute_run
from core.benchmark.settings import BenchmarkSettings
from core.decide import report
from core.decide.decision import list_decisions
from core.models.sources import add_endpoint
from core.models.specs import model_spec, model_specs, save_model_specs
from store import Store
from tests.conftest import open_app
from tests.fake_openai_server import FakeOpenAIServer, Scenario, down_base_url
from tests.test_benchmark import _Control

HOSTILE = "Pick <script>alert(1)</script> and [click](http://evil.example)"


def _seed_run(store_file: Path) -> str:
    store = Store(store_file)
    with FakeOpenAIServer(Scenario(n_tokens=8, token_interval_s=0.001)) as fast, \
            FakeOpenAIServer(Scenario(n_tokens=8, token_interval_s=0.05)) as slow:  # far apart, even when busy
        add_endpoint(store, "fast", fast.base_url)
        add_endpoint(store, "slow", slow.base_url)
        add_endpoint(store, "gone", down_base_url())
        settings = BenchmarkSettings(models=["fast:fake-model", "slow:fake-model", "gone:fake-model"],
                                     prompts=[{"id": "a", "prompt": "Hi"}], rounds=3, warmup=1, timeout_s=5)
        run_id = create_run(store, settings)
        execute_run(store, run_id, _Control())
    return run_id


def test_empty_state_points_to_benchmark(app_store: Path) -> None:
    at = open_app("app_pages/decide.py").run()
    assert not at.exception
    assert any("No finished benchmark runs" in i.value for i in at.info)


def test_rank_record_and_export_a_decision(app_store: Path) -> None:
    _seed_run(app_store)
    at: AppTest = open_app("app_pages/decide.py").run()
    assert not at.exception, at.exception
    ranked = next(d.value for d in at.dataframe if "score" in d.value.columns)
    assert list(ranked["model"])[0] == "fast:fake-model", "the faster endpoint should rank first"
    assert any("gone:fake-model" in w.value and "excluded" in w.value for w in at.warning)

    at.text_input(key="d-makers").input("Ana, Ben")
    at.text_area(key="d-context").input(HOSTILE)
    next(b for b in at.button if b.label == "Record decision").click()
    at.run()
    assert not at.exception
    assert not at.error, [e.value for e in at.error]
    [decision] = list_decisions(Store(app_store))
    assert decision.chosen == "fast:fake-model" and decision.decision_makers == ["Ana", "Ben"]

    markdown, html = report.to_markdown(decision.as_dict()), report.to_html(decision.as_dict())
    assert "<script>" not in markdown and "[click](" not in markdown and r"\[click\]" in markdown
    assert "<script>alert" not in html and "&lt;script&gt;" in html
    assert json.loads(report.to_json(decision.as_dict()))["chosen"] == "fast:fake-model"


def test_overriding_the_winner_needs_a_reason(app_store: Path) -> None:
    _seed_run(app_store)
    at = open_app("app_pages/decide.py").run()
    at.selectbox(key="d-chosen").select("slow:fake-model")
    next(b for b in at.button if b.label == "Record decision").click()
    at.run()
    assert any("needs a stated reason" in e.value for e in at.error)
    assert list_decisions(Store(app_store)) == []


def _people_graded(app_store: Path) -> tuple[AppTest, str]:
    """The Decide page over a run a person graded (fast 4, slow 2 under helpfulness)."""
    from core.grading import get_rubric, grading_items, install_presets, record_grade

    run_id = _seed_run(app_store)
    store = Store(app_store)
    install_presets(store)
    rubric = get_rubric(store, "helpfulness")
    for item in grading_items(store, run_id):
        record_grade(store, run_id, item.item_id, "pat", rubric, {"helpfulness": 4 if "fast" in item.model_ref else 2})
    return open_app("app_pages/decide.py").run(), run_id


def test_quality_defaults_to_the_grades_the_run_has(app_store: Path) -> None:
    at, _ = _people_graded(app_store)
    assert not at.exception
    assert at.selectbox(key="q-source").value == "people"  # shown as "people (manual grades)"
    ranked = next(d.value for d in at.dataframe if "score" in d.value.columns).set_index("model")
    assert ranked.loc["fast:fake-model", "quality value"] == 4.0
    assert ranked.loc["slow:fake-model", "quality value"] == 2.0


def test_page_and_cli_make_the_same_quality_choice_with_the_same_words(app_store: Path, tmp_path: Path) -> None:
    at, run_id = _people_graded(app_store)
    at.text_input(key="d-makers").input("Ana")
    next(b for b in at.button if b.label == "Record decision").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [from_page] = list_decisions(Store(app_store))
    out = tmp_path / "decision.json"
    assert main(["--db", str(app_store), "decide", "--runs", run_id, "--quality", at.selectbox(key="q-source").value,
                 "--rubric", "helpfulness", "--format", "json", "--out", str(out)]) == 0
    from_cli = json.loads(out.read_text())
    assert from_page.evidence["quality_source"] == from_cli["evidence"]["quality_source"] == {
        "run_id": run_id, "rubric": "helpfulness v1", "judge": "people"}
    assert from_page.candidates == from_cli["candidates"]


def test_hostile_model_ids_stay_text_in_the_ranking_and_charts(app_store: Path) -> None:
    """A model id is whatever an endpoint lists: markup in it is shown, never rendered, in the page's
    markdown and in every plotly chart (labels, legends, hover)."""
    evil = '[x](https://evil.example/)<a href="https://evil.example/">y</a><b>B</b>'
    store = Store(app_store)
    with FakeOpenAIServer(Scenario(models=[evil], n_tokens=4)) as server:
        add_endpoint(store, "acc", server.base_url)
        add_endpoint(store, "gone", down_base_url())
        settings = BenchmarkSettings(models=[f"acc:{evil}", f"gone:{evil}"], prompts=[{"id": "a", "prompt": "Hi"}],
                                     rounds=2, warmup=0, timeout_s=5)
        run_id = create_run(store, settings)
        execute_run(store, run_id, _Control())
    at = open_app("app_pages/decide.py").run()
    assert not at.exception, at.exception
    markdown = "\n".join(e.value for e in [*at.warning, *at.markdown, *at.caption]).replace("\u2060", "")
    assert "[x](" not in markdown and "<b>" not in markdown and r"\[x\](https:" in markdown
    specs = [_spec_text(c) for c in at.get("plotly_chart")]
    assert len(specs) >= 3 and not any("<a href" in spec or "<b>B" in spec for spec in specs)
    assert sum("&lt;a href=" in spec for spec in specs) >= 2  # the ranking and the chance of winning


def _spec_text(chart) -> str:
    """A chart's figure JSON as the browser reads it (the proto escapes ``<`` as ``\\u003c``)."""
    return json.dumps(json.loads(chart.proto.spec), ensure_ascii=False)


def test_an_unqualified_judge_is_shown_held_back_and_used_only_with_a_quoted_reason(app_store: Path) -> None:
    from core.grading import install_presets
    from tests.test_quality_source import JUDGE_REF, _judge_all

    run_id = _seed_run(app_store)
    store = Store(app_store)
    install_presets(store)
    _judge_all(store, run_id, {"fast:fake-model": 1, "slow:fake-model": 5})
    at = open_app("app_pages/decide.py").run()
    assert not at.exception, at.exception
    assert at.selectbox(key="q-source").value == f"judge:{JUDGE_REF}"
    assert any("has not been checked against control answers" in w.value for w in at.warning)
    ranked = next(d.value for d in at.dataframe if "score" in d.value.columns).set_index("model")
    assert ranked["quality value"].isna().all(), "an unchecked judge's scores must not be used by default"
    assert any("quality left out for every model" in w.value for w in at.warning), [w.value for w in at.warning]

    at.checkbox(key="q-override").check().run()
    assert any("Give a reason" in e.value for e in at.error)  # ticked without a reason: still held back
    ranked = next(d.value for d in at.dataframe if "score" in d.value.columns).set_index("model")
    assert ranked["quality value"].isna().all()

    reason = "We read **all** 6 verdicts by hand"
    at.text_input(key="q-override-reason").input(reason).run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    ranked = next(d.value for d in at.dataframe if "score" in d.value.columns).set_index("model")
    assert (ranked.loc["fast:fake-model", "quality value"], ranked.loc["slow:fake-model", "quality value"]) == (1, 5)
    at.text_input(key="d-makers").input("Ana")
    next(b for b in at.button if b.label == "Record decision").click()
    at.run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    [decision] = list_decisions(Store(app_store))
    assert decision.evidence["quality_source"]["override_unqualified"] == reason
    assert r"because:** We read \*\*all\*\* 6 verdicts by hand" in report.to_markdown(decision.as_dict())


def test_the_rule_for_missing_figures_and_the_noise_verdict_sit_with_the_ranking(app_store: Path) -> None:
    """Only one endpoint's disk size is known: by default disk footprint is dropped for everyone (said),
    the lead is stated in words with its interval, and "leave the model out" lists the other with why."""
    _seed_run(app_store)
    store = Store(app_store)
    save_model_specs(store, [model_spec("fast:fake-model", model_specs(store), size_mb=700.0)])
    at: AppTest = open_app("app_pages/decide.py").run()
    assert not at.exception, at.exception
    assert at.radio(key="missing-rule").value == "drop"
    assert any("footprint left out for every model" in w.value and "by your rule" in w.value for w in at.warning)
    verdicts = [m.value for m in [*at.success, *at.warning] if "under measurement noise" in m.value]
    assert len(verdicts) == 1 and verdicts[0].startswith("fast:fake-model ranks first: it leads slow:fake-model by")
    assert "(95% or more of the draws give exactly 100.0)" in verdicts[0]
    ranked = next(d.value for d in at.dataframe if "score" in d.value.columns)
    assert ranked.loc[0, "latency n, 95% CI"] == "n=3, no interval"  # below 5 samples: none, never a false one
    # the top two compared in words; one shared prompt is too few to pair, and the page says so
    assert any("fast:fake-model and slow:fake-model cannot be compared on end-to-end latency" in c.value
               and "share only 1 measured prompt" in c.value for c in at.caption)
    assert ranked.loc[0, "memory n, 95% CI"] == ("missing: not measurable for a remote endpoint (enter it on Decide "
                                                 "if you know it)")  # an empty cell says why

    at.radio(key="missing-rule").set_value("exclude").run()
    assert not at.exception, at.exception
    assert any("slow:fake-model" in w.value and "no disk footprint figure" in w.value for w in at.warning)
    ranked = next(d.value for d in at.dataframe if "score" in d.value.columns)
    assert list(ranked["model"]) == ["fast:fake-model"]

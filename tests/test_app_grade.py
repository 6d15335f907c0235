"""The Grade page through AppTest, over a real store file: empty state, judging with a scripted judge
server, blind manual grading that resumes, CSV import with a bad row, and saving a rubric version."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from components.grading_frames import criteria_frame, rubric_from_editor
from core.grading import (
    export_annotation_csv,
    get_rubric,
    grading_items,
    install_presets,
    record_grade,
)
from core.grading.presets import HELPFULNESS, SUMMARY_FAITHFULNESS
from core.models.sources import add_endpoint
from store import Store
from store.records import Table
from tests.conftest import open_app
from tests.fake_openai_server import FakeOpenAIServer
from tests.test_grading_items import make_run
from tests.test_grading_judge import ScriptedJudge

JUDGE = "judge:judge-model"
ANSWERS = [("a:m", "capital", "The capital of France is Paris."), ("b:m", "capital", "Lyon, I think."),
           ("a:m", "haiku", "Soft rain on the roof"), ("fake:judge-model", "haiku", "Rain on the tin roof")]


@pytest.fixture
def app(app_store: Path) -> AppTest:
    return open_app("app_pages/grade.py")


def _texts(elements) -> str:
    return "\n".join(str(e.value) for e in elements)


def _open(at: AppTest, tab: str) -> AppTest:
    """Tabs run lazily (only the open one), so a test opens the tab it reads, as a user would."""
    at.session_state["grade-tab"] = tab
    return at.run()


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _table(at: AppTest, column: str) -> pd.DataFrame:
    """The first table on the page with ``column`` (the rubric's anchor table comes first on every tab)."""
    return next(d.value for d in at.dataframe if column in d.value.columns)


def _progress(at: AppTest) -> str:
    return " ".join(p.proto.text for p in at.get("progress"))


def _verdict(prompt: str) -> str:
    """The scripted judge: 2 for the wrong city, no score at all for the tin-roof poem, else 4 in JSON."""
    if "Lyon" in prompt:
        return "The answer names the wrong city. Helpfulness: 2/5"
    if "tin roof" in prompt:
        return "What a lovely poem."
    return '{"rationale": "Direct and correct.", "scores": {"helpfulness": 4}}'


def _wait_for_judging(store_file: Path, timeout_s: float = 30) -> dict:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        jobs = Store(store_file).find(Table.JOBS, kind="judge")
        if jobs and jobs[-1]["state"] != "running":  # the newest
            return jobs[-1]
        time.sleep(0.05)
    raise AssertionError("the judge job did not finish in time")


def test_empty_state_sends_the_user_to_the_benchmark(app: AppTest) -> None:
    app.run()
    assert not app.exception
    assert "Run a benchmark first" in _texts(app.info)
    assert [link.proto.page for link in app.get("page_link")] == ["benchmark"]
    assert not app.tabs


def test_judging_through_the_page_fills_the_results(app: AppTest, store_file: Path) -> None:
    store = Store(store_file)
    run_id = make_run(store, ANSWERS)
    scenario = ScriptedJudge(models=["judge-model"], reply=_verdict, token_interval_s=0.05)  # slow enough to watch
    with FakeOpenAIServer(scenario) as server:
        scenario.server = server
        add_endpoint(store, "judge", server.base_url)
        app.run()
        assert not app.exception
        assert app.selectbox(key="grade-rubric").value == "helpfulness"
        assert "Grading with **helpfulness v1**" in _texts(app.caption)
        app.selectbox(key="grade-judge").select(JUDGE).run()
        assert "looks like the same model as the candidate fake:judge-model" in _texts(app.warning)
        _button(app, "Start judging with helpfulness v1").click().run()
        assert not app.exception

        reloaded = open_app()  # a reload reattaches
        reloaded.switch_page("app_pages/grade.py")
        reloaded.run()
        assert "with judge:judge-model (helpfulness v1)" in _texts(reloaded.caption)
        assert reloaded.get("progress") and reloaded.button(key="judge-cancel")
        assert reloaded.button(key="grade-judge-start").disabled  # one judge at a time
        job = _wait_for_judging(store_file)
        app.run()
        # one prompt has a reference: too few controls to qualify any judge, and the page says so
        assert "Too few control prompts to qualify any judge (control accuracy" in _texts(app.warning)

    assert job["state"] == "incomplete", job  # the poem is unscored: never a success
    assert job["message"].startswith(f"Judged 4 of 4 answers with {JUDGE}: 3 scored, 1 unscored.")
    assert len(store.find(Table.JUDGMENTS, run_id=run_id)) == 6  # and two control answers
    app.run()
    assert not app.exception
    assert "Judged 4 of 4 answers" in _texts(app.warning) and "Judged" not in _texts(app.success)
    rates = _table(app, "judge").set_index("judge").loc[JUDGE]
    assert (rates["judgments"], rates["unscored"], rates["parse failure rate"]) == (6, 1, "17%")  # controls too
    assert any("What a lovely poem." in c.value for c in app.code)  # the unreadable reply, verbatim

    _open(app, "Results")
    assert not app.exception
    quality = _table(app, "overall").set_index("model")
    assert quality.loc["a:m", "overall"] == 4.0 and quality.loc["a:m", "scored"] == 2
    assert quality.loc["a:m", "overall 95% CI"] == "too few answers for an interval (n=2, need 3)"
    assert quality.loc["b:m", "overall"] == 2.0 and "Helpfulness" not in quality  # one criterion: overall is it
    assert (quality.loc["fake:judge-model", "scored"], quality.loc["fake:judge-model", "unscored"]) == (0, 1)
    assert "Needs both" in _texts(app.caption)  # no human grades yet, so no agreement
    assert app.get("plotly_chart")

    rubric = get_rubric(store, "helpfulness")
    for item in grading_items(store, run_id)[:2]:
        record_grade(store, run_id, item.item_id, "ann", rubric, {"helpfulness": 4})
    app.run()
    assert not app.exception
    assert "People (every grader)" in _texts(app.markdown)
    assert "Insufficient overlap: only 2 answers were graded by both" in _texts(app.info)
    assert _table(app, "weighted kappa")["criterion"].tolist() == ["all criteria (pooled)", "Helpfulness"]


QUALIFYING_PROMPTS = [{"id": f"p{i}", "prompt": f"What does meter {i} read?", "reference": f"Meter {i} reads {40 + i}."}
                      for i in range(5)]


def _checks_the_reading(prompt: str) -> str:
    """A judge that knows its job: 5 when the response states the reference's reading, else 1."""
    blocks = dict(re.findall(r"<<<(REFERENCE|RESPONSE)-\w+>>>\n(.*?)\n<<<END-", prompt, re.DOTALL))
    reading = blocks.get("REFERENCE", "").split()[-1].rstrip(".")
    if "tin roof" in blocks.get("RESPONSE", ""):
        return "What a lovely poem."
    score = 5 if reading in blocks.get("RESPONSE", "").replace(".", " ").split() else 1
    return f'{{"scores": {{"helpfulness": {score}}}, "rationale": "Checked the reading."}}'


def test_the_judge_flow_preselects_shows_qualification_and_judges_the_unscored_again(
        app: AppTest, store_file: Path) -> None:
    store = Store(store_file)
    answers = [("a:m", p["id"], f"It reads {40 + i}.") for i, p in enumerate(QUALIFYING_PROMPTS)]
    run_id = make_run(store, [*answers, ("b:m", "p0", "Rain on the tin roof")], prompts=QUALIFYING_PROMPTS)
    scenario = ScriptedJudge(models=["qwen2.5-7b-instruct"], reply=_checks_the_reading)
    with FakeOpenAIServer(scenario) as server:
        scenario.server = server
        add_endpoint(store, "big", server.base_url)
        _open(app.run(), "Judge")
        assert not app.exception
        assert app.selectbox(key="grade-judge").value == "big:qwen2.5-7b-instruct"  # the most capable non-candidate
        assert "Preselected big:qwen2.5-7b-instruct: the largest model here that is not a candidate" in _texts(
            app.caption)
        _button(app, "Start judging with helpfulness v1").click().run()
        job = _wait_for_judging(store_file)
        assert job["state"] == "incomplete", job
        app.run()
        assert not app.exception
        assert "Missing verdicts: 1." in _texts(app.warning)
        assert ("This judge can tell a right answer from a wrong one for this rubric (control accuracy 100%, "
                "95% CI 57%–100%, chance 50%, 5 prompts): its scores can be used.") in _texts(app.success)

        scenario.reply = lambda prompt: '{"scores": {"helpfulness": 2}, "rationale": "A poem."}'
        assert app.button(key="grade-judge-retry").label == "Judge the 1 unscored answers again"
        app.button(key="grade-judge-retry").click().run()
        retried = _wait_for_judging(store_file)
    assert retried["state"] == "completed", retried
    assert "1 unscored judgments replaced" in retried["message"]
    app.run()
    assert not app.exception
    assert "Judged 1 of 6 answers" in _texts(app.success)
    assert not [b for b in app.button if b.key == "grade-judge-retry"]  # nothing left to judge again
    statuses = {d["item_id"]: d["status"] for d in store.find(Table.JUDGMENTS, run_id=run_id)}
    assert len(statuses) == 6 + 15 and set(statuses.values()) == {"scored"}


def test_manual_grading_is_blind_refuses_gaps_and_resumes(app: AppTest, store_file: Path) -> None:
    make_run(Store(store_file), ANSWERS)
    _open(app.run(), "Manual")
    assert "Enter your name or initials" in _texts(app.info)
    app.text_input(key="grade-grader").input("ann").run()
    assert _progress(app) == "0 of 4 graded"
    page_text = _texts(app.code) + _texts(app.caption) + _texts(app.markdown)
    assert not any(ref in page_text for ref, _, _ in ANSWERS), "a model name leaked into blind grading"

    _button(app, "Save and next").click().run()  # nothing chosen
    assert "Not saved: helpfulness: no score given" in _texts(app.error)
    assert _progress(app) == "0 of 4 graded"

    for score in (4, 2):
        app.radio[0].set_value(score)
        app.text_area[0].input("fine")
        _button(app, "Save and next").click().run()
        assert not app.exception and not app.error
    assert _progress(app) == "2 of 4 graded"
    grades = Store(store_file).find(Table.GRADES)
    assert sorted(g["scores"]["helpfulness"] for g in grades) == [2, 4]
    assert {g["grader"] for g in grades} == {"ann"} and {g["comment"] for g in grades} == {"fine"}

    again = open_app()  # a new browser session
    again.switch_page("app_pages/grade.py")
    _open(again.run(), "Manual")
    again.text_input(key="grade-grader").input("ann").run()
    assert _progress(again) == "2 of 4 graded"
    again.text_input(key="grade-grader").input("bob").run()
    assert _progress(again) == "0 of 4 graded"  # progress is per grader


def test_a_refused_save_keeps_the_scores_already_chosen(app: AppTest, store_file: Path) -> None:
    make_run(Store(store_file), ANSWERS)
    app.run()
    app.selectbox(key="grade-rubric").select("summary-faithfulness")
    _open(app, "Manual")
    app.text_input(key="grade-grader").input("ann").run()
    assert [r.label for r in app.radio] == [
        "**Faithfulness**: Is every statement in the summary supported by the source text given in the prompt?",
        "**Coverage**: Does the summary include the key points of the source?"]
    app.radio[0].set_value(3)
    _button(app, "Save and next").click().run()
    assert "Not saved: coverage: no score given" in _texts(app.error)
    assert app.radio[0].value == 3 and _progress(app) == "0 of 4 graded"
    app.radio[1].set_value(5)
    _button(app, "Save and next").click().run()
    assert _progress(app) == "1 of 4 graded"
    assert Store(store_file).find(Table.GRADES)[0]["scores"] == {"faithfulness": 3, "coverage": 5}


def test_csv_import_keeps_good_rows_and_reports_bad_ones(app: AppTest, store_file: Path) -> None:
    store = Store(store_file)
    run_id = make_run(store, ANSWERS)
    rubric = install_presets(store)[0]
    rows = list(csv.DictReader(io.StringIO(export_annotation_csv(store, run_id, rubric))))
    rows[0]["helpfulness"], rows[1]["helpfulness"], rows[2]["helpfulness"] = "5", "7", "often"
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)

    _open(app.run(), "Manual")
    assert app.button(key="grade-import").disabled  # no name, no file yet
    app.text_input(key="grade-grader").input("ann").run()
    app.file_uploader(key="grade-import-file").set_value(("sheet.csv", out.getvalue().encode(), "text/csv"))
    app.run()
    app.button(key="grade-import").click().run()
    assert not app.exception
    assert "Imported 1 grades (1 new, 0 replaced); 1 empty rows left ungraded." in _texts(app.success)
    assert "2 rows were not imported (rows 3, 4)" in _texts(app.error)
    problems = _table(app, "problem")
    assert problems.to_dict("records") == [
        {"row": 3, "column": "helpfulness", "problem": "7 is not a whole number from 1 to 5"},
        {"row": 4, "column": "helpfulness", "problem": "'often' is not a number; use a whole number from 1 to 5"},
    ]
    assert _progress(app) == "1 of 4 graded"

    app.file_uploader(key="grade-import-file").set_value(("sheet.csv", "item_id,helpfulness\n\xe9".encode("latin-1"),
                                                          "text/csv"))
    app.run()
    app.button(key="grade-import").click().run()
    assert "Nothing imported: The file is not UTF-8 text" in _texts(app.error)
    assert _progress(app) == "1 of 4 graded"


def test_editing_a_rubric_saves_a_new_version_and_keeps_bad_edits(app: AppTest, store_file: Path) -> None:
    make_run(Store(store_file), ANSWERS)
    app.run()
    prefix = "grade-edit-helpfulness-1"
    app.text_input(key=f"{prefix}-name").input(" ")
    _button(app, "Save as a new version").click().run()
    assert "Not saved: A rubric needs a name." in _texts(app.error)
    assert app.text_input(key=f"{prefix}-name").value == " "  # the edit is still there to fix

    app.text_input(key=f"{prefix}-name").input("helpfulness")
    app.text_input(key=f"{prefix}-description").input("Does it help a support agent?")
    _button(app, "Save as a new version").click().run()
    assert not app.exception
    assert "Saved helpfulness v2" in _texts(app.success)
    assert app.selectbox(key="grade-rubric-version-helpfulness").value == 2
    assert "Grading with **helpfulness v2**" in _texts(app.caption)
    store = Store(store_file)
    assert get_rubric(store, "helpfulness", 1).description == HELPFULNESS.description  # never modified
    assert get_rubric(store, "helpfulness").description == "Does it help a support agent?"


def test_the_editor_table_round_trips_and_names_the_bad_row() -> None:
    rows = criteria_frame(SUMMARY_FAITHFULNESS)
    rubric = rubric_from_editor("faithful", "", True, pd.concat([rows, pd.DataFrame([{}])], ignore_index=True))
    assert rubric.criteria == SUMMARY_FAITHFULNESS.criteria  # the blank row a user added is ignored
    rows.loc[1, "level 3"] = None
    with pytest.raises(ValueError, match="Criterion row 2: Criterion 'coverage' needs exactly five non-empty"):
        rubric_from_editor("faithful", "", True, rows)


EVIL_RUBRIC = "[x](https://evil.example/) <b>B</b>"


def test_rubric_text_is_literal_in_captions_labels_and_buttons(app: AppTest, store_file: Path) -> None:
    """A rubric is user (or imported) text: its name, description, titles, questions and anchors are shown
    as typed, never as links, images or bold, wherever the page writes markdown."""
    from core.grading import Criterion, Rubric, save_rubric

    store = Store(store_file)
    make_run(store, ANSWERS)
    levels = tuple(f"![beacon](https://evil.example/{n}.png) level {n}" for n in range(1, 6))
    save_rubric(store, Rubric(name=EVIL_RUBRIC, description="**loud** [y](https://evil.example/)",
                              criteria=(Criterion("helpfulness", "*Helpful* <i>", "[q](https://evil.example/)?",
                                                  levels),)))
    app.run()
    app.selectbox(key="grade-rubric").select(EVIL_RUBRIC).run()
    _open(app, "Manual")
    app.text_input(key="grade-grader").input("ann").run()
    assert not app.exception
    markup = [app.caption, app.markdown, app.info, app.warning, app.success, app.error]
    shown = [_texts(elements) for elements in markup] + [e.label for e in app.expander]
    shown += [r.label for r in app.radio] + [c for r in app.radio for c in r.proto.captions]
    _open(app, "Judge")
    shown += [b.label for b in app.button] + [_texts(app.caption)]
    everything = "\n".join(shown).replace("\u2060", "")
    assert r"\[x\](https://evil.example/) \<b\>B\</b\>" in everything
    for raw in ("[x](", "[y](", "[q](", "![beacon](", "<b>", "<i>", "**loud**", "*Helpful*"):
        assert raw not in everything, raw

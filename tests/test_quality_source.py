"""Which grades feed a decision (``core.grading.quality_source``): the one choice the Decide page and
``cli.py decide --quality`` share, with the same words (``none``, ``people``, ``judge:REF``), on real store files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cli import main
from core.grading import grading_items, install_presets, record_grade
from core.grading.presets import CONCISENESS, HELPFULNESS
from core.grading.quality_source import (
    NO_QUALITY,
    PEOPLE,
    DecisionQuality,
    QualitySource,
    quality_for_decision,
    quality_options,
)
from core.grading.rubric import Rubric, get_rubric, save_rubric
from store import Store, queries
from store.records import Judgment, Table
from tests.test_grading_items import make_run
from tests.test_grading_results import _judgments

JUDGE_REF = "judge:m"  # a model ref (endpoint "judge", model "m"); its source word is "judge:judge:m"
JUDGE = QualitySource("judge", JUDGE_REF)


def _grade_all(store: Store, run_id: str, score_of: dict[str, int], grader: str = "Ana") -> None:
    rubric = get_rubric(store, HELPFULNESS.name)
    for item in grading_items(store, run_id):
        record_grade(store, run_id, item.item_id, grader, rubric, {"helpfulness": score_of[item.model_ref]})


def test_source_spellings_round_trip_and_a_bad_one_says_what_to_write() -> None:
    for text in ("people", "none", "judge:my-ollama:llama3.2"):
        assert str(QualitySource.parse(text)) == text
    assert QualitySource.parse("judge:my-ollama:llama3.2").judge_ref == "my-ollama:llama3.2"
    assert QualitySource.parse("judge:foundry-local:phi:4").judge_ref == "foundry-local:phi:4"  # keeps its colons
    for bad in ("the boss", "judge:nocolon", "judge:", "someone", ""):
        with pytest.raises(ValueError, match="use judge:SOURCE:MODEL_ID, people or none"):
            QualitySource.parse(bad)


def _graded_run(store: Store) -> tuple[str, Rubric, Rubric]:
    """Two models; a judge scored both under helpfulness, a person graded only model a."""
    helpful, concise = save_rubric(store, HELPFULNESS), save_rubric(store, CONCISENESS)
    run_id = make_run(store, [("a:m", "p", "long answer"), ("b:m", "p", "short")])
    items = {i.model_ref: i for i in grading_items(store, run_id)}
    queries.insert_many(store, [Judgment.build(
        {"run_id": run_id, "item_id": items[ref].item_id, "sample_id": items[ref].sample_id, "model_ref": ref,
         "prompt_id": "p", "judge_ref": JUDGE_REF, "rubric_name": helpful.name, "rubric_version": helpful.version,
         "status": "scored", "scores": {"helpfulness": score}, "response_chars": 5, "raw_replies": [],
         "created_at": "2026-03-01T10:00:02+00:00"}) for ref, score in (("a:m", 5), ("b:m", 2))])
    record_grade(store, run_id, items["a:m"].item_id, "ana", helpful, {"helpfulness": 4})
    return run_id, helpful, concise


def test_options_start_on_the_rubric_and_sources_that_hold_grades(store: Store) -> None:
    run_id, helpful, concise = _graded_run(store)
    options = quality_options(store, [run_id])
    assert [r.name for r in options.rubrics] == ["helpfulness", "conciseness"]  # graded first, not alphabetical
    assert options.sources == [JUDGE, PEOPLE]
    assert options.graded_sources(helpful) == [JUDGE, PEOPLE] and options.default_source(helpful) == JUDGE
    assert options.graded_sources(concise) == [] and options.default_source(concise) == NO_QUALITY
    assert quality_options(store, ["no-such-run"]).sources == [PEOPLE]


def test_a_judge_gives_quality_with_its_agreement_people_without(store: Store) -> None:
    run_id, helpful, _ = _graded_run(store)
    judged = quality_for_decision(store, [run_id], str(JUDGE), helpful)
    assert {ref: q["mean"] for ref, q in judged.quality.items()} == {"a:m": 5.0, "b:m": 2.0}
    assert judged.source is not None and list(judged.agreements) == [run_id]
    assert (judged.source["judge"], judged.source["rubric"]) == (JUDGE_REF, f"helpfulness v{helpful.version}")
    assert judged.source["agreement"]["verdict"] == judged.agreements[run_id].verdict
    people = quality_for_decision(store, [run_id], PEOPLE, helpful)
    assert people.quality == {"a:m": {"mean": 4.0, "ci95_low": None, "ci95_high": None, "n": 1}}  # b: missing, not 0
    assert people.source == {"run_id": run_id, "rubric": f"helpfulness v{helpful.version}", "judge": "people"}
    assert people.agreements == {}


def test_none_leaves_quality_out_whatever_the_rubric(store: Store) -> None:
    run_id, helpful, _ = _graded_run(store)
    assert quality_for_decision(store, [run_id], "none", helpful) == DecisionQuality()
    assert quality_for_decision(store, [run_id], NO_QUALITY) == DecisionQuality()


def test_unscored_judgments_are_not_quality(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, [("a:m", "p", "x")])
    _judgments(store, rubric, run_id, [("a:m", None, 3)], judge=JUDGE_REF)
    judged = quality_for_decision(store, [run_id], JUDGE, rubric)
    assert judged.quality == {} and "missing, never 0" in (judged.note or "")


def test_people_grades_per_model_from_the_newest_graded_run(store: Store) -> None:
    install_presets(store)
    old = make_run(store, [("a:m", "capital", "Paris."), ("b:m", "capital", "Lyon.")])
    new = make_run(store, [("a:m", "capital", "It is Paris."), ("c:m", "capital", "Nice.")])
    store.update_where(Table.RUNS, {"created_at": "2026-04-01T00:00:00+00:00"}, run_id=new)
    _grade_all(store, old, {"a:m": 2, "b:m": 1})
    _grade_all(store, new, {"a:m": 5, "c:m": 3})

    result = quality_for_decision(store, [old, new], "people")  # rubric: the one holding the grades
    assert {ref: q["mean"] for ref, q in result.quality.items()} == {"a:m": 5, "b:m": 1, "c:m": 3}
    assert result.source == {"runs": {"a:m": new, "b:m": old, "c:m": new}, "rubric": "helpfulness v1",
                             "judge": "people"}
    assert result.note is None and result.agreements == {}

    single = quality_for_decision(store, [old], PEOPLE, HELPFULNESS.name)
    assert single.source == {"run_id": old, "rubric": "helpfulness v1", "judge": "people"}
    options = quality_options(store, [old])
    assert options.rubrics[0].name == HELPFULNESS.name and options.default_source(options.rubrics[0]) == PEOPLE


def test_no_source_no_grades_and_unknown_names_are_said_plainly(store: Store) -> None:
    install_presets(store)
    run_id = make_run(store, [("a:m", "capital", "Paris.")])
    assert quality_for_decision(store, [run_id], NO_QUALITY).quality == {}
    with pytest.raises(ValueError, match="No grades from people in runs .*grade them on the Grade page"):
        quality_for_decision(store, [run_id], PEOPLE)
    with pytest.raises(ValueError, match="No rubric named 'tone'"):
        quality_for_decision(store, [run_id], PEOPLE, "tone")
    with pytest.raises(ValueError, match="No run 'gone'"):
        quality_for_decision(store, ["gone"], PEOPLE)
    judged = quality_for_decision(store, [run_id], "judge:judge:fake-model", HELPFULNESS.name)
    assert judged.quality == {} and "quality is left out (missing, never 0)" in (judged.note or "")


def test_cli_decide_uses_people_grades_for_quality(capsys: pytest.CaptureFixture[str], store_file: Path,
                                                   tmp_path: Path) -> None:
    from tests.test_app_decide import _seed_run

    run_id = _seed_run(store_file)
    store = Store(store_file)
    install_presets(store)
    _grade_all(store, run_id, {"fast:fake-model": 2, "slow:fake-model": 5})
    out = tmp_path / "decision.json"
    code = main(["--db", str(store_file), "decide", "--runs", run_id, "--quality", "people", "--rubric",
                 HELPFULNESS.name, "--format", "json", "--out", str(out)])
    assert code == 0, capsys.readouterr().err
    record = json.loads(out.read_text())
    quality = {c["ref"]: (c["quality"] or {}).get("mean") for c in record["candidates"]["candidates"]}
    assert quality == {"fast:fake-model": 2, "slow:fake-model": 5}
    assert record["evidence"]["quality_source"] == {"run_id": run_id, "rubric": "helpfulness v1", "judge": "people"}
    assert record["weights_applied"]["quality"] > 0

    code = main(["--db", str(store_file), "decide", "--runs", run_id, "--quality", "judge:nobody:m",
                 "--format", "md", "--out", str(tmp_path / "d.md")])
    err = capsys.readouterr().err
    assert code == 1 and err.startswith("error: No grades from judge:nobody:m") and err.count("\n") == 1

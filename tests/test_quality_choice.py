"""Which grades feed a decision: the choice the Decide page and the CLI share, on a real store file."""

from __future__ import annotations

import pytest

from core.grading.items import grading_items
from core.grading.judge import JUDGMENTS
from core.grading.manual import record_grade
from core.grading.presets import CONCISENESS, HELPFULNESS
from core.grading.rubric import save_rubric
from core.quality_choice import NO_QUALITY, PEOPLE, choose_quality, judge_of, judge_source, quality_options
from store import Store
from tests.test_grading_items import make_run
from tests.test_grading_results import _judgments

JUDGE = "judge:m"  # a model ref (endpoint "judge", model "m"); its source word is "judge:judge:m"


def _graded_run(store: Store):
    """Two models; a judge scored both under helpfulness, a person graded only model a."""
    helpful, concise = save_rubric(store, HELPFULNESS), save_rubric(store, CONCISENESS)
    run_id = make_run(store, [("a:m", "p", "long answer"), ("b:m", "p", "short")])
    items = {i.model_ref: i for i in grading_items(store, run_id)}
    store.insert_many(JUDGMENTS, [
        {"run_id": run_id, "item_id": items[ref].item_id, "model_ref": ref, "judge_ref": JUDGE,
         "rubric_name": helpful.name, "rubric_version": helpful.version, "status": "scored",
         "scores": {"helpfulness": score}, "response_chars": 5} for ref, score in (("a:m", 5), ("b:m", 2))])
    record_grade(store, run_id, items["a:m"].item_id, "ana", helpful, {"helpfulness": 4})
    return run_id, helpful, concise


def test_options_start_on_the_rubric_and_sources_that_hold_grades(store: Store) -> None:
    run_id, helpful, concise = _graded_run(store)
    options = quality_options(store, run_id)
    assert [r.name for r in options.rubrics] == ["helpfulness", "conciseness"]  # graded first, not alphabetical
    assert options.sources == [judge_source(JUDGE), PEOPLE]
    assert options.graded_sources(helpful) == [judge_source(JUDGE), PEOPLE]
    assert options.graded_sources(concise) == []
    assert quality_options(store, "no-such-run").sources == [PEOPLE]


def test_a_judge_gives_quality_with_its_agreement_people_without(store: Store) -> None:
    run_id, helpful, _ = _graded_run(store)
    judged = choose_quality(store, run_id, helpful, judge_source(JUDGE))
    assert {ref: q["mean"] for ref, q in judged.quality.items()} == {"a:m": 5.0, "b:m": 2.0}
    assert judged.source is not None and judged.agreement is not None
    assert (judged.source["judge"], judged.source["rubric"]) == (JUDGE, f"helpfulness v{helpful.version}")
    assert judged.source["agreement"]["verdict"] == judged.agreement.verdict
    people = choose_quality(store, run_id, helpful, PEOPLE)
    assert people.quality == {"a:m": {"mean": 4.0, "ci95_low": None, "ci95_high": None, "n": 1}}  # b: missing, not 0
    assert people.source == {"run_id": run_id, "rubric": f"helpfulness v{helpful.version}", "judge": "people"}
    assert people.agreement is None


def test_none_and_no_rubric_leave_quality_out(store: Store) -> None:
    run_id, helpful, _ = _graded_run(store)
    assert choose_quality(store, run_id, helpful, "none") == NO_QUALITY
    assert choose_quality(store, run_id, None, PEOPLE) == NO_QUALITY


def test_a_source_that_is_not_one_of_the_three_words_is_one_sentence() -> None:
    assert judge_of("judge:foundry-local:phi:4") == "foundry-local:phi:4"  # the ref keeps its own colons
    assert judge_of(PEOPLE) is None
    for bad in ("judge:", "someone", ""):
        with pytest.raises(ValueError, match="use 'none', 'people' or 'judge:REF'"):
            judge_of(bad)


def test_unscored_judgments_are_not_quality(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, [("a:m", "p", "x")])
    _judgments(store, rubric, run_id, [("a:m", None, 3)], judge=JUDGE)
    assert choose_quality(store, run_id, rubric, judge_source(JUDGE)).quality == {}

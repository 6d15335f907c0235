"""The Grade page's reads as core functions on a real store file: which runs can be graded, the Results
tab's sources with their quality, agreement and length points, and where judging stands."""

from __future__ import annotations

from core.grading.items import gradable_runs, grading_items
from core.grading.judge_progress import judge_progress
from core.grading.manual import record_grade
from core.grading.presets import CONCISENESS, HELPFULNESS
from core.grading.rubric import save_rubric
from core.grading.run_results import PEOPLE_LABEL, run_results
from store import Store, queries
from store.records import Judgment, Table
from tests.test_grading_items import make_run

JUDGE = "judge:m"


def _judged(store: Store, rubric, run_id: str, scores: dict[str, int | None]) -> None:
    """One judgment per model's item, as the judge job writes it: a score, or ``None`` for a reply
    that could not be read."""
    items = {i.model_ref: i for i in grading_items(store, run_id)}
    queries.insert_many(store, [Judgment.build(
        {"run_id": run_id, "item_id": items[ref].item_id, "sample_id": items[ref].sample_id, "model_ref": ref,
         "prompt_id": items[ref].prompt_id, "judge_ref": JUDGE, "rubric_name": rubric.name,
         "rubric_version": rubric.version, "status": "unscored" if score is None else "scored",
         "scores": None if score is None else {rubric.keys[0]: score},
         "response_chars": items[ref].response_chars, "created_at": "2026-03-01T10:00:02+00:00",
         "retried": score is None, "raw_replies": ["?"]}) for ref, score in scores.items()])


def test_only_benchmark_runs_with_answers_can_be_graded_newest_first(store: Store) -> None:
    old = make_run(store, [("a:m", "p", "x")])
    make_run(store, [])  # nothing stored: nothing to grade
    store.update_where(Table.RUNS, {"created_at": "2024-01-01"}, run_id=old)
    new = make_run(store, [("a:m", "p", "y")])
    store.update_where(Table.RUNS, {"created_at": "2025-01-01"}, run_id=new)
    probe = make_run(store, [("a:m", "p", "hi")])
    store.update_where(Table.RUNS, {"kind": "probe"}, run_id=probe)
    assert [r.run_id for r in gradable_runs(store)] == [new, old]


def test_results_keep_each_source_apart_with_agreement_only_where_people_graded(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, [("a:m", "p", "long answer"), ("b:m", "p", "short")])
    assert run_results(store, run_id, rubric) == []
    _judged(store, rubric, run_id, {"a:m": 5, "b:m": None})
    [judge_only] = run_results(store, run_id, rubric)
    assert (judge_only.label, judge_only.judge_ref, judge_only.agreement) == (f"Judge {JUDGE}", JUDGE, None)
    item_a = next(i.item_id for i in grading_items(store, run_id) if i.model_ref == "a:m")
    record_grade(store, run_id, item_a, "ana", rubric, {"helpfulness": 4})
    judge, people = run_results(store, run_id, rubric)
    assert judge.agreement is not None and judge.agreement.n_items == 1
    assert [(q.model_ref, q.n_scored, q.n_unscored) for q in judge.quality] == [("a:m", 1, 0), ("b:m", 0, 1)]
    assert list(judge.points["model"]) == ["a:m"]  # the unreadable reply is no point on the chart
    assert (people.label, people.judge_ref, people.agreement) == (PEOPLE_LABEL, None, None)
    assert list(people.points["score"]) == [4.0] and set(people.length_bias) == {"a:m"}
    assert run_results(store, run_id, save_rubric(store, CONCISENESS)) == []  # another rubric: its own results


def test_judging_progress_counts_per_judge_and_rubric_and_keeps_unreadable_replies(store: Store) -> None:
    rubric, other = save_rubric(store, HELPFULNESS), save_rubric(store, CONCISENESS)
    run_id = make_run(store, [("a:m", "p", "x"), ("b:m", "p", "y")])
    _judged(store, rubric, run_id, {"a:m": 3, "b:m": None})
    _judged(store, other, run_id, {"a:m": 2})
    progress = judge_progress(store, run_id, rubric, started_here=None)
    assert progress.job is None and progress.judged == {JUDGE: 2}
    assert progress.parse_stats[JUDGE].n == 3 and progress.parse_stats[JUDGE].unscored == 1
    assert [j.model_ref for j in progress.unscored] == ["b:m"]
    assert judge_progress(store, "other-run", rubric, started_here=None).judged == {}

"""Quality per model with CIs and counts, length bias, and judge parse-failure rates."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.grading.items import grading_items
from core.grading.manual import record_grade
from core.grading.presets import HELPFULNESS, SUMMARY_FAITHFULNESS
from core.grading.results import length_bias, parse_failure_rates, quality_by_model
from core.grading.rubric import save_rubric
from core.grading.score_mean import score_mean
from store import Store, queries
from store.records import Judgment, Table
from tests.test_grading_items import make_run

JUDGE = "judge:m"


def _judgments(store: Store, rubric, run_id: str, rows: list[tuple[str, dict | None, int]],
               judge: str = JUDGE) -> None:
    """Judgments as the judge job writes them (through the contract): (model_ref, scores or None if
    unscored, response_chars)."""
    queries.insert_many(store, [Judgment.build(
        {"run_id": run_id, "item_id": f"i{n}", "sample_id": n + 1, "model_ref": model, "prompt_id": "p",
         "judge_ref": judge, "rubric_name": rubric.name, "rubric_version": rubric.version,
         "status": "unscored" if scores is None else "scored", "scores": scores, "response_chars": chars,
         "retried": scores is None or n == 0, "raw_replies": ["{}"], "created_at": "2026-03-01T10:00:02+00:00"})
        for n, (model, scores, chars) in enumerate(rows)])


def test_quality_per_model_and_criterion_with_cis_and_unscored_counted(store: Store) -> None:
    rubric = save_rubric(store, SUMMARY_FAITHFULNESS)
    run_id = make_run(store, [("a:m", "capital", "x"), ("a:m", "haiku", "y"), ("a:m", "haiku", "z"),
                              ("b:m", "capital", "w")])
    _judgments(store, rubric, run_id, [
        ("a:m", {"faithfulness": 5, "coverage": 3}, 10),
        ("a:m", {"faithfulness": 4, "coverage": 4}, 20),
        ("a:m", None, 30),
        ("b:m", {"faithfulness": 2, "coverage": 1}, 40),
    ])
    a, b = quality_by_model(store, run_id, rubric, judge_ref=JUDGE)
    assert (a.model_ref, a.n_items, a.n_scored, a.n_unscored) == ("a:m", 3, 2, 1)
    assert a.per_criterion["faithfulness"] == score_mean([5, 4])  # mean 4.5; two answers are too few for a CI
    assert a.per_criterion["coverage"].mean == 3.5
    assert a.overall == score_mean([4.0, 4.0])  # per answer: mean of its criteria
    assert a.overall.ci95_low is None and a.overall.note == "too few answers for an interval (n=2, need 3)"
    assert (b.n_items, b.n_scored, b.n_unscored, b.overall.mean, b.overall.ci95_low) == (1, 1, 0, 1.5, None)
    # another judge has no judgments: every model listed, nothing scored
    assert [q.n_scored for q in quality_by_model(store, run_id, rubric, judge_ref="other:m")] == [0, 0]


def test_quality_from_people(store: Store) -> None:
    rubric = save_rubric(store, SUMMARY_FAITHFULNESS)
    run_id = make_run(store, [("a:m", "capital", "x"), ("b:m", "capital", "w")])
    items = {i.model_ref: i.item_id for i in grading_items(store, run_id)}
    record_grade(store, run_id, items["a:m"], "ana", rubric, {"faithfulness": 5, "coverage": 5})
    record_grade(store, run_id, items["a:m"], "ben", rubric, {"faithfulness": 3, "coverage": 5})
    record_grade(store, run_id, items["b:m"], "ana", rubric, {"faithfulness": 1, "coverage": 2})
    a, b = quality_by_model(store, run_id, rubric)
    # one answer graded twice is one answer: its scores are the mean of its two graders'
    assert (a.n_scored, a.per_criterion["faithfulness"].mean, a.overall.mean, a.overall.n) == (1, 4.0, 4.5, 1)
    assert (b.n_scored, b.overall.mean) == (1, 1.5)
    only_ben = quality_by_model(store, run_id, rubric, grader="ben")
    assert [q.n_scored for q in only_ben] == [1, 0]


def test_several_graders_on_one_answer_count_once(store: Store) -> None:
    """The issue's case: answer A graded 5, 5, 5 by three people and answer B graded 1 is 3.0 over two
    answers (not 4.0 over four grades); with two graders on A only, B is still not graded."""
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, [("a:m", "capital", "Paris."), ("a:m", "haiku", "Leaves fall.")])
    answer_a, answer_b = (i.item_id for i in sorted(grading_items(store, run_id), key=lambda i: i.prompt_id))
    for grader in ("ana", "ben"):
        record_grade(store, run_id, answer_a, grader, rubric, {"helpfulness": 5})
    [q] = quality_by_model(store, run_id, rubric)
    assert (q.n_items, q.n_scored, q.n_not_graded, q.overall.n, q.overall.mean) == (2, 1, 1, 1, 5.0)
    record_grade(store, run_id, answer_a, "cy", rubric, {"helpfulness": 5})
    record_grade(store, run_id, answer_b, "ana", rubric, {"helpfulness": 1})
    [q] = quality_by_model(store, run_id, rubric)
    assert (q.n_scored, q.n_not_graded, q.overall.n, q.overall.mean) == (2, 0, 2, 3.0)


def test_an_answer_read_on_a_second_attempt_is_scored_not_unscored(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, [("a:m", "capital", "Paris."), ("a:m", "haiku", "Leaves fall.")])
    queries.insert_many(store, [Judgment.build(
        {"run_id": run_id, "item_id": item.item_id, "sample_id": item.sample_id, "model_ref": "a:m",
         "prompt_id": item.prompt_id, "judge_ref": JUDGE, "rubric_name": rubric.name,
         "rubric_version": rubric.version, "status": status, "scores": scores, "response_chars": 5,
         "raw_replies": ["?"], "created_at": "2026-03-01T10:00:02+00:00"})
        for item in grading_items(store, run_id)
        for status, scores in (("unscored", None), ("scored", {"helpfulness": 4}))
        if status == "unscored" or item.prompt_id == "capital"])
    [q] = quality_by_model(store, run_id, rubric, judge_ref=JUDGE)
    assert (q.n_items, q.n_scored, q.n_unscored, q.n_not_graded, q.overall.mean) == (2, 1, 1, 0, 4.0)


def test_an_answer_judged_twice_counts_once_in_n_and_in_the_interval(store: Store) -> None:
    """A re-judged answer (two scored judgments of one item) is one answer: averaged first, n = answers."""
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, [("a:m", "capital", "Paris."), ("a:m", "haiku", "Leaves fall."),
                              ("a:m", "ladder-1", "One.")])
    items = sorted(grading_items(store, run_id), key=lambda i: i.prompt_id)
    queries.insert_many(store, [Judgment.build(
        {"run_id": run_id, "item_id": item.item_id, "sample_id": item.sample_id, "model_ref": "a:m",
         "prompt_id": item.prompt_id, "judge_ref": JUDGE, "rubric_name": rubric.name,
         "rubric_version": rubric.version, "status": "scored", "scores": {"helpfulness": score},
         "response_chars": 5, "raw_replies": ["{}"], "created_at": "2026-03-01T10:00:02+00:00"})
        for item, score in ((items[0], 5), (items[0], 3), (items[1], 4), (items[2], 4))])
    [q] = quality_by_model(store, run_id, rubric, judge_ref=JUDGE)
    assert (q.n_scored, q.overall.n) == (3, 3)
    assert q.overall == score_mean([4.0, 4.0, 4.0])  # not score_mean([5, 3, 4, 4]) over four "answers"


def test_length_bias_flags_a_grader_that_rewards_long_answers(store: Store) -> None:
    rubric = save_rubric(store, SUMMARY_FAITHFULNESS)
    run_id = "r"
    verbose = [("v:m", {"faithfulness": s, "coverage": s}, 100 * s + n) for n, s in enumerate([1, 2, 2, 3, 3, 4, 5, 5])]
    steady = [("s:m", {"faithfulness": s, "coverage": 4}, c) for s, c in [(4, 300), (5, 100), (3, 200), (4, 150),
                                                                          (5, 400), (3, 90), (4, 250), (5, 120)]]
    _judgments(store, rubric, run_id, verbose + steady + [("few:m", {"faithfulness": 3, "coverage": 3}, 10)])
    bias = length_bias(store, run_id, rubric, judge_ref=JUDGE)
    assert bias["v:m"].rho == pytest.approx(0.982, abs=1e-3)  # < 1 only because tied scores share ranks
    assert bias["v:m"].note == ("longer answers get clearly higher scores (ρ=0.98, 95% CI 0.95 to 0.99): the "
                                "grader may be rewarding verbosity")
    assert (bias["v:m"].ci95_low, bias["v:m"].ci95_high) == pytest.approx((0.95, 0.99), abs=0.005)
    assert bias["s:m"].n == 8 and abs(bias["s:m"].rho) < 0.5
    assert bias["s:m"].note.startswith("no strong link")
    assert bias["few:m"].note == "too few answers (1, need 8) to tell"


def test_parse_failure_rate_per_judge_of_one_run_reads_only_that_run(store: Store, store_file: Path) -> None:
    rubric = save_rubric(store, SUMMARY_FAITHFULNESS)
    ok = {"faithfulness": 3, "coverage": 3}
    _judgments(store, rubric, "r1", [("a:m", ok, 1), ("a:m", None, 1), ("a:m", ok, 1), ("a:m", ok, 1)])
    _judgments(store, rubric, "r2", [("a:m", None, 1)], judge="small:m")
    rates = parse_failure_rates(store, "r1")
    assert (rates[JUDGE].n, rates[JUDGE].unscored, rates[JUDGE].retried) == (4, 1, 2)  # item 0 retried and scored
    assert rates[JUDGE].failure_rate == 0.25 and list(rates) == [JUDGE]
    reader = Store(store_file)  # as a fresh process: it reads the index (for counts), no run file yet
    assert reader.count(Table.JUDGMENTS) == 5
    before = reader.stats["file_reads"]
    rates = parse_failure_rates(reader, "r2")
    assert list(rates) == ["small:m"] and rates["small:m"].failure_rate == 1.0
    assert reader.stats["file_reads"] == before + 1, "only r2's judgments file should be read"
    with pytest.raises(TypeError):
        parse_failure_rates(reader)  # type: ignore[call-arg]  # no "every run" read: that is every run file

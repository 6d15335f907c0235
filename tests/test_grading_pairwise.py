"""Pairwise judging end to end: the real OpenAI-compatible engine, job runner and store against scripted
judges with a known behaviour. A judge that prefers the answer holding the key fact wherever it stands is
100% position-consistent and names the right winners; a judge that always says "A" is 0% consistent and
every outcome is a tie; unreadable replies are kept and never counted as ties."""

from __future__ import annotations

import json
import math
from collections.abc import Callable

import pytest

from core.grading.items import grading_items
from core.grading.pairwise import execute_pairwise, plan_comparisons, start_pairwise
from core.grading.pairwise_results import pairwise_judges, pairwise_summary
from core.grading.presets import CORRECTNESS, HELPFULNESS
from core.grading.rubric import save_rubric
from core.models.sources import Sources
from store import Store
from store.records import Table
from tests.test_grading_items import make_run
from tests.test_grading_judge import JUDGE, _Control, _serve, _wait

FACT = "FACT"
PROMPTS = [{"id": f"p{i}", "prompt": f"Question {i}?", "reference": f"Answer {i}."} for i in range(4)]
# a: the fact every time; c: on the first two prompts only; b: never
ANSWERS = ([("a:m", f"p{i}", f"Here it is: {FACT} {i}.") for i in range(4)]
           + [("b:m", f"p{i}", f"No idea about {i}.") for i in range(4)]
           + [("c:m", f"p{i}", f"{FACT} {i}" if i < 2 else f"Maybe {i}?") for i in range(4)])


def _responses(prompt: str) -> tuple[str, str]:
    """Response A's and Response B's sections of the judge's question, as the judge sees them."""
    a_start, b_start = prompt.index("# Response A ("), prompt.index("# Response B (")
    return prompt[a_start:b_start], prompt[b_start:prompt.index("# Your answer")]


def fact_judge(prompt: str) -> str:
    """Prefers the answer holding the key fact, wherever it stands; a tie when both or neither hold it."""
    a, b = (FACT in part for part in _responses(prompt))
    winner = "A" if a and not b else "B" if b and not a else "tie"
    return json.dumps({"winner": winner, "reason": "Has the key fact." if winner != "tie" else "Same."})


def always_a(prompt: str) -> str:
    return '{"winner": "A", "reason": "The first one is better."}'


def _run(store: Store, reply: Callable[[str], str], **options) -> tuple[str, dict]:
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, ANSWERS, prompts=PROMPTS)
    with _serve(store, reply) as server:
        counts = execute_pairwise(Sources(store, None), store, run_id, JUDGE, rubric, _Control(), **options)
        counts["bodies"] = [r.body for r in server.chat_requests()]
    return run_id, counts


def _pairs(summary) -> dict[tuple[str, str], dict]:
    return {(p.model_x, p.model_y): p.as_dict() for p in summary.pairs}


def test_a_position_independent_judge_is_consistent_and_names_the_right_winners(store: Store) -> None:
    run_id, counts = _run(store, fact_judge)
    assert counts["requests"] == counts["judged"] == counts["scored"] == 3 * 4 * 2  # pairs x prompts x orders
    assert all(b["temperature"] == 0 and b["max_tokens"] == 200 for b in counts["bodies"])
    summary = pairwise_summary(store, run_id, JUDGE, save_rubric(store, HELPFULNESS))
    assert summary is not None
    assert (summary.consistency.k, summary.consistency.n, summary.consistency.rate) == (12, 12, 1.0)
    assert "looks at the answers, not at their order" in summary.verdict
    assert summary.first_position.rate == 0.5  # as often A as B
    pairs = _pairs(summary)
    assert (pairs[("a:m", "b:m")]["x_wins"], pairs[("a:m", "b:m")]["x_win_rate"]) == (4, 1.0)
    assert (pairs[("a:m", "c:m")]["x_wins"], pairs[("a:m", "c:m")]["ties"]) == (2, 2)
    assert (pairs[("b:m", "c:m")]["y_wins"], pairs[("b:m", "c:m")]["ties"], pairs[("b:m", "c:m")]["flips"]) == (2, 2, 0)
    low, high = pairs[("a:m", "b:m")]["ci95_low"], pairs[("a:m", "b:m")]["ci95_high"]
    assert high == 1.0 and 0.39 < low < 0.40  # four wins out of four is not a certainty
    assert list(summary.strengths or {}) == ["a:m", "c:m", "b:m"]
    assert summary.parse_failure_rate == 0.0 and summary.samples == 1
    json.dumps(summary.as_dict())  # the CLI prints it as JSON


def test_a_judge_that_always_says_a_is_never_consistent_and_every_outcome_is_a_tie(store: Store) -> None:
    run_id, counts = _run(store, always_a)
    summary = pairwise_summary(store, run_id, JUDGE, save_rubric(store, HELPFULNESS))
    assert summary is not None and counts["scored"] == 24
    assert (summary.consistency.k, summary.consistency.n) == (0, 12)
    assert summary.first_position.rate == 1.0
    assert "mostly follows the position" in summary.verdict
    for pair in summary.pairs:
        assert (pair.record.wins, pair.record.ties, pair.record.losses, pair.flips) == (0, 4, 0, 4)
        assert pair.record.rate == 0.5 and pair.record.interval == (0.0, 1.0)  # it said nothing


def test_unreadable_verdicts_are_kept_never_ties_and_asked_again(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, ANSWERS[:2] + ANSWERS[4:6], prompts=PROMPTS)  # a and b on two prompts
    with _serve(store, lambda prompt: "Both have merits; hard to say.") as server:
        first = execute_pairwise(Sources(store, None), store, run_id, JUDGE, rubric, _Control())
        assert len(server.chat_requests()) == 4
        stored = store.find(Table.PAIRWISE, run_id=run_id)
        assert {(d["status"], d["winner"], d["problem"]) for d in stored} == {
            ("unscored", None, "no winner found in the reply")}
        assert stored[0]["raw_reply"] == "Both have merits; hard to say."
        summary = pairwise_summary(store, run_id, JUDGE, rubric)
        assert summary is not None and summary.parse_failure_rate == 1.0
        (pair,) = summary.pairs
        assert (pair.record.n, pair.record.ties, pair.unreadable, summary.consistency.n) == (0, 0, 2, 0)
        assert "nothing can be said" in summary.verdict

        server.scenario.reply = fact_judge  # the judge now answers: only the unreadable verdicts are asked again
        again = execute_pairwise(Sources(store, None), store, run_id, JUDGE, rubric, _Control())
        assert len(server.chat_requests()) == 8
        third = execute_pairwise(Sources(store, None), store, run_id, JUDGE, rubric, _Control())
        assert len(server.chat_requests()) == 8  # nothing left to ask
    assert (first["scored"], first["unscored"]) == (0, 4)
    assert (again["scored"], third["skipped_done"]) == (4, 4)
    assert len(store.find(Table.PAIRWISE, run_id=run_id)) == 8  # the unreadable ones are kept
    summary = pairwise_summary(store, run_id, JUDGE, rubric)
    assert summary is not None and summary.pairs[0].record.wins == 2 and summary.unreadable_verdicts == 0


def test_several_samples_per_order_are_averaged_with_their_spread(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, ANSWERS[:2] + ANSWERS[4:6], prompts=PROMPTS)
    server_box = {}

    def wavering(prompt: str) -> str:  # the third sample (seed 2) calls it a tie
        seed = server_box["server"].chat_requests()[-1].body["seed"]
        return '{"winner": "tie", "reason": "Unsure."}' if seed == 2 else fact_judge(prompt)

    with _serve(store, wavering) as server:
        server_box["server"] = server
        counts = execute_pairwise(Sources(store, None), store, run_id, JUDGE, rubric, _Control(), samples=3)
        bodies = [r.body for r in server.chat_requests()]
    assert counts["requests"] == 2 * 2 * 3 and len(bodies) == 12
    assert {b["temperature"] for b in bodies} == {0.7} and {b["seed"] for b in bodies} == {0, 1, 2}
    summary = pairwise_summary(store, run_id, JUDGE, rubric)
    assert summary is not None and summary.samples == 3
    (pair,) = summary.pairs
    assert pair.record.wins == 2 and summary.consistency.rate == 1.0
    assert pair.sample_sd == pytest.approx(math.sqrt(1 / 12))  # samples 1, 1, 0.5


def test_the_plan_is_bounded_and_says_what_it_left_out(store: Store) -> None:
    run_id = make_run(store, ANSWERS, prompts=PROMPTS)
    items = grading_items(store, run_id)
    plan = plan_comparisons(items, HELPFULNESS, max_pairs=1, max_prompts=2)
    assert (plan.pairs, plan.pairs_total, plan.prompts, plan.prompts_total) == (1, 3, 2, 4)
    assert {(c.first.model_ref, c.second.model_ref) for c in plan.comparisons} == {("a:m", "b:m"), ("b:m", "a:m")}
    assert len(plan.comparisons) == 4
    for bad, message in (({"samples": 0}, "samples must be from 1 to 10"), ({"samples": 11}, "from 1 to 10"),
                         ({"max_pairs": 0}, "max_pairs must be at least 1")):
        with pytest.raises(ValueError, match=message):
            plan_comparisons(items, HELPFULNESS, **bad)
    no_reference = make_run(store, ANSWERS[:2] + ANSWERS[4:6])  # the default prompts: only "capital" has one
    assert plan_comparisons(grading_items(store, no_reference), CORRECTNESS).comparisons == []


def test_the_job_runs_in_the_background_and_cancel_keeps_what_was_judged(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, ANSWERS, prompts=PROMPTS)
    with _serve(store, fact_judge) as server:
        job = _wait(store, start_pairwise(Sources(store, None), store, run_id, JUDGE, rubric, max_pairs=1))
        assert (job.kind, job.state, job.run_id) == ("pairwise", "completed", run_id)
        assert job.message == ("Compared 1 model pair over 4 prompts with judge:fake-model (8 of 8 requests): "
                               "8 readable, 0 unreadable. Bounded to 1 of 3 pairs and 4 of 4 prompts.")
        assert pairwise_judges(store, run_id, rubric) == [JUDGE]
        control = _Control()
        control.event.set()
        counts = execute_pairwise(Sources(store, None), store, run_id, JUDGE, rubric, control)
        assert counts["cancelled"] and len(server.chat_requests()) == 8 and counts["judged"] == 0


def test_nothing_to_compare_is_refused_before_the_job_starts(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    alone = make_run(store, ANSWERS[:4], prompts=PROMPTS)
    with pytest.raises(ValueError, match="needs two models that answered the same prompt"):
        start_pairwise(Sources(store, None), store, alone, JUDGE, rubric)
    with pytest.raises(ValueError, match="Save the rubric"):
        start_pairwise(Sources(store, None), store, alone, JUDGE, HELPFULNESS)

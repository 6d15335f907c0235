"""Judge qualification: control answers built from a run's prompts, judged blind among the answers.

A scripted judge with a known rule (good when the answer states the reference's key fact) must pass;
a judge scoring at random (seeded, so the outcome is fixed) must fail. The interval's maths is
checked against scipy and its coverage by seeded simulation.
"""

from __future__ import annotations

import hashlib
import random
import re

import pytest
from scipy.stats import binomtest

from core.grading.controls import (
    CONTROL_MODEL_REF,
    build_controls,
    judge_qualification,
    min_prompts_to_qualify,
    planted_error,
    wilson_interval,
)
from core.grading.judge import execute_judging
from core.grading.presets import CORRECTNESS, HELPFULNESS
from core.grading.results import quality_by_model
from core.grading.rubric import save_rubric
from core.models.sources import Sources
from store import Store, queries
from store.records import Judgment
from tests.test_grading_items import make_run
from tests.test_grading_judge import JUDGE, _Control, _serve

SITES = "ABCDEFGH"
PROMPTS = [{"id": f"p{i}", "prompt": f"What does the meter on site {site} read?",
            "reference": f"After careful measurement the meter on site {site} reads {410 + i}."}
           for i, site in enumerate(SITES)]
ANSWERS = ([("a:m", f"p{i}", f"The meter reads {410 + i}.") for i in range(len(PROMPTS))]
           + [("b:m", p["id"], "I do not know.") for p in PROMPTS])


def _fenced(kind: str, prompt: str) -> str:
    match = re.search(rf"<<<{kind}-\w+>>>\n(.*?)\n<<<END-{kind}-\w+>>>", prompt, re.DOTALL)
    return match.group(1) if match else ""


def _knows_the_fact(prompt: str) -> str:
    """Good (5) when the response states the reference's key fact (its reading), else 1."""
    fact = _fenced("REFERENCE", prompt).split()[-1].rstrip(".")
    score = 5 if fact in _fenced("RESPONSE", prompt).replace(".", " ").split() else 1
    return f'{{"scores": {{"correctness": {score}}}, "rationale": "Checked the reading."}}'


def _random_scores(prompt: str) -> str:
    """1-5 at random, seeded by the response, so the same answer always gets the same score."""
    seed = hashlib.sha256(_fenced("RESPONSE", prompt).encode()).digest()
    return f'{{"scores": {{"correctness": {random.Random(seed).randint(1, 5)}}}, "rationale": "Hm."}}'


def _judged(store: Store, reply) -> tuple[str, dict]:
    rubric = save_rubric(store, CORRECTNESS)
    run_id = make_run(store, ANSWERS, prompts=PROMPTS)
    with _serve(store, reply) as server:
        counts = execute_judging(Sources(store, None), store, run_id, JUDGE, rubric, _Control())
        order = [_fenced("RESPONSE", r.prompt) for r in server.chat_requests()]
    return run_id, {"counts": counts, "order": order, "rubric": rubric}


def test_a_judge_that_checks_the_fact_qualifies(store: Store) -> None:
    run_id, seen = _judged(store, _knows_the_fact)
    rubric = seen["rubric"]
    qualification = judge_qualification(store, run_id, JUDGE, rubric)
    assert qualification is not None
    assert (qualification.n_prompts, qualification.n_controls, qualification.n_pairs) == (8, 32, 24)
    assert qualification.accuracy == 1.0 and qualification.mean_gap == 4.0
    assert qualification.ci95_low == pytest.approx(8 / (8 + 1.959963984540054 ** 2))
    assert qualification.qualified and qualification.chance == 0.5
    assert qualification.verdict.startswith("This judge can tell a right answer from a wrong one for this rubric "
                                            "(control accuracy 100%, 95% CI 68%–100%, chance 50%, 8 prompts)")

    # the controls were judged blind among the answers, and count for no model's quality
    controls = [j for j in queries.scores_for(store, Judgment, run_id, rubric.name, rubric.version, controls=True)
                if j.control]
    assert {j.model_ref for j in controls} == {CONTROL_MODEL_REF} and {j.sample_id for j in controls} == {0}
    assert sorted({j.control for j in controls}) == ["empty", "good", "other-prompt", "planted-error", "truncated"]
    answers = {a[2] for a in ANSWERS}
    positions = [i for i, text in enumerate(seen["order"]) if text not in answers]
    assert len(positions) == 32 and positions != list(range(16, 48))  # mixed in, not appended
    quality = {q.model_ref: q for q in quality_by_model(store, run_id, rubric, judge_ref=JUDGE)}
    assert set(quality) == {"a:m", "b:m"} and quality["a:m"].n_scored == 8 and quality["b:m"].overall.mean == 1.0
    assert seen["counts"]["controls"] == 32 and seen["counts"]["judged"] == 16


def test_a_judge_scoring_at_random_fails(store: Store) -> None:
    run_id, seen = _judged(store, _random_scores)
    qualification = judge_qualification(store, run_id, JUDGE, seen["rubric"])
    assert qualification is not None and not qualification.qualified
    assert qualification.ci95_low <= 0.5
    assert "its scores are not used by default" in qualification.verdict
    assert qualification.verdict.startswith(("This judge cannot tell a right answer from a wrong one",
                                             "This judge has not shown that it can tell"))


def test_no_controls_without_reference_answers_and_too_few_prompts_say_so(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    run_id = make_run(store, [("a:m", "p0", "x")], prompts=[{"id": "p0", "prompt": "Hi"}])
    assert build_controls(queries.get_run(store, run_id), rubric) == []
    assert judge_qualification(store, run_id, JUDGE, rubric) is None

    few = make_run(store, ANSWERS[:3], prompts=PROMPTS[:3])
    with _serve(store, lambda prompt: _knows_the_fact(prompt).replace("correctness", "helpfulness")):
        execute_judging(Sources(store, None), store, few, JUDGE, rubric, _Control())
    qualification = judge_qualification(store, few, JUDGE, rubric)
    assert qualification.accuracy == 1.0 and not qualification.qualified  # a perfect score on 3 prompts
    assert qualification.verdict.startswith("Too few control prompts to qualify any judge")
    assert f"needs {min_prompts_to_qualify()} prompts" in qualification.verdict and min_prompts_to_qualify() == 4


def test_controls_per_prompt_and_rubric(store: Store) -> None:
    run_id = make_run(store, ANSWERS, prompts=PROMPTS[:2])
    run = queries.get_run(store, run_id)
    helpful = build_controls(run, save_rubric(store, HELPFULNESS))
    assert [(c.prompt_id, c.control) for c in helpful] == [
        ("p0", "good"), ("p0", "other-prompt"), ("p0", "truncated"),
        ("p1", "good"), ("p1", "other-prompt"), ("p1", "empty")]
    good, other, truncated = helpful[:3]
    assert good.response == PROMPTS[0]["reference"] and other.response == PROMPTS[1]["reference"]
    assert truncated.response == "After careful measurement" and helpful[5].response == ""
    correct = build_controls(run, save_rubric(store, CORRECTNESS))
    planted = [c for c in correct if c.control == "planted-error"]
    assert [c.response for c in planted] == [p["reference"].replace(str(410 + i), str(411 + i))
                                             for i, p in enumerate(PROMPTS[:2])]
    assert build_controls(run, save_rubric(store, HELPFULNESS)) == helpful  # stable ids: a rerun skips them
    assert len({c.item_id for c in correct}) == len(correct)


@pytest.mark.parametrize(("reference", "expected"), [
    ("Release 2.4 ships on 12 June.", "Release 3.4 ships on 12 June."),
    ("1. Prompts stay local.\n2. Costs 30 euros.", "1. Prompts stay local.\n2. Costs 31 euros."),
    ("Prompts never leave the device.", "Prompts always leave the device."),
    ("Larger models are slower.", "Smaller models are slower."),
    ("Those passages are given to the model.", "Those passages are not given to the model."),
    ("Paris.", None),
])
def test_planted_errors_change_one_fact(reference: str, expected: str | None) -> None:
    assert planted_error(reference) == expected


@pytest.mark.parametrize("n", [1, 4, 9, 30])
def test_wilson_matches_scipy(n: int) -> None:
    for k in range(n + 1):
        reference = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
        assert wilson_interval(k, n) == pytest.approx((reference.low, reference.high), abs=1e-9)


def _coverage(rng: random.Random, n: int, easy: float, win: float, tie: float, reps: int = 3000) -> float:
    """Share of intervals holding the true accuracy, with prompts of three pairs sharing their good control:
    a prompt is "easy" (every pair won) with probability ``easy``, else each pair is won, tied or lost."""
    truth = easy + (1 - easy) * (win + tie / 2)
    held = 0
    for _ in range(reps):
        scores = []
        for _ in range(n):
            if rng.random() < easy:
                scores.append(1.0)
                continue
            draws = [rng.random() for _ in range(3)]
            scores.append(sum(1.0 if u < win else 0.5 if u < win + tie else 0.0 for u in draws) / 3)
        low, high = wilson_interval(sum(scores), n)
        held += low <= truth <= high
    return held / reps


def test_interval_coverage_by_seeded_simulation() -> None:
    """At least ~95% whatever the judge (ties and shared controls only make it conservative); the pure
    win-or-lose case is the binomial one, where Wilson's coverage wobbles around 95%."""
    rng = random.Random(20260301)
    for n in (4, 8, 16, 40):
        for easy, win, tie in ((0.0, 0.5, 0.0), (0.0, 0.3, 0.4), (0.5, 0.5, 0.0), (0.8, 0.2, 0.2), (0.9, 0.0, 0.0)):
            assert _coverage(rng, n, easy, win, tie) >= 0.925, (n, easy, win, tie)


def test_a_judge_at_chance_is_rarely_qualified() -> None:
    """The rule's false-qualification rate: a judge no better than chance clears it at most ~2.5% of the time."""
    rng = random.Random(7)
    for n in (4, 8, 16, 40):
        wrongly = sum(wilson_interval(sum(rng.choice((0.0, 0.5, 1.0)) for _ in range(n)), n)[0] > 0.5
                      for _ in range(3000))
        assert wrongly / 3000 <= 0.03, n

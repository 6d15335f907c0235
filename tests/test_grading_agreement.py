"""Judge-vs-human agreement: the statistics against hand computations, and the verdict in words."""

from __future__ import annotations

import math
from dataclasses import replace

import krippendorff
import numpy as np
import pytest

from core.grading.agreement import (
    alpha_with_interval,
    judge_human_agreement,
    krippendorff_alpha_ordinal,
    people_agreement,
    quadratic_weighted_kappa,
    spearman,
)
from core.grading.presets import HELPFULNESS
from core.grading.rubric import save_rubric
from store import Store, queries
from store.records import Grade, Judgment

JUDGE = "judge:m"


def test_weighted_kappa_matches_the_hand_computation() -> None:
    # judge a = [1, 2, 3, 4], people b = [1, 3, 3, 5]; quadratic weight (i-j)^2 / (5-1)^2.
    # Observed: squared gaps 0, 1, 0, 1 -> mean 2/4 = 0.5.
    # Expected by chance: a is uniform over {1,2,3,4}; b is 1: 1/4, 3: 1/2, 5: 1/4.
    #   E[(i-j)^2 | i=1] = 1/4*0 + 1/2*4 + 1/4*16 = 6
    #   i=2: 1/4*1 + 1/2*1 + 1/4*9 = 3;  i=3: 1/4*4 + 0 + 1/4*4 = 2;  i=4: 1/4*9 + 1/2*1 + 1/4*1 = 3
    #   mean over i: (6 + 3 + 2 + 3) / 4 = 3.5
    # kappa = 1 - 0.5 / 3.5 = 6/7 (the 1/16 weight scale cancels).
    assert quadratic_weighted_kappa([1, 2, 3, 4], [1, 3, 3, 5]) == pytest.approx(6 / 7)
    assert quadratic_weighted_kappa([1, 2, 5, 4], [1, 2, 5, 4]) == pytest.approx(1.0)
    # Full reversal [1, 5] vs [5, 1]: observed mean gap^2 16; chance: both 1 or 5 with p 1/2 -> 2 * 1/4 * 16 = 8;
    # kappa = 1 - 16/8 = -1.
    assert quadratic_weighted_kappa([1, 5], [5, 1]) == pytest.approx(-1.0)
    # A judge that says 3 to everything, people [1..5] twice: observed mean gap^2 (4+1+0+1+4)/5 = 2, and
    # chance is the same 2 because the judge's column is fixed -> kappa 0: no information beyond chance.
    assert quadratic_weighted_kappa([3] * 10, [1, 2, 3, 4, 5] * 2) == pytest.approx(0.0)
    assert quadratic_weighted_kappa([4, 4], [4, 4]) is None  # no chance disagreement: undefined, not 1
    assert quadratic_weighted_kappa([], []) is None


def test_spearman_matches_the_hand_computation() -> None:
    # a = [1, 2, 3, 4] ranks [1, 2, 3, 4]; b = [1, 3, 3, 5] ranks [1, 2.5, 2.5, 4] (ties share 2 and 3).
    # Deviations from 2.5: a [-1.5, -0.5, 0.5, 1.5], b [-1.5, 0, 0, 1.5].
    # rho = 4.5 / sqrt(5 * 4.5) = sqrt(0.9).
    assert spearman([1, 2, 3, 4], [1, 3, 3, 5]) == pytest.approx(math.sqrt(0.9))
    assert spearman([10, 20, 30], [3, 2, 1]) == pytest.approx(-1.0)
    assert spearman([1, 1, 1], [1, 2, 3]) is None
    assert spearman([1], [2]) is None


def _grades(store: Store, rubric, judge: list[int | None], human: list[int], grader: str = "ana") -> None:
    """Judgments and grades on items i0, i1, ...; ``None`` in ``judge`` is an unscored judgment."""
    queries.insert_many(store, [Judgment.build(
        {**_item(rubric, n), "judge_ref": JUDGE, "status": "unscored" if s is None else "scored",
         "scores": None if s is None else {"helpfulness": s}, "raw_replies": ["{}"]}) for n, s in enumerate(judge)])
    _people(store, rubric, grader, dict(enumerate(human)))


def _item(rubric, n: int) -> dict:
    """The fields a judgment and a grade of item ``i{n}`` of run ``r`` share (``GradedItem``)."""
    return {"run_id": "r", "item_id": f"i{n}", "sample_id": n + 1, "model_ref": "a:m", "prompt_id": f"p{n}",
            "response_chars": 10, "rubric_name": rubric.name, "rubric_version": rubric.version,
            "created_at": "2026-03-01T10:00:00+00:00"}


def _people(store: Store, rubric, grader: str, scores: dict[int, int]) -> None:
    queries.insert_many(store, [Grade.build({**_item(rubric, n), "grader": grader, "scores": {"helpfulness": s},
                                             "source": "app"}) for n, s in scores.items()])


def test_verdict_good_when_the_judge_tracks_people(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    people = [1, 2, 3, 4, 5, 1, 2, 3, 4, 5, 3]
    _grades(store, rubric, [*people[:10], None], people)  # the unscored 11th item is not comparable
    result = judge_human_agreement(store, "r", JUDGE, rubric)
    assert (result.n_items, result.n_pairs, result.level) == (10, 10, "good")
    assert result.kappa == pytest.approx(1.0) and result.spearman == pytest.approx(1.0)
    assert result.verdict == ("The judge agrees well with people on this rubric (κ=1.00, n=10): its scores can "
                              "stand in for manual grading.")
    assert [c.value for c in result.per_criterion["helpfulness"]] == pytest.approx([1.0, 1.0])
    # perfect agreement on 10 answers: no interval (leaving one out changes nothing), and the note says so
    assert result.pooled[0].ci95_low is None and result.pooled[0].note.startswith("no interval: every answer")


def test_verdict_poor_for_a_judge_that_always_says_three(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    _grades(store, rubric, [3] * 10, [1, 2, 3, 4, 5] * 2)
    result = judge_human_agreement(store, "r", JUDGE, rubric)
    assert result.level == "poor" and result.spearman is None
    assert result.verdict == ("The judge agrees poorly with people on this rubric (κ=0.00, n=10): treat judge "
                              "scores as a rough signal.")


def test_insufficient_overlap_and_other_graders(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    _grades(store, rubric, [1, 2, 3, 4], [1, 3, 3, 5])
    _people(store, rubric, "ben", {0: 2})
    everyone = judge_human_agreement(store, "r", JUDGE, rubric)
    assert (everyone.n_items, everyone.n_pairs, everyone.level) == (4, 5, "insufficient")
    assert everyone.verdict.startswith("Insufficient overlap: only 4 answers were graded by both")
    ana = judge_human_agreement(store, "r", JUDGE, rubric, grader="ana", min_overlap=4)
    assert ana.kappa == pytest.approx(6 / 7) and ana.level == "good"
    # another rubric version shares nothing with these grades
    version_2 = save_rubric(store, replace(HELPFULNESS, description="changed"))
    assert judge_human_agreement(store, "r", JUDGE, version_2).n_items == 0


# --- people with each other: Krippendorff's ordinal alpha ---------------------------------------------


def _units(matrix: np.ndarray) -> list[list[int]]:
    """Graders x answers (NaN = not graded) as units: per answer the scores it got."""
    return [[int(v) for v in column if not np.isnan(v)] for column in matrix.T]


def test_ordinal_alpha_matches_the_krippendorff_package_on_random_data() -> None:
    rng = np.random.default_rng(11)
    checked = 0
    for _ in range(300):
        graders, answers = int(rng.integers(2, 6)), int(rng.integers(2, 25))
        truth = rng.integers(1, 6, answers)
        noise = rng.integers(-int(rng.integers(0, 3)), int(rng.integers(1, 3)), (graders, answers))
        matrix = np.clip(truth + noise, 1, 5).astype(float)
        matrix[rng.random(matrix.shape) < rng.uniform(0, 0.5)] = np.nan  # some graders skip some answers
        ours = krippendorff_alpha_ordinal(_units(matrix))
        pairable = sum(len(u) for u in _units(matrix) if len(u) >= 2)
        if ours is None:
            assert pairable < 2 or len({v for u in _units(matrix) if len(u) >= 2 for v in u}) == 1
            continue
        reference = krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal",
                                       value_domain=[1, 2, 3, 4, 5])
        assert ours == pytest.approx(reference, abs=1e-9)
        checked += 1
    assert checked > 250


def test_ordinal_alpha_by_hand() -> None:
    # Two graders, answers (1,1) (5,5) (1,5): 6 pairable values, n_1 = 3, n_5 = 3.
    # Coincidences: o_11 = 2, o_55 = 2, o_15 = o_51 = 1. Mid-ranks 1.5 and 4.5: distance (4.5 - 1.5)^2 = 9.
    # alpha = 1 - (n - 1) * sum(o * d) / sum(n_c n_k d) = 1 - 5 * (2 * 9) / (2 * 3 * 3 * 9) = 1 - 90/162 = 4/9.
    assert krippendorff_alpha_ordinal([[1, 1], [5, 5], [1, 5]]) == pytest.approx(4 / 9)
    assert krippendorff_alpha_ordinal([[2, 2], [4, 4], [3]]) == pytest.approx(1.0)  # the lone 3 pairs with nobody
    assert krippendorff_alpha_ordinal([[4, 4], [4, 4]]) is None  # no variation: undefined, not 1
    assert krippendorff_alpha_ordinal([[3], [5]]) is None


def test_people_agreement_pools_criteria_with_an_interval_and_a_verdict(store: Store) -> None:
    rubric = save_rubric(store, HELPFULNESS)
    scores = [1, 2, 3, 4, 5] * 3
    _people(store, rubric, "ana", dict(enumerate(scores)))
    _people(store, rubric, "ben", {n: min(5, s + (n % 4 == 0)) for n, s in enumerate(scores)})
    _people(store, rubric, "cy", {0: 1})  # a third person on one answer
    result = people_agreement(store, "r", rubric)
    matrix = np.full((3, 15), np.nan)
    matrix[0], matrix[1] = scores, [min(5, s + (n % 4 == 0)) for n, s in enumerate(scores)]
    matrix[2, 0] = 1
    assert (result.n_items, result.n_graders) == (15, 3)
    assert result.alpha == pytest.approx(krippendorff.alpha(reliability_data=matrix, level_of_measurement="ordinal",
                                                            value_domain=[1, 2, 3, 4, 5]))
    assert result.ci95_low < result.alpha <= result.ci95_high <= 1.0
    assert result.level == "reliable" and result.verdict.startswith("People agree well with each other (α=0.9")
    assert "n=15 answers" in result.verdict

    few = people_agreement(store, "r", rubric, min_overlap=20)
    assert few.level == "insufficient" and few.verdict.startswith("Too few answers graded by two or more people (15")


def test_the_alpha_interval_covers_the_true_alpha_by_simulation() -> None:
    """Two graders, each one level off the answer's true level 20% of the time either way: the population
    alpha comes from 50,000 answers; 95% intervals from 20 answers must cover it at least 93% of the time."""
    rng = np.random.default_rng(5)

    def graded(n: int) -> list[list[list[int]]]:
        truth = rng.integers(1, 6, n)
        noise = rng.choice([-1, 0, 1], size=(n, 2), p=[.2, .6, .2])
        return [[list(row)] for row in np.clip(truth[:, None] + noise, 1, 5).tolist()]

    population, _, _ = alpha_with_interval(graded(50_000), draws=1)
    hits = 0
    for seed in range(300):
        alpha, low, high = alpha_with_interval(graded(20), seed=seed, draws=1000)
        hits += low is not None and low <= population <= high
    assert hits / 300 >= 0.93

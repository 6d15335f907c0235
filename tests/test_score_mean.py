"""Quality means and their intervals at small n (``core.grading.score_mean``): the t quantile against
scipy, the floors, and coverage by seeded simulation on 1-5 ordinal data."""

from __future__ import annotations

import numpy as np
import pytest

from core.grading.score_mean import score_mean

LEVELS = np.arange(1, 6)


def test_two_equal_scores_are_too_few_and_five_equal_scores_are_never_a_zero_width_interval() -> None:
    two = score_mean([5, 5])
    assert (two.n, two.mean, two.ci95_low, two.ci95_high) == (2, 5.0, None, None)
    assert two.note == "too few answers for an interval (n=2, need 3)"
    five = score_mean([5] * 5)
    assert five.mean == 5.0 and five.ci95_high == 5.0 and five.note is None
    assert five.ci95_low is not None and five.ci95_low < 4.0  # five 5s cannot rule out a mean of 4
    assert score_mean([]).note == "no scores yet" and score_mean([]).mean is None


def test_the_interval_stays_on_the_scale_and_contains_the_mean() -> None:
    rng = np.random.default_rng(3)
    for n in (3, 4, 7, 30):
        for _ in range(200):
            values = list(rng.integers(1, 6, n).astype(float))
            q = score_mean(values)
            assert 1.0 <= q.ci95_low <= q.mean <= q.ci95_high <= 5.0
    many = score_mean([4.0, 5.0] * 50)
    assert many.ci95_high - many.ci95_low < 0.25  # the pseudo-answers cost little at n = 100


def _distributions(rng: np.random.Generator) -> list[np.ndarray]:
    """Random distributions over 1-5, and the skewed and two-peaked ones judges produce."""
    skewed = [[.2, 0, 0, 0, .8], [0, 0, 0, .1, .9], [.1, 0, 0, 0, .9], [.5, 0, 0, 0, .5], [.02, 0, 0, 0, .98],
              [0, 0, .2, .5, .3], [.05, .05, .1, .3, .5], [0, 0, 0, .3, .7], [.9, .1, 0, 0, 0]]
    return [rng.dirichlet(np.ones(5)) for _ in range(20)] + [np.array(p) for p in skewed]


@pytest.mark.parametrize("n", [5, 10, 30])
def test_coverage_is_at_least_93_percent_from_n_5(n: int) -> None:
    rng = np.random.default_rng(2026)
    worst = 1.0
    for p in _distributions(rng):
        truth = float(LEVELS @ p)
        draws = rng.choice(LEVELS, size=(1500, n), p=p).astype(float)
        hits = 0
        for values in draws:
            q = score_mean(list(values))
            hits += q.ci95_low - 1e-9 <= truth <= q.ci95_high + 1e-9
        worst = min(worst, hits / len(draws))
    assert worst >= 0.93, f"worst coverage {worst:.3f} at n={n}"

"""Kappa and Spearman from score tables (``core.grading.coefficients``): against scikit-learn and scipy, the
interval's coverage by seeded simulation, and the notes where there is no interval."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import spearmanr
from sklearn.metrics import cohen_kappa_score

from core.grading.coefficients import coefficient, kappa_of, score_table, spearman_of, value_of
from core.grading.results import length_rho
from core.grading.rubric import LEVELS

SCORES = st.lists(st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)), min_size=2, max_size=40)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(pairs=SCORES)
def test_table_statistics_match_scikit_learn_and_scipy(pairs: list[tuple[int, int]]) -> None:
    judge, person = [p[0] for p in pairs], [p[1] for p in pairs]
    table = score_table(pairs, LEVELS)
    kappa, rho = value_of(kappa_of, table), value_of(spearman_of, table)
    if len(set(judge)) > 1 and len(set(person)) > 1:
        assert rho == pytest.approx(spearmanr(judge, person).statistic, abs=1e-9)
    else:
        assert rho is None
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns where kappa is undefined (its NaN is checked)
        reference = cohen_kappa_score(judge, person, labels=list(LEVELS), weights="quadratic")
    if kappa is None:
        assert np.isnan(reference) or len(set(judge) | set(person)) == 1
    else:
        assert kappa == pytest.approx(reference, abs=1e-9)


def _answers(rng: np.random.Generator, n: int, noise: float) -> tuple[np.ndarray, np.ndarray]:
    """People's scores (a skewed 1-5 mix) and a judge that is kinder by 0.3 points with ``noise``."""
    person = rng.choice(np.arange(1, 6), size=n, p=[0.1, 0.2, 0.3, 0.25, 0.15])
    judge = np.clip(np.rint(person + rng.normal(0.3, noise, n)), 1, 5).astype(int)
    return judge, person


def _tables(judge: np.ndarray, person: np.ndarray) -> np.ndarray:
    tables = np.zeros((len(judge), 5, 5))
    tables[np.arange(len(judge)), judge - 1, person - 1] = 1
    return tables


@pytest.mark.parametrize("noise", [0.7, 1.2])
def test_the_interval_covers_the_true_kappa_and_rho_at_least_93_percent_from_10_answers(noise: float) -> None:
    rng = np.random.default_rng(20261130)
    truth_tables = _tables(*_answers(rng, 200_000, noise)).sum(axis=0)
    truths = {kappa_of: float(kappa_of(truth_tables)), spearman_of: float(spearman_of(truth_tables))}
    for n in (10, 20):
        covered = dict.fromkeys(truths, 0)
        trials = 400
        for _ in range(trials):
            tables = _tables(*_answers(rng, n, noise))
            for statistic, truth in truths.items():
                c = coefficient(statistic, tables)
                low = -1.0 if c.ci95_low is None else c.ci95_low  # no interval: claims nothing, never misses
                high = 1.0 if c.ci95_high is None else c.ci95_high
                covered[statistic] += low <= truth <= high
        rates = {statistic.__name__: hits / trials for statistic, hits in covered.items()}
        # measured (seed above, 400 trials): noise 0.7: n=10 kappa 96.25%, rho 98.25%; n=20 95.75%, 94.0%
        #                                      noise 1.2: n=10 kappa 94.5%, rho 96.5%; n=20 93.75%, 94.75%
        assert min(rates.values()) >= 0.93, (noise, n, rates)


def test_no_interval_below_the_floor_or_without_spread_and_the_note_says_why() -> None:
    few = coefficient(kappa_of, _tables(np.array([1, 2, 3, 4]), np.array([1, 3, 3, 5])))
    assert (few.value, few.n, few.ci95_low) == (pytest.approx(6 / 7), 4, None)
    assert few.note == "too few answers for an interval (n=4, need 10)"
    constant = coefficient(kappa_of, _tables(np.array([3] * 12), np.array([3] * 12)))
    assert constant.value is None and constant.note.startswith("undefined")
    perfect = coefficient(kappa_of, _tables(np.array([1, 2, 3, 4, 5] * 2), np.array([1, 2, 3, 4, 5] * 2)))
    assert perfect.value == pytest.approx(1.0) and perfect.ci95_low is None  # never a zero-width "1.00-1.00"
    lone = coefficient(spearman_of, _tables(np.array([1] + [3] * 10), np.array([2] + [4] * 10)))
    assert lone.ci95_low is None and lone.note.startswith("no interval: leaving out one answer")



@pytest.mark.parametrize("r", [0.0, 0.6])
def test_the_length_bias_interval_covers_the_true_rho_at_least_93_percent(r: float) -> None:
    """Score against length, one model: bivariate normal with a skewed length, where Spearman's rho is exactly
    (6 / pi) asin(r / 2) (Pearson 1907). Measured (seed below, 300 trials): r=0: n=8 97.3%, n=20 97.7%;
    r=0.6: n=8 98.0%, n=20 97.7%."""
    rng = np.random.default_rng(1907)
    truth = 6 / np.pi * np.arcsin(r / 2)
    for n in (8, 20):
        covered, trials = 0, 300
        for _ in range(trials):
            x = rng.multivariate_normal([0, 0], [[1, r], [r, 1]], n)
            c = length_rho([(float(score), int(1000 * np.exp(length))) for score, length in x])
            assert c is not None
            low = -1.0 if c.ci95_low is None else c.ci95_low
            high = 1.0 if c.ci95_high is None else c.ci95_high
            covered += low <= truth <= high
        assert covered / trials >= 0.93, (r, n, covered / trials)

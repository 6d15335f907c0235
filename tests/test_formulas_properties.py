"""The core formulas against reference implementations on many random cases (hypothesis, derandomized so the
suite is deterministic; each test a few seconds at most).

Covered here: percentiles (numpy's and a hand-written Hyndman-Fan type 7), std and CV, quadratic-weighted
kappa (scikit-learn), Spearman (scipy), Wilson and Clopper-Pearson intervals (scipy), the weighted score of
complete models and the Pareto front (brute force, with equal points). Elsewhere, not duplicated: Krippendorff's
alpha against the ``krippendorff`` package (tests/test_grading_agreement.py), the Bradley-Terry fit against a
direct maximum-likelihood fit (tests/test_bradley_terry.py), kappa and Spearman from score tables
(tests/test_grading_coefficients.py).
"""

from __future__ import annotations

import math
import statistics
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy.stats import beta, binomtest, spearmanr
from sklearn.metrics import cohen_kappa_score

from core.benchmark.metrics import percentile, summarize
from core.decide.candidates import Candidate, CandidateTable
from core.decide.pareto import pareto_quality_latency
from core.decide.ranking import rank
from core.decide.settings import ABSOLUTE_SCALES, SelectionSettings, default_criteria
from core.grading.agreement import quadratic_weighted_kappa, spearman
from core.grading.controls import wilson_interval
from core.grading.proportions import clopper_pearson
from core.grading.rubric import LEVELS

FAST = settings(max_examples=150, deadline=None, derandomize=True)
FINITE = st.floats(-1e6, 1e6, allow_nan=False, allow_infinity=False)


# --- percentiles, std, CV ----------------------------------------------------------------------------


def _type7(values: list[float], q: float) -> float:
    """Hyndman & Fan's type 7 by hand: position (n - 1) q / 100 between the order statistics."""
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    below = math.floor(position)
    above = min(below + 1, len(ordered) - 1)
    return ordered[below] + (position - below) * (ordered[above] - ordered[below])


@FAST
@given(values=st.lists(st.one_of(FINITE, st.none(), st.just(math.nan)), min_size=1, max_size=60),
       q=st.floats(0, 100))
def test_percentile_is_type_7_ignores_missing_values_and_stays_in_range(values: list[float | None], q: float) -> None:
    present = [v for v in values if v is not None and not math.isnan(v)]
    result = percentile(values, q)
    if not present:
        assert result is None
        return
    assert result is not None
    assert result == pytest.approx(float(np.percentile(present, q)), rel=1e-9, abs=1e-6)
    assert result == pytest.approx(_type7(present, q), rel=1e-9, abs=1e-6)
    assert min(present) <= result <= max(present)


@FAST
@given(values=st.lists(FINITE, min_size=1, max_size=40), q1=st.floats(0, 100), q2=st.floats(0, 100))
def test_percentile_is_monotone_in_q(values: list[float], q1: float, q2: float) -> None:
    low, high = sorted((q1, q2))
    assert percentile(values, low) <= percentile(values, high) + 1e-9  # type: ignore[operator]


@FAST
@given(values=st.lists(st.floats(1e-3, 1e4), min_size=2, max_size=40))
def test_std_and_cv_match_the_sample_standard_deviation(values: list[float]) -> None:
    summary = summarize(values, n_boot=1)
    sd = statistics.stdev(values)
    assert summary.std == pytest.approx(sd, rel=1e-9, abs=1e-9)
    assert summary.cv_pct == pytest.approx(sd / statistics.fmean(values) * 100, rel=1e-9, abs=1e-9)


# --- agreement: kappa, Spearman --------------------------------------------------------------------


@FAST
@given(pairs=st.lists(st.tuples(st.sampled_from(LEVELS), st.sampled_from(LEVELS)), min_size=1, max_size=60))
def test_quadratic_weighted_kappa_matches_scikit_learn(pairs: list[tuple[int, int]]) -> None:
    a, b = [p[0] for p in pairs], [p[1] for p in pairs]
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns where kappa is undefined; None is checked below
        reference = cohen_kappa_score(a, b, labels=list(LEVELS), weights="quadratic")
    ours = quadratic_weighted_kappa(a, b)
    if ours is None:  # no chance disagreement: both raters gave one and the same score throughout
        assert len(set(a) | set(b)) == 1
    else:
        assert ours == pytest.approx(reference, abs=1e-9)


@FAST
@given(pairs=st.lists(st.tuples(st.integers(0, 6) | FINITE, st.integers(0, 6) | FINITE), min_size=2, max_size=50))
def test_spearman_matches_scipy_with_ties(pairs: list[tuple[float, float]]) -> None:
    a, b = [float(p[0]) for p in pairs], [float(p[1]) for p in pairs]
    ours = spearman(a, b)
    if len(set(a)) == 1 or len(set(b)) == 1:
        assert ours is None
    else:
        assert ours == pytest.approx(spearmanr(a, b).statistic, abs=1e-9)


# --- proportions: Wilson, Clopper-Pearson -------------------------------------------------------------


@FAST
@given(data=st.data(), n=st.integers(1, 2000))
def test_wilson_matches_scipy(data: st.DataObject, n: int) -> None:
    k = data.draw(st.integers(0, n))
    reference = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    assert wilson_interval(k, n) == pytest.approx((reference.low, reference.high), abs=1e-9)


@settings(max_examples=80, deadline=None, derandomize=True)
@given(data=st.data(), n=st.integers(1, 300))
def test_clopper_pearson_matches_the_beta_quantiles(data: st.DataObject, n: int) -> None:
    k = data.draw(st.integers(0, n))
    low = 0.0 if k == 0 else beta.ppf(0.025, k, n - k + 1)
    high = 1.0 if k == n else beta.ppf(0.975, k + 1, n - k)
    assert clopper_pearson(k, n) == pytest.approx((low, high), abs=1e-9)


# --- decide: the weighted score of complete models, the Pareto front ------------------------------------

LICENSES = {"apache-2.0": 1.0, "llama3": 0.5, "cc-by-nc-4.0": 0.0}
MEASURED = st.sampled_from([0.5, 1.0, 2.0, 4.0]) | st.floats(0.1, 100)  # repeated values make ties likely


@st.composite
def complete_models(draw: st.DrawFn) -> list[Candidate]:
    """2-5 models with every criterion measured (the weighted-score arithmetic, not the missing-data rule)."""
    n = draw(st.integers(2, 5))
    return [Candidate(ref=f"m{i}:x", latency_mean_s=draw(MEASURED), throughput_tps=draw(MEASURED),
                      memory_mb=draw(MEASURED), disk_mb=draw(MEASURED), license=draw(st.sampled_from(list(LICENSES))),
                      quality={"mean": draw(st.sampled_from([1.0, 2.5, 3.0, 4.0, 5.0]) | st.floats(1, 5)), "n": 5})
            for i in range(n)]


WEIGHTS = st.fixed_dictionaries({key: st.sampled_from([0, 1, 5, 10, 30]) for key in
                                 ("latency", "throughput", "memory", "quality", "footprint", "license")})


def _brute_force_scores(models: list[Candidate], weights: dict[str, float]) -> dict[str, float]:
    """score = 100 x sum over criteria of (weight share x normalised value); min-max over the models, 1 = best,
    all-equal = 1; quality and license on their own scale."""
    values = {"latency": [m.latency_mean_s for m in models], "throughput": [m.throughput_tps for m in models],
              "memory": [m.memory_mb for m in models], "footprint": [m.disk_mb for m in models],
              "quality": [m.quality_mean() for m in models], "license": [LICENSES[m.license] for m in models]}
    higher = {"latency": False, "throughput": True, "memory": False, "footprint": False, "quality": True,
              "license": True}
    total = sum(weights.values())
    scores = dict.fromkeys((m.ref for m in models), 0.0)
    for key, column in values.items():
        if key in ABSOLUTE_SCALES:
            low, high = ABSOLUTE_SCALES[key]
        else:
            low, high = min(column), max(column)
        for model, value in zip(models, column, strict=True):
            if high == low:
                normalised = 1.0
            else:
                normalised = (value - low) / (high - low) if higher[key] else (high - value) / (high - low)
            scores[model.ref] += 100 * weights[key] / total * normalised
    return scores


@FAST
@given(models=complete_models(), weights=WEIGHTS)
def test_the_weighted_score_of_complete_models_is_the_brute_force_sum(models: list[Candidate],
                                                                       weights: dict[str, float]) -> None:
    assume(sum(weights.values()) > 0)
    ranking = rank(CandidateTable(tuple(models)), SelectionSettings(criteria=default_criteria(weights),
                                                                    license_scores=LICENSES))
    expected = _brute_force_scores(models, weights)
    assert {m.ref: m.score for m in ranking.ranked} == pytest.approx(expected, abs=1e-9)
    for m in ranking.ranked:
        assert sum(m.contributions.values()) == pytest.approx(m.score, abs=1e-9)
    order = [m.ref for m in ranking.ranked]
    assert order == sorted(expected, key=lambda ref: (-round(expected[ref], 9), ref))


POINT = st.tuples(st.sampled_from([1.0, 3.0, 5.0]) | st.floats(1, 5),  # (quality, latency): repeats make twins
                  st.sampled_from([0.5, 1.0, 2.0]) | st.floats(0.1, 9))


@FAST
@given(points=st.lists(POINT, min_size=1, max_size=7))
def test_the_pareto_front_is_brute_force_dominance_and_equal_points_do_not_dominate(
        points: list[tuple[float, float]]) -> None:
    models = tuple(Candidate(ref=f"m{i}:x", latency_mean_s=lat, quality={"mean": q, "n": 5})
                   for i, (q, lat) in enumerate(points))
    ranking = rank(CandidateTable(models), SelectionSettings(criteria=default_criteria({"quality": 1, "latency": 1})))
    pareto = pareto_quality_latency(ranking)
    by_ref = {m.ref: (m.quality_mean(), m.latency_mean_s) for m in models}
    for point in pareto.points:
        q, lat = by_ref[point.ref]
        dominators = {ref for ref, (oq, olat) in by_ref.items()
                      if oq >= q and olat <= lat and (oq > q or olat < lat)}  # as good on both, better on one
        assert set(point.dominated_by) == dominators
        twins = {ref for ref, other in by_ref.items() if other == (q, lat) and ref != point.ref}
        assert not twins & set(point.dominated_by)  # equal on both axes: neither dominates the other
    assert {p.ref for p in pareto.points} == set(by_ref) and not pareto.not_plotted


def test_two_models_equal_on_both_axes_share_the_frontier() -> None:
    models = (Candidate(ref="a:x", latency_mean_s=1.0, quality={"mean": 4.0, "n": 5}),
              Candidate(ref="b:x", latency_mean_s=1.0, quality={"mean": 4.0, "n": 5}),
              Candidate(ref="c:x", latency_mean_s=2.0, quality={"mean": 3.0, "n": 5}))
    ranking = rank(CandidateTable(models), SelectionSettings(criteria=default_criteria({"quality": 1, "latency": 1})))
    front = {p.ref: p.on_frontier for p in pareto_quality_latency(ranking).points}
    assert front == {"a:x": True, "b:x": True, "c:x": False}

"""``core.intervals`` against scipy and by seeded simulation: the t quantile and interval, Cox's log-normal
interval, the bootstrap-t against a reference with 20x the resamples, the median's order statistics
against the binomial distribution, and the coverage each promises on the data Pickwise measures.

Two planted mistakes must turn something here red: an 80% interval labelled 95% (the t quantile, the
bootstrap's percentiles or the binomial tail) and 20 bootstrap resamples instead of 2,000.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from core.benchmark.metrics import summarize
from core.intervals import (
    MIN_FOR_INTERVAL,
    N_BOOT,
    bootstrap_t_interval,
    lognormal_interval,
    mean_interval,
    median_interval,
    median_ranks,
    quantile_interval,
    quantile_ranks,
    t_interval,
    t_quantile,
    t_quantile_975,
)

LEVELS = np.arange(1.0, 6.0)
ORDINAL_SPREAD = np.array([0.10, 0.20, 0.30, 0.25, 0.15])  # a judge that uses the whole scale
ORDINAL_SKEWED = np.array([0.05, 0.10, 0.20, 0.35, 0.30])  # most answers good

samples = st.lists(st.floats(min_value=-1e6, max_value=1e6, allow_nan=False), min_size=2, max_size=60).filter(
    lambda xs: np.std(xs) > 1e-6 * (1 + np.max(np.abs(xs))))


@pytest.mark.parametrize("level", [0.8, 0.9, 0.95, 0.99])
def test_t_quantile_matches_scipy(level: float) -> None:
    for df in [*range(1, 40), 60, 120, 500]:
        assert t_quantile(df, level) == pytest.approx(stats.t.ppf((1 + level) / 2, df), abs=1e-9)
    assert t_quantile_975(4) == pytest.approx(2.7764451051977987, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(samples)
def test_t_interval_matches_scipy(values: list[float]) -> None:
    data = np.asarray(values)
    expected = stats.t.interval(0.95, data.size - 1, loc=data.mean(), scale=stats.sem(data))
    assert t_interval(data) == pytest.approx(expected, rel=1e-9, abs=1e-9)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(min_value=1e-3, max_value=1e4), min_size=5, max_size=40).filter(
    lambda xs: np.std(np.log(xs)) > 1e-6))
def test_lognormal_interval_is_coxs_formula(values: list[float]) -> None:
    logs = np.log(values)
    n, centre, var = logs.size, logs.mean(), logs.var(ddof=1)
    half = stats.t.ppf(0.975, n - 1) * math.sqrt(var / n + var**2 / (2 * (n - 1)))
    assert lognormal_interval(np.asarray(values)) == pytest.approx(
        (math.exp(centre + var / 2 - half), math.exp(centre + var / 2 + half)), rel=1e-9)


def _reference_bootstrap_t(data: np.ndarray, n_boot: int, seed: int) -> tuple[float, float]:
    """Efron & Tibshirani's studentized bootstrap written out plainly, for comparison."""
    rng = np.random.default_rng(seed)
    n, mean, se = data.size, data.mean(), data.std(ddof=1) / math.sqrt(data.size)
    rows = data[rng.integers(0, n, size=(n_boot, n))]
    sds = rows.std(axis=1, ddof=1)
    ts = (rows.mean(axis=1)[sds > 0] - mean) / (sds[sds > 0] / math.sqrt(n))
    return mean - np.quantile(ts, 0.975) * se, mean - np.quantile(ts, 0.025) * se


def _median_miss(intervals: list[tuple[float, float]], reference: tuple[float, float]) -> float:
    """The median over seeds of how far an interval's farther end is from the reference, in widths."""
    width = reference[1] - reference[0]
    return float(np.median([max(abs(lo - reference[0]), abs(hi - reference[1])) / width for lo, hi in intervals]))


@pytest.mark.parametrize("n", [15, 30])
def test_bootstrap_t_agrees_with_a_reference_of_twenty_times_the_resamples(n: int) -> None:
    """Measured: 2,000 resamples miss the reference by ~2% of its width; 20 resamples by 20-25%, an 80%
    interval by more."""
    data = np.random.default_rng(n).lognormal(0.0, 1.0, n)
    reference = _reference_bootstrap_t(data, 40_000, seed=99)
    got = [bootstrap_t_interval(data, np.random.default_rng(seed)) for seed in range(10)]
    assert _median_miss(got, reference) < 0.07


def test_summaries_use_2000_resamples() -> None:
    """Through ``summarize`` with its defaults: the hull's ends sit where 40,000 resamples put them."""
    data = np.random.default_rng(30).lognormal(0.0, 1.0, 30)
    reference = mean_interval(data, seed=99, n_boot=40_000)
    got = [(s.ci95_low, s.ci95_high) for s in (summarize(data.tolist(), seed=seed) for seed in range(10))]
    assert N_BOOT == 2000
    assert _median_miss(got, (reference.low, reference.high)) < 0.07


def test_floors_and_no_zero_width_interval() -> None:
    few = mean_interval(np.array([1.0, 2.0, 3.0, 4.0]))
    assert (few.low, few.high) == (None, None)
    assert few.note == f"too few samples for an interval (n=4, need {MIN_FOR_INTERVAL})"
    flat = mean_interval(np.full(12, 5.0))
    assert (flat.low, flat.high) == (None, None) and flat.note.startswith("no spread observed: all 12 samples equal 5")
    assert mean_interval(np.array([5.0, 5.0, 5.0])).note.startswith("too few samples")
    assert median_interval(np.arange(5.0)).low is None and "median (n=5)" in median_interval(np.arange(5.0)).note
    assert median_interval(np.full(30, 2.0)).note == "no spread observed around the median (2)"


def test_a_mean_of_values_that_cannot_be_negative_has_no_negative_bound() -> None:
    """A few fast requests and one stall: Student's t reaches below zero, the interval stops at zero."""
    data = np.array([0.001, 0.002, 0.001, 0.003, 3.0])
    assert t_interval(data)[0] < 0
    interval = mean_interval(data)
    assert interval.low == 0.0 and interval.high >= t_interval(data)[1]


def test_negative_values_use_the_t_and_bootstrap_t_only() -> None:
    data = np.array([-3.0, -1.0, 0.5, 2.0, 4.0, 7.0])
    interval = mean_interval(data)
    t_low, t_high = t_interval(data)
    assert interval.low <= t_low and interval.high >= t_high and math.isfinite(interval.low)


@pytest.mark.parametrize("n", [*range(1, 60), 100, 1000])
def test_median_ranks_match_the_binomial_tail(n: int) -> None:
    ranks = median_ranks(n)
    if n < 6:
        assert ranks is None
        return
    k, upper = ranks
    assert upper == n - k + 1
    assert stats.binom.cdf(k - 1, n, 0.5) <= 0.025 < stats.binom.cdf(k, n, 0.5)


@pytest.mark.parametrize("q", [0.5, 0.9, 0.95, 0.99])
@pytest.mark.parametrize("n", [5, 20, 71, 72, 500, 5000])
def test_quantile_ranks_match_the_binomial_tails(n: int, q: float) -> None:
    lower, upper = quantile_ranks(n, q)
    if lower is None:
        assert stats.binom.cdf(0, n, q) > 0.025
    else:
        assert stats.binom.cdf(lower - 1, n, q) <= 0.025 + 1e-12 and stats.binom.cdf(lower, n, q) > 0.025 - 1e-12
    if upper is None:
        assert stats.binom.cdf(n - 1, n, q) < 0.975
    else:
        assert stats.binom.sf(upper - 1, n, q) <= 0.025 + 1e-12 and stats.binom.sf(upper - 2, n, q) > 0.025 - 1e-12


def test_p95_interval_covers_and_says_when_the_sample_is_too_small() -> None:
    truth = math.exp(1.6448536269514722)  # the 95th percentile of lognormal(0, 1)
    rng = np.random.default_rng(11)
    hits = sum(bool((i := quantile_interval(rng.lognormal(0.0, 1.0, 100), 0.95, "p95")).low is not None
                    and i.low <= truth <= i.high) for _ in range(2000))
    assert hits / 2000 >= 0.95 - 2 * math.sqrt(0.95 * 0.05 / 2000)
    assert quantile_interval(np.arange(71.0), 0.95, "95th percentile").note == (
        "too few samples for an interval of the 95th percentile (n=71)")


def _coverage(draw, truth: float, n: int, reps: int, seed: int, centre: str = "mean") -> float:
    rng = np.random.default_rng(seed)
    hits = 0
    for i in range(reps):
        data = draw(rng, n)
        interval = mean_interval(data, seed=i) if centre == "mean" else median_interval(data)
        hits += interval.low is not None and interval.low <= truth <= interval.high  # no interval is a miss
    return hits / reps


MEAN_CASES = {
    "lognormal sigma 0.5": (lambda rng, n: rng.lognormal(0.0, 0.5, n), math.exp(0.125)),
    "lognormal sigma 1.0": (lambda rng, n: rng.lognormal(0.0, 1.0, n), math.exp(0.5)),
    "normal": (lambda rng, n: rng.normal(10.0, 2.0, n), 10.0),
    "1-5 spread": (lambda rng, n: rng.choice(LEVELS, n, p=ORDINAL_SPREAD), float(LEVELS @ ORDINAL_SPREAD)),
    "1-5 skewed": (lambda rng, n: rng.choice(LEVELS, n, p=ORDINAL_SKEWED), float(LEVELS @ ORDINAL_SKEWED)),
}


@pytest.mark.parametrize("n", [5, 12])
@pytest.mark.parametrize("case", list(MEAN_CASES))
def test_mean_interval_covers_at_least_93_percent_from_n_5(case: str, n: int) -> None:
    draw, truth = MEAN_CASES[case]
    coverage = _coverage(draw, truth, n, reps=600, seed=2026)
    assert coverage >= 0.93, f"{case}, n={n}: coverage {coverage:.3f}"


@pytest.mark.parametrize("n", [6, 9, 20])
def test_median_interval_covers_at_least_95_percent(n: int) -> None:
    truth = 1.0  # the median of lognormal(0, 1)
    coverage = _coverage(lambda rng, k: rng.lognormal(0.0, 1.0, k), truth, n, reps=2000, seed=7, centre="median")
    assert coverage >= 0.95 - 2 * math.sqrt(0.95 * 0.05 / 2000), f"n={n}: coverage {coverage:.3f}"

"""The paired ratio behind every Compare comparison, checked by simulation and against scipy (issue 12, defect 5).

Per prompt, the ratio of the two sides' means; over prompts, their geometric mean; the 95% interval a Student-t
interval on the per-prompt log ratios (the prompt is the unit of replication). Simulations are seeded, so the
suite is deterministic; the rates they measure are printed in the assertion messages:

* no change, 10% noise, 8-20 prompts with prompt effects, 2 and 3 rounds: how often a change is called
  (beyond noise and not negligible), at most 5% (a 95% interval misses 5% of the time by design; the check
  allows two standard errors of the simulation itself, and 20,000 runs per case measured 4.6-5.1%);
* a true 10% change: how often it is called (the power);
* a true 2x speed-up: how often the interval covers it.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from core.compare.ratios import MIN_CHANGE, paired_ratio

NOISE = 0.10


def _runs(rng: np.random.Generator, prompts: int, rounds: int, change: float) -> tuple[dict, dict]:
    """Two runs over the same prompts: prompt effects (a lognormal spread times a length ladder), 10% noise
    per request, and the candidate ``change`` times the baseline."""
    centre = np.exp(rng.normal(0, 0.5, prompts)) * np.linspace(1, 5, prompts)
    base = centre[:, None] * (1 + rng.normal(0, NOISE, (prompts, rounds)))
    cand = change * centre[:, None] * (1 + rng.normal(0, NOISE, (prompts, rounds)))
    return ({f"p{i}": list(row) for i, row in enumerate(base)}, {f"p{i}": list(row) for i, row in enumerate(cand)})


def _called_rate(seed: int, prompts: int, rounds: int, change: float, reps: int) -> float:
    rng = np.random.default_rng(seed)
    called = 0
    for _ in range(reps):
        ratio = paired_ratio(*_runs(rng, prompts, rounds, change))
        assert ratio is not None
        called += ratio.clear
    return called / reps


@pytest.mark.parametrize("prompts", [4, 8, 20])
@pytest.mark.parametrize("rounds", [2, 3])
def test_no_change_is_called_a_change_at_most_5_percent_of_the_time(prompts: int, rounds: int) -> None:
    reps = 2000
    rate = _called_rate(prompts * 10 + rounds, prompts, rounds, 1.0, reps=reps)
    allowed = 0.05 + 2 * math.sqrt(0.05 * 0.95 / reps)  # what a true 5% can measure over ``reps`` runs
    assert rate <= allowed, f"false alarms {rate:.1%} ({prompts} prompts, {rounds} rounds, 10% noise)"


@pytest.mark.parametrize(("prompts", "rounds", "floor"), [(8, 2, 0.4), (8, 3, 0.6), (20, 2, 0.85), (20, 3, 0.95)])
def test_power_for_a_true_10_percent_change(prompts: int, rounds: int, floor: float) -> None:
    power = _called_rate(prompts * 10 + rounds + 1, prompts, rounds, 1.10, reps=500)
    assert power >= floor, f"power for a 10% change {power:.1%} ({prompts} prompts, {rounds} rounds, 10% noise)"


@pytest.mark.parametrize("prompts", [4, 8, 20])
@pytest.mark.parametrize("rounds", [2, 3])
def test_a_speedup_interval_covers_the_true_speedup(prompts: int, rounds: int) -> None:
    rng = np.random.default_rng(prompts * 100 + rounds)
    reps, covered = 1000, 0
    for _ in range(reps):
        slow, fast = _runs(rng, prompts, rounds, 0.5)  # the other device takes half the time: 2x faster
        ratio = paired_ratio(fast, slow)  # slow / fast: the speed-up
        assert ratio is not None
        covered += ratio.ci95_low <= 2.0 <= ratio.ci95_high
    assert covered / reps >= 0.93, f"coverage {covered / reps:.1%} ({prompts} prompts, {rounds} rounds)"


def test_the_typical_ratio_is_a_geometric_mean_of_per_prompt_ratios_of_means() -> None:
    """One prompt twice as slow, one half as slow: typically no change (an arithmetic mean would say +25%)."""
    ratio = paired_ratio({"a": [1.0, 3.0], "b": [4.0, 4.0]}, {"a": [4.0, 4.0], "b": [1.0, 3.0]})
    assert ratio is not None and ratio.value == pytest.approx(1.0) and ratio.pairs == 2
    assert not ratio.beyond_noise and ratio.negligible


def _prompt_values() -> st.SearchStrategy[list[tuple[list[float], list[float]]]]:
    side = st.lists(st.floats(0.01, 100), min_size=1, max_size=4)
    return st.lists(st.tuples(side, side), min_size=2, max_size=12)


@settings(max_examples=100, deadline=None)
@given(_prompt_values())
def test_the_interval_is_scipys_paired_t_interval_on_log_ratios(pairs) -> None:
    base = {f"p{i}": b for i, (b, _) in enumerate(pairs)}
    cand = {f"p{i}": c for i, (_, c) in enumerate(pairs)}
    logs = np.log([np.mean(c) / np.mean(b) for b, c in pairs])
    ratio = paired_ratio(base, cand)
    assert ratio is not None and ratio.pairs == len(pairs)
    assert ratio.value == pytest.approx(math.exp(logs.mean()), rel=1e-9)
    sem = stats.sem(logs)
    if sem > 1e-12:
        low, high = stats.t.interval(0.95, len(logs) - 1, loc=logs.mean(), scale=sem)
        assert (ratio.ci95_low, ratio.ci95_high) == pytest.approx((math.exp(low), math.exp(high)), rel=1e-4)
    swapped = paired_ratio(cand, base)  # both sides count alike: swapping them inverts everything
    assert swapped is not None
    assert (swapped.value, swapped.ci95_low, swapped.ci95_high) == pytest.approx(
        (1 / ratio.value, 1 / ratio.ci95_high, 1 / ratio.ci95_low), rel=1e-9)


def test_only_shared_prompts_with_positive_values_are_paired() -> None:
    assert paired_ratio({"a": [1.0]}, {"a": [2.0]}) is None  # one prompt: no spread, no interval
    assert paired_ratio({"a": [1.0], "b": [1.0]}, {"a": [2.0], "c": [2.0]}) is None
    ratio = paired_ratio({"a": [1.0], "b": [2.0], "c": [0.0]}, {"a": [2.0], "b": [4.4], "c": [1.0], "d": [9.0]})
    assert ratio is not None and ratio.pairs == 2


def test_a_change_under_min_change_is_negligible() -> None:
    base = {f"p{i}": [float(i + 1), float(i + 1)] for i in range(40)}
    nudged = {p: [v * (1 + MIN_CHANGE / 2) + 1e-6 * i for i, v in enumerate(vals)] for p, vals in base.items()}
    ratio = paired_ratio(base, nudged)
    assert ratio is not None and ratio.beyond_noise and ratio.negligible and not ratio.clear

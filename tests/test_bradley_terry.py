"""The Bradley-Terry fit against a reference: a direct maximum-likelihood fit with scipy.optimize on random
data, and recovery of known strengths from simulated comparisons."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import minimize

from core.grading.bradley_terry import fit_strengths, win_matrix


def _reference(models: list[str], wins: dict[tuple[str, str], float], prior_ties: float) -> np.ndarray:
    """Maximise the (tie-padded) Bradley-Terry log-likelihood directly over log-strengths."""
    w = win_matrix(models, wins)
    w = w + prior_ties / 2 * ((w + w.T) > 0)

    def negative_log_likelihood(theta: np.ndarray) -> float:
        diff = theta[:, None] - theta[None, :]
        return float(np.sum(w * np.logaddexp(0.0, -diff)))  # -log(s_i / (s_i + s_j)) = log(1 + e^-(t_i - t_j))

    found = minimize(negative_log_likelihood, np.zeros(len(models)), method="BFGS", options={"gtol": 1e-10})
    theta = found.x - found.x.mean()
    return np.exp(theta)


def _random_wins(rng: np.random.Generator, models: list[str]) -> dict[tuple[str, str], float]:
    """Random counts (halves included, as ties give) with every model winning and losing at least once."""
    return {(a, b): float(rng.integers(1, 12)) / 2 for a, b in itertools.permutations(models, 2)}


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("prior_ties", [0.0, 1.0])
def test_the_fit_matches_a_direct_maximum_likelihood_fit(seed: int, prior_ties: float) -> None:
    rng = np.random.default_rng(seed)
    models = [f"m{i}" for i in range(int(rng.integers(2, 6)))]
    wins = _random_wins(rng, models)
    fitted = fit_strengths(models, wins, prior_ties=prior_ties)
    assert fitted is not None
    np.testing.assert_allclose([fitted[m] for m in models], _reference(models, wins, prior_ties), rtol=1e-5)


def test_known_strengths_are_recovered_from_simulated_comparisons() -> None:
    rng = np.random.default_rng(7)
    truth = {"a": 4.0, "b": 2.0, "c": 1.0, "d": 0.5}
    truth = {m: s / np.exp(np.mean(np.log(list(truth.values())))) for m, s in truth.items()}
    wins: dict[tuple[str, str], float] = {}
    for a, b in itertools.combinations(truth, 2):
        a_wins = int(rng.binomial(400, truth[a] / (truth[a] + truth[b])))
        wins[(a, b)], wins[(b, a)] = a_wins, 400 - a_wins
    fitted = fit_strengths(list(truth), wins)
    assert fitted is not None
    assert sorted(fitted, key=fitted.get, reverse=True) == ["a", "b", "c", "d"]
    for model, strength in truth.items():
        assert fitted[model] == pytest.approx(strength, rel=0.15)


def test_a_model_that_wins_everything_stays_finite_with_the_prior() -> None:
    wins = {("a", "b"): 5.0, ("a", "c"): 5.0, ("b", "c"): 3.0, ("c", "b"): 2.0}
    assert fit_strengths(["a", "b", "c"], wins, prior_ties=0.0) is None  # the likelihood has no maximum
    fitted = fit_strengths(["a", "b", "c"], wins)
    assert fitted is not None and fitted["a"] > fitted["b"] > fitted["c"] and np.isfinite(fitted["a"])


def test_models_never_linked_by_a_comparison_have_no_common_scale() -> None:
    wins = {("a", "b"): 2.0, ("b", "a"): 1.0, ("c", "d"): 1.0, ("d", "c"): 1.0}
    assert fit_strengths(["a", "b", "c", "d"], wins) is None
    assert fit_strengths(["a"], {}) is None

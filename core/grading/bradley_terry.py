"""Bradley-Terry strengths from pairwise outcomes: one ranking across every model pair.

The model: model i beats model j with probability ``s_i / (s_i + s_j)``. Win rates per pair answer
"is A better than B?"; the fit puts every pair on one scale, so three models compared pairwise get one
ranking (Chatbot Arena's leaderboard is this fit). A tie counts as half a win for each side.

Fitted by Hunter's (2004) minorization-maximization iteration, which raises the likelihood at every
step and needs nothing beyond numpy; tests/test_bradley_terry.py checks it against a direct
maximum-likelihood fit with scipy.optimize and its recovery of known strengths by simulation.

With the few prompts a local evaluation has, one model often wins every comparison, and then the
maximum-likelihood strength is infinite. ``prior_ties`` adds that many virtual tied comparisons to every
pair that was compared (one by default), which keeps every strength finite and pulls it gently toward
the others; its weight fades as real comparisons accumulate. Strengths are only comparable within
models linked by comparisons, so a comparison graph in several pieces has no fit (``None``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

MAX_ITERATIONS = 10_000
TOLERANCE = 1e-10


def _connected(counts: np.ndarray) -> bool:
    """Every model reachable from the first through pairs with at least one comparison."""
    seen, frontier = {0}, [0]
    while frontier:
        i = frontier.pop()
        for j in np.flatnonzero(counts[i] > 0):
            if int(j) not in seen:
                seen.add(int(j))
                frontier.append(int(j))
    return len(seen) == len(counts)


def win_matrix(models: Sequence[str], wins: Mapping[tuple[str, str], float]) -> np.ndarray:
    """``W[i, j]``: wins of ``models[i]`` over ``models[j]`` (ties already counted as halves)."""
    index = {m: i for i, m in enumerate(models)}
    matrix = np.zeros((len(models), len(models)))
    for (winner, loser), count in wins.items():
        matrix[index[winner], index[loser]] += count
    return matrix


def fit_strengths(models: Sequence[str], wins: Mapping[tuple[str, str], float], *,
                  prior_ties: float = 1.0) -> dict[str, float] | None:
    """Strengths (geometric mean 1) of ``models`` from ``wins[(winner, loser)]``; ``None`` when the
    comparisons do not link every model, or (``prior_ties=0``) a model never won or never lost."""
    if len(models) < 2:
        return None
    w = win_matrix(models, wins)
    counts = w + w.T
    if not _connected(counts):
        return None
    w = w + prior_ties / 2 * (counts > 0)
    counts = w + w.T
    total_wins = w.sum(axis=1)
    if np.any(total_wins <= 0) or np.any(total_wins >= counts.sum(axis=1)):
        return None
    strength = np.ones(len(models))
    for _ in range(MAX_ITERATIONS):
        pair_sums = strength[:, None] + strength[None, :]
        updated = total_wins / (counts / pair_sums).sum(axis=1)
        updated /= np.exp(np.log(updated).mean())
        converged = np.max(np.abs(np.log(updated) - np.log(strength))) < TOLERANCE
        strength = updated
        if converged:
            break
    return {m: float(s) for m, s in zip(models, strength, strict=True)}

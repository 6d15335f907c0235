"""How fragile the winner is: how far each weight can move before it changes, and how often it wins under
random weights near the chosen ones.

Both follow ``rank``'s own rule (complete models first) on the normalised values the ranking computed,
rather than a formula that could drift from it; the random weights are seeded so a record reproduces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.decide.ranking import Ranking
from core.decide.settings import CRITERION_LABELS


@dataclass(frozen=True)
class WeightFlip:
    """How far one weight can move (others keeping their proportions) before the winner changes."""

    criterion: str
    weight: float  # current share of 1
    lower: float | None  # below this share another model wins; None: the winner holds down to 0
    lower_winner: str | None
    upper: float | None  # above this share another model wins; None: the winner holds up to 1
    upper_winner: str | None


@dataclass(frozen=True)
class WinProbability:
    """Share of random weightings (Dirichlet around the chosen weights) each model wins."""

    probabilities: dict[str, float]
    draws: int
    seed: int
    concentration: float


@dataclass(frozen=True)
class Sensitivity:
    flips: tuple[WeightFlip, ...]
    win: WinProbability


@dataclass(frozen=True)
class _Matrix:
    """The ranking reduced to what sensitivity needs: refs sorted (ties -> first ref), normalised values."""

    refs: list[str]
    keys: list[str]
    norm: np.ndarray
    weights: np.ndarray


def _matrix(ranking: Ranking) -> _Matrix:
    models = sorted(ranking.ranked, key=lambda m: m.ref)
    keys = [k for k in ranking.weights if any(m.normalised[k] is not None for m in models)]
    norm = np.array([[np.nan if m.normalised[k] is None else m.normalised[k] for k in keys] for m in models],
                    dtype=float).reshape(len(models), len(keys))
    return _Matrix([m.ref for m in models], keys, norm, np.array([ranking.weights[k] for k in keys]))


def _winners(norm: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Winner index per weight row (rows x criteria), by the same rule as ``rank``: complete models first.

    A model is complete when it has every criterion whose weight is positive in that row."""
    has = ~np.isnan(norm)
    filled = np.where(has, norm, 0.0)
    covered = weights @ has.T.astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = (weights @ filled.T) / covered
    positive = weights > 0
    complete = ~(positive[:, None, :] & ~has[None, :, :]).any(axis=2)
    any_complete = complete.any(axis=1, keepdims=True)
    eligible = np.where(any_complete, complete, True) & ~np.isnan(scores)
    return np.where(eligible, np.nan_to_num(scores, nan=-np.inf), -np.inf).argmax(axis=1)


def _weights_with(base: np.ndarray, j: int, share: np.ndarray) -> np.ndarray:
    """Rows of weights where criterion ``j`` has ``share`` and the others keep their proportions."""
    others = base.copy()
    others[j] = 0.0
    others = others / others.sum()
    rows = np.outer(1 - share, others)
    rows[:, j] = share
    return rows


def _first_flip(mat: _Matrix, j: int, start: float, end: float, winner: int, steps: int,
                tol: float) -> tuple[float | None, str | None]:
    """Scan from ``start`` to ``end`` for the first share where another model wins, then bisect to ``tol``."""
    grid = np.linspace(start, end, steps + 1)
    winners = _winners(mat.norm, _weights_with(mat.weights, j, grid))
    changed = np.flatnonzero(winners != winner)
    if changed.size == 0:
        return None, None
    if changed[0] == 0:  # a float-level tie at the current weights: it flips at once
        return float(start), mat.refs[winners[0]]
    inside, outside = grid[changed[0] - 1], grid[changed[0]]
    while abs(outside - inside) > tol:
        mid = (inside + outside) / 2
        if _winners(mat.norm, _weights_with(mat.weights, j, np.array([mid])))[0] == winner:
            inside = mid
        else:
            outside = mid
    new = _winners(mat.norm, _weights_with(mat.weights, j, np.array([outside])))[0]
    return float((inside + outside) / 2), mat.refs[new]


def weight_flips(ranking: Ranking, *, steps: int = 400, tol: float = 1e-6) -> tuple[WeightFlip, ...]:
    """For each criterion with data: the weight shares, below and above the current one, at which the
    winner changes. Found by scanning ``steps`` points each way and bisecting the first change, so it
    follows ``rank`` exactly (including the missing-data policy) rather than a formula that could drift."""
    if ranking.winner is None:
        return ()
    mat = _matrix(ranking)
    winner = mat.refs.index(ranking.winner)
    flips = []
    for j, key in enumerate(mat.keys):
        if np.delete(mat.weights, j).sum() <= 0:  # nothing to trade weight with
            flips.append(WeightFlip(key, float(mat.weights[j]), None, None, None, None))
            continue
        current = float(mat.weights[j])
        lower, lower_winner = _first_flip(mat, j, current, 0.0, winner, steps, tol)
        upper, upper_winner = _first_flip(mat, j, current, 1.0, winner, steps, tol)
        flips.append(WeightFlip(key, current, lower, lower_winner, upper, upper_winner))
    return tuple(flips)


def win_probabilities(ranking: Ranking, *, draws: int = 2000, concentration: float = 50.0,
                      seed: int = 0) -> WinProbability:
    """How often each model wins when the weights are drawn from Dirichlet(concentration x weights).

    Higher ``concentration`` keeps draws closer to the chosen weights (at 50, a 30% weight moves by about
    6 points, one standard deviation); zero weights stay zero. Seeded, so a record can be reproduced."""
    if draws < 1 or concentration <= 0:
        raise ValueError("Draws and concentration must be positive.")
    mat = _matrix(ranking)
    if not mat.refs:
        return WinProbability({}, draws, seed, concentration)
    positive = mat.weights > 0
    sampled = np.zeros((draws, len(mat.keys)))
    sampled[:, positive] = np.random.default_rng(seed).dirichlet(concentration * mat.weights[positive], size=draws)
    counts = np.bincount(_winners(mat.norm, sampled), minlength=len(mat.refs))
    return WinProbability({ref: float(counts[i] / draws) for i, ref in enumerate(mat.refs)}, draws, seed,
                          concentration)


def sensitivity(ranking: Ranking, *, draws: int = 2000, concentration: float = 50.0, seed: int = 0) -> Sensitivity:
    """Both views of how fragile the winner is: per-weight flip points and random-weight win shares."""
    return Sensitivity(weight_flips(ranking), win_probabilities(ranking, draws=draws, concentration=concentration,
                                                                seed=seed))


def tornado_frame(flips: Sequence[WeightFlip]) -> pd.DataFrame:
    """Per criterion, how many weight points it can lose or gain before the winner changes (to 0 or 100
    when it never does), the nearest flip first: the bars of a tornado chart around the current weights."""
    rows = []
    for f in flips:
        down = 100 * (f.weight - (f.lower if f.lower is not None else 0.0))
        up = 100 * ((f.upper if f.upper is not None else 1.0) - f.weight)
        rows.append({"criterion": CRITERION_LABELS[f.criterion], "weight %": 100 * f.weight,
                     "down (points)": down, "up (points)": up,
                     "flips down": f.lower is not None, "flips up": f.upper is not None,
                     "winner below": f.lower_winner, "winner above": f.upper_winner})
    frame = pd.DataFrame(rows, columns=["criterion", "weight %", "down (points)", "up (points)", "flips down",
                                        "flips up", "winner below", "winner above"])
    down = frame["down (points)"].where(frame["flips down"], math.inf)
    up = frame["up (points)"].where(frame["flips up"], math.inf)
    fragility = pd.concat([down, up], axis=1).min(axis=1)  # distance to the nearest flip; inf: none
    return frame.assign(_f=fragility).sort_values("_f", kind="stable").drop(columns="_f").reset_index(drop=True)

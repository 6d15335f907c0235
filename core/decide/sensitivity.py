"""How fragile the winner is: how far each weight can move before it changes, how often it wins when the
weights AND the measurements are drawn again, and whether its lead is beyond measurement noise at all.

* ``weight_flips``: each weight moved on its own (the others keeping their proportions) on the ranked
  figures; a change only within half a display step (0.05 points) of 0% or 100% is a tie at the extreme,
  not a flip, so no sentence says "changes above 100.0%": the winner holds at any weight.
* ``win_probabilities``: ``DRAWS`` draws, each with weights from a Dirichlet around the chosen ones
  (concentration ``CONCENTRATION``) and the measured figures resampled (``core.decide.noise``).
* ``lead``: the weights FIXED, measurement noise only (``core.decide.lead``): a statistical tie or a
  named winner.

All follow ``rank``'s own scoring on the normalised figures rather than a formula that could drift from
it; every draw is seeded (``seed``) so a record reproduces.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.decide.candidates import CandidateTable
from core.decide.lead import Lead, lead_under_noise
from core.decide.noise import NoisyFigures, noisy_figures
from core.decide.ranking import Ranking
from core.decide.settings import CRITERION_LABELS, SelectionSettings

DRAWS = 2000  # draws for the win probabilities and the noise verdict: Monte-Carlo error <= 1.1 points
# Dirichlet concentration: higher keeps the draws nearer the chosen weights; at 50 a 30% weight moves by
# about 6 points (one standard deviation: sqrt(.3 x .7 / 51)). Zero weights stay zero.
CONCENTRATION = 50.0
EXTREME = 0.0005  # a flip closer than this to a 0% or 100% share is a tie at the extreme, not a flip


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
    """Share of draws each model wins, with weights drawn around the chosen ones and the measurements
    resampled (``noise``: whether any figure was; False when the samples were not at hand)."""

    probabilities: dict[str, float]
    draws: int
    seed: int
    concentration: float
    noise: bool = False


@dataclass(frozen=True)
class Sensitivity:
    flips: tuple[WeightFlip, ...]
    win: WinProbability
    lead: Lead | None


@dataclass(frozen=True)
class _Matrix:
    """The ranking reduced to what sensitivity needs: refs sorted (ties -> first ref), normalised values."""

    refs: list[str]
    keys: list[str]
    norm: np.ndarray
    weights: np.ndarray


def _matrix(ranking: Ranking) -> _Matrix:
    """The criteria every ranked model has a figure for and that were not dropped (a zero weight included,
    since raising it can change the winner)."""
    models = sorted(ranking.ranked, key=lambda m: m.ref)
    keys = [k for k in ranking.weights
            if k not in ranking.dropped and models and all(m.normalised[k] is not None for m in models)]
    norm = np.array([[m.normalised[k] for k in keys] for m in models], dtype=float).reshape(len(models), len(keys))
    return _Matrix([m.ref for m in models], keys, norm, np.array([ranking.weights[k] for k in keys]))


def _winners(scores: np.ndarray) -> np.ndarray:
    """Winner index per row of scores (rows x models, refs sorted): the highest, ties to the first ref as in
    ``rank`` (scores rounded as ``rank`` rounds them)."""
    return np.round(scores, 9).argmax(axis=1)


def _weights_with(base: np.ndarray, j: int, share: np.ndarray) -> np.ndarray:
    """Rows of weights where criterion ``j`` has ``share`` and the others keep their proportions."""
    others = base.copy()
    others[j] = 0.0
    others = others / others.sum()
    rows = np.outer(1 - share, others)
    rows[:, j] = share
    return rows


def _winner_at(mat: _Matrix, j: int, shares: np.ndarray) -> np.ndarray:
    return _winners(100 * _weights_with(mat.weights, j, shares) @ mat.norm.T)


def _first_flip(mat: _Matrix, j: int, start: float, end: float, winner: int, steps: int,
                tol: float) -> tuple[float | None, str | None]:
    """Scan from ``start`` to ``end`` for the first share where another model wins, then bisect to ``tol``."""
    grid = np.linspace(start, end, steps + 1)
    winners = _winner_at(mat, j, grid)
    changed = np.flatnonzero(winners != winner)
    if changed.size == 0:
        return None, None
    if changed[0] == 0:  # a float-level tie at the current weights: it flips at once
        return float(start), mat.refs[winners[0]]
    inside, outside = grid[changed[0] - 1], grid[changed[0]]
    while abs(outside - inside) > tol:
        mid = (inside + outside) / 2
        if _winner_at(mat, j, np.array([mid]))[0] == winner:
            inside = mid
        else:
            outside = mid
    share = float((inside + outside) / 2)
    if share < EXTREME or share > 1 - EXTREME:  # only at 0% or 100% exactly: a tie there, not a flip
        return None, None
    return share, mat.refs[_winner_at(mat, j, np.array([outside]))[0]]


def weight_flips(ranking: Ranking, *, steps: int = 400, tol: float = 1e-6) -> tuple[WeightFlip, ...]:
    """For each criterion with data: the weight shares, below and above the current one, at which the
    winner changes. Found by scanning ``steps`` points each way and bisecting the first change, so it
    follows ``rank`` exactly rather than a formula that could drift."""
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


def _noise(ranking: Ranking, mat: _Matrix, table: CandidateTable | None, settings: SelectionSettings | None,
           draws: int, rng: np.random.Generator) -> NoisyFigures | None:
    """The ranked figures resampled ``draws`` times, or None without a table and settings to resample."""
    if table is None or settings is None or not mat.refs:
        return None
    by_ref = {c.ref: c for c in table.candidates}
    values = {m.ref: m.values for m in ranking.ranked}
    return noisy_figures([by_ref[r] for r in mat.refs], [values[r] for r in mat.refs], mat.keys, table.samples,
                         settings, draws, rng)


def _is_noisy(noise: NoisyFigures | None) -> bool:
    return noise is not None and bool((noise.values != noise.values[:1]).any())


def win_probabilities(ranking: Ranking, table: CandidateTable | None = None,
                      settings: SelectionSettings | None = None, *, draws: int = DRAWS,
                      concentration: float = CONCENTRATION, seed: int = 0) -> WinProbability:
    """How often each model wins when the weights are drawn from Dirichlet(concentration x weights) and,
    given the ``table`` and ``settings`` it was ranked from, the measured figures are resampled too.

    The generator (``numpy.random.default_rng(seed)``) draws the weights first (one ``dirichlet`` call over
    the positive weights, ``draws`` rows), then the figures."""
    if draws < 1 or concentration <= 0:
        raise ValueError("Draws and concentration must be positive.")
    mat = _matrix(ranking)
    if not mat.refs:
        return WinProbability({}, draws, seed, concentration)
    rng = np.random.default_rng(seed)
    positive = mat.weights > 0
    sampled = np.zeros((draws, len(mat.keys)))
    sampled[:, positive] = rng.dirichlet(concentration * mat.weights[positive], size=draws)
    noise = _noise(ranking, mat, table, settings, draws, rng)
    norm = mat.norm[None, :, :] if noise is None else noise.normalised
    scores = 100 * np.einsum("dmk,dk->dm", np.broadcast_to(norm, (draws, *mat.norm.shape)), sampled)
    counts = np.bincount(_winners(scores), minlength=len(mat.refs))
    return WinProbability({ref: float(counts[i] / draws) for i, ref in enumerate(mat.refs)}, draws, seed,
                          concentration, _is_noisy(noise))


def lead_verdict(ranking: Ranking, table: CandidateTable, settings: SelectionSettings, *, draws: int = DRAWS,
                 seed: int = 0) -> Lead | None:
    """The verdict on the top of the ranking with the weights fixed and the measurements resampled: a
    statistical tie or a named winner (``core.decide.lead``); None when nothing is ranked."""
    mat = _matrix(ranking)
    noise = _noise(ranking, mat, table, settings, draws, np.random.default_rng(seed))
    if noise is None:
        return None
    return lead_under_noise(ranking, mat.refs, 100 * noise.normalised @ mat.weights, draws=draws, seed=seed,
                            noisy=_is_noisy(noise))


def sensitivity(ranking: Ranking, table: CandidateTable | None = None, settings: SelectionSettings | None = None, *,
                draws: int = DRAWS, concentration: float = CONCENTRATION, seed: int = 0) -> Sensitivity:
    """Per-weight flip points, win shares under random weights and resampled measurements, and the lead
    under measurement noise alone (None without the ``table`` and ``settings`` to resample)."""
    verdict = (lead_verdict(ranking, table, settings, draws=draws, seed=seed)
               if table is not None and settings is not None else None)
    return Sensitivity(weight_flips(ranking),
                       win_probabilities(ranking, table, settings, draws=draws, concentration=concentration,
                                         seed=seed), verdict)


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

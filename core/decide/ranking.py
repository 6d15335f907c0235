"""The weighted ranking: constraints first, then each criterion normalised, weighted and summed to a score.

``candidate_table`` (``core.decide.candidates``) -> ``rank`` -> ``pareto_quality_latency`` and ``sensitivity``
on the result. Everything is a pure function of plain data, so the Decide page, the CLI, the tests and
the decision record (``core.decide.decision``) compute identical numbers. Policies, pinned by
``tests/test_selection.py``:

* **Missing data.** If NO eligible model has data for a weighted criterion (e.g. no quality grades yet),
  the criterion is dropped for everyone, its weight spread over the others, and ``Ranking.dropped`` says
  so. If only SOME models lack it, those models are scored on the criteria they have (their weights
  renormalised) but flagged ``incomplete`` with the missing criteria and the share of the weight that was
  measured (``coverage``), and they rank after every complete model: a model cannot win on evidence it
  does not have.
* **Normalisation** maps each criterion to 0..1, 1 = best. Quality and license have a scale of their own
  (``settings.ABSOLUTE_SCALES``: 1-5 and 0-1) and are placed on it whatever the method, so a model earns
  quality points for being good, not for being less bad than the others: with every model at 1/5 nobody
  earns any. The measured criteria are normalised over the eligible models that have a value:
  ``minmax`` (default; all-equal values score 1 for everyone, since the criterion does not
  discriminate), ``rank`` (best 1, worst 0, ties share their mean rank) or ``relative`` (value / best
  for higher-is-better, best / value for lower-is-better).
* Scores are 0..100: ``sum(weight share x normalised value)``; each criterion's points are its part of
  that sum (stacked bars). Ties are broken by model reference so results never depend on input order.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.decide.candidates import Candidate, CandidateTable, Exclusion
from core.decide.constraints import constraint_reasons
from core.decide.settings import ABSOLUTE_SCALES, CRITERION_LABELS, SelectionSettings


def normalise(values: Sequence[float | None], higher_is_better: bool, method: str = "minmax",
              scale: tuple[float, float] | None = None) -> list[float | None]:
    """Map values to 0..1 (1 = best): on their own ``scale`` (low, high) when they have one, else by
    ``method`` among those present; ``None`` stays ``None``."""
    present = np.array([v for v in values if v is not None], dtype=float)
    if present.size == 0:
        return [None] * len(values)
    if scale is not None:
        low, high = scale
        result = np.clip((present - low) / (high - low), 0.0, 1.0)
        result = result if higher_is_better else 1.0 - result
    else:
        result = _NORMALISERS[method](present, higher_is_better)
    it = iter(result.tolist())
    return [None if v is None else next(it) for v in values]


def _minmax(x: np.ndarray, higher: bool) -> np.ndarray:
    span = x.max() - x.min()
    if span == 0:
        return np.ones_like(x)
    return (x - x.min()) / span if higher else (x.max() - x) / span


def _rank(x: np.ndarray, higher: bool) -> np.ndarray:
    if x.size == 1:
        return np.ones_like(x)
    keyed = x if higher else -x
    order = keyed.argsort(kind="stable")
    ranks = np.empty_like(x)
    ranks[order] = np.arange(x.size, dtype=float)
    for value in np.unique(keyed):  # ties share the mean of their ranks
        ranks[keyed == value] = ranks[keyed == value].mean()
    return ranks / (x.size - 1)


def _relative(x: np.ndarray, higher: bool) -> np.ndarray:
    x = np.clip(x, 0, None)
    best = x.max() if higher else x.min()
    if higher:
        return x / best if best > 0 else np.ones_like(x)
    return np.where(x == best, 1.0, np.divide(best, x, out=np.zeros_like(x), where=x > 0))


_NORMALISERS = {"minmax": _minmax, "rank": _rank, "relative": _relative}


@dataclass(frozen=True)
class ScoredModel:
    """One ranked model: score 0..100, each criterion's points, and what it was not measured on."""

    ref: str
    rank: int
    score: float | None
    complete: bool
    coverage: float  # share of the weight backed by data (1.0 when complete)
    missing: tuple[str, ...]
    values: dict[str, float | None]  # raw value per criterion (latency per the chosen statistic)
    normalised: dict[str, float | None]
    contributions: dict[str, float]  # points per criterion; they sum to ``score``


@dataclass(frozen=True)
class Ranking:
    """The result of ``rank``: ranked and excluded models, and the weights actually applied."""

    ranked: tuple[ScoredModel, ...]
    excluded: tuple[Exclusion, ...]
    weights: dict[str, float]  # shares of 1 as applied (dropped criteria at 0)
    dropped: dict[str, str]  # criterion -> why it was left out for every model
    latency_stat: str

    @property
    def winner(self) -> str | None:
        return self.ranked[0].ref if self.ranked and self.ranked[0].score is not None else None


def _criterion_value(candidate: Candidate, key: str, settings: SelectionSettings) -> float | None:
    value = {
        "latency": candidate.latency(settings.latency_stat), "throughput": candidate.throughput_tps,
        "memory": candidate.memory_mb, "quality": candidate.quality_mean(), "footprint": candidate.disk_mb,
        "license": settings.license_score(candidate.license),
    }[key]
    return None if value is None or not math.isfinite(value) else float(value)


def _scores(weights: np.ndarray, norm: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Scores (0..100, NaN when nothing weighted is measured) and coverage for a weight vector.

    ``norm`` is models x criteria with NaN for missing values; each model's weights are renormalised over
    the criteria it has, which is the missing-data policy in one line."""
    has = ~np.isnan(norm)
    filled = np.where(has, norm, 0.0)
    covered = has.astype(float) @ weights
    with np.errstate(invalid="ignore", divide="ignore"):
        scores = 100 * (filled @ weights) / covered
    return np.where(covered > 0, scores, np.nan), covered


def _order(scores: np.ndarray, complete: np.ndarray, refs: Sequence[str]) -> list[int]:
    """Complete models first, then by score (unscored last), ties by reference."""
    return sorted(range(len(refs)), key=lambda i: (not complete[i], bool(np.isnan(scores[i])),
                                                  -np.nan_to_num(scores[i]), refs[i]))


def rank(table: CandidateTable, settings: SelectionSettings) -> Ranking:
    """Apply the hard constraints, then score and order what is left (see the module docstring)."""
    excluded = list(table.unavailable)
    eligible = []
    for candidate in sorted(table.candidates, key=lambda c: c.ref):
        reasons = constraint_reasons(candidate, settings.constraints)
        if reasons:
            excluded.append(Exclusion(candidate.ref, reasons))
        else:
            eligible.append(candidate)
    keys = [c.key for c in settings.criteria]
    raw = {c.key: [_criterion_value(m, c.key, settings) for m in eligible] for c in settings.criteria}
    shares = settings.weight_shares()
    dropped = {k: f"no data for any eligible model; its {shares[k]:.0%} weight was spread over the others"
               for k in keys if shares[k] > 0 and all(v is None for v in raw[k])} if eligible else {}
    weights = _applied_weights(shares, dropped)
    normed = {c.key: normalise(raw[c.key], c.higher_is_better, c.normalisation, ABSOLUTE_SCALES.get(c.key))
              for c in settings.criteria}
    norm = np.array([[np.nan if normed[k][i] is None else normed[k][i] for k in keys] for i in range(len(eligible))],
                    dtype=float).reshape(len(eligible), len(keys))
    w = np.array([weights[k] for k in keys])
    scores, covered = _scores(w, norm)
    complete = np.isclose(covered, 1.0)
    refs = [m.ref for m in eligible]
    ranked = []
    for position, i in enumerate(_order(scores, complete, refs), start=1):
        ranked.append(_scored(refs[i], position, scores[i], covered[i], keys, w, norm[i], raw, normed, i))
    return Ranking(tuple(ranked), tuple(excluded), weights, dropped, settings.latency_stat)


def _applied_weights(shares: Mapping[str, float], dropped: Mapping[str, str]) -> dict[str, float]:
    kept = {k: (0.0 if k in dropped else v) for k, v in shares.items()}
    total = sum(kept.values())
    if total <= 0:
        raise ValueError("None of the weighted criteria has data for any model: weigh a measured criterion.")
    return {k: v / total for k, v in kept.items()}


def _scored(ref: str, position: int, score: float, covered: float, keys: list[str], w: np.ndarray,
            norm_row: np.ndarray, raw: Mapping[str, list], normed: Mapping[str, list], i: int) -> ScoredModel:
    has = ~np.isnan(norm_row)
    missing = tuple(k for j, k in enumerate(keys) if w[j] > 0 and not has[j])
    points = {k: float(100 * w[j] * norm_row[j] / covered) if has[j] and covered > 0 else 0.0
              for j, k in enumerate(keys)}
    return ScoredModel(ref=ref, rank=position, score=None if np.isnan(score) else float(score),
                       complete=not missing, coverage=float(covered), missing=missing,
                       values={k: raw[k][i] for k in keys}, normalised={k: normed[k][i] for k in keys},
                       contributions=points)


def ranking_frame(ranking: Ranking) -> pd.DataFrame:
    """The ranked table: score, status, and per criterion its raw value and points."""
    rows = []
    for m in ranking.ranked:
        row: dict[str, Any] = {"rank": m.rank, "model": m.ref, "score": m.score,
                               "status": "complete" if m.complete else "incomplete: no " + ", ".join(m.missing),
                               "coverage %": round(100 * m.coverage, 1)}
        for key in m.values:
            row[f"{key} value"] = m.values[key]
            row[f"{key} points"] = m.contributions[key]
        rows.append(row)
    return pd.DataFrame(rows)


def contribution_frame(ranking: Ranking) -> pd.DataFrame:
    """Long form ``model, criterion, points`` for a stacked bar, in rank order."""
    return pd.DataFrame([{"model": m.ref, "criterion": CRITERION_LABELS[k], "points": p}
                         for m in ranking.ranked for k, p in m.contributions.items()],
                        columns=["model", "criterion", "points"])

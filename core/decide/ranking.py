"""The weighted ranking: constraints first, then each criterion normalised, weighted and summed to a score.

``candidate_table`` (``core.decide.candidates``) -> ``rank`` -> ``pareto_quality_latency`` and ``sensitivity``
on the result. Everything is a pure function of plain data, so the Decide page, the CLI, the tests and
the decision record (``core.decide.decision``) compute identical numbers. Policies, pinned by
``tests/test_selection.py``:

* **Missing data** follows the product owner's rule (``core.decide.missing``): drop the criterion for
  everyone, fill the gap by hand, or leave the model out. Every ranked model therefore has every weighted
  figure, so the order is the order of the scores and nothing said about it can contradict the table.
* **Normalisation** maps each criterion to 0..1, 1 = best (``normalise_rows`` does it for many rows at
  once: the noise resampling, ``core.decide.noise``, normalises each draw the same way). Quality and
  license have a scale of their own (``settings.ABSOLUTE_SCALES``: 1-5 and 0-1) and are placed on it
  whatever the method, so a model earns quality points for being good, not for being less bad than the
  others: with every model at 1/5 nobody earns any. The measured criteria are normalised over the
  ranked models: ``minmax`` (default; all-equal values score 1 for everyone, since the criterion does
  not discriminate), ``rank`` (best 1, worst 0, ties share their mean rank) or ``relative`` (value / best
  for higher-is-better, best / value for lower-is-better).
* Scores are 0..100: ``sum(weight share x normalised value)``; each criterion's points are its part of
  that sum (stacked bars). Ties are broken by model reference so results never depend on input order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.decide.candidates import CandidateTable, Exclusion
from core.decide.constraints import constraint_reasons
from core.decide.gaps import why_missing
from core.decide.missing import apply_rule, criterion_value, entered_criteria, filled
from core.decide.settings import ABSOLUTE_SCALES, CRITERION_LABELS, ENTERED_BY_HAND, SelectionSettings


def normalise(values: Sequence[float | None], higher_is_better: bool, method: str = "minmax",
              scale: tuple[float, float] | None = None) -> list[float | None]:
    """Map values to 0..1 (1 = best): on their own ``scale`` (low, high) when they have one, else by
    ``method`` among those present; ``None`` stays ``None``; no values (every model excluded), no scores."""
    if not values:
        return []
    row = np.array([[np.nan if v is None else v for v in values]], dtype=float)
    result = normalise_rows(row, higher_is_better, method, scale)[0]
    return [None if np.isnan(v) else float(v) for v in result]


def normalise_rows(x: np.ndarray, higher_is_better: bool, method: str = "minmax",
                   scale: tuple[float, float] | None = None) -> np.ndarray:
    """``normalise`` for each row of ``x`` (rows x models, NaN = missing) at once, NaN staying NaN."""
    x = np.asarray(x, dtype=float)
    if scale is not None:
        low, high = scale
        result = np.clip((x - low) / (high - low), 0.0, 1.0)
        return result if higher_is_better else 1.0 - result
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(np.isnan(x), np.nan, _NORMALISERS[method](x, higher_is_better))


def _minmax(x: np.ndarray, higher: bool) -> np.ndarray:
    """Best 1, worst 0; all-equal values score 1 (the criterion does not discriminate)."""
    low = np.nanmin(np.where(np.isnan(x), np.inf, x), axis=1, keepdims=True)
    high = np.nanmax(np.where(np.isnan(x), -np.inf, x), axis=1, keepdims=True)
    span = high - low
    scaled = (x - low) / span if higher else (high - x) / span
    return np.where(span > 0, scaled, 1.0)


def _rank(x: np.ndarray, higher: bool) -> np.ndarray:
    """Best 1, worst 0 by position among the present values, ties sharing their mean rank."""
    keyed = x if higher else -x
    present = ~np.isnan(x)
    below = (keyed[:, :, None] > keyed[:, None, :]) & present[:, None, :]
    equal = (keyed[:, :, None] == keyed[:, None, :]) & present[:, None, :]
    ranks = below.sum(axis=2) + (equal.sum(axis=2) - 1) / 2  # 0-based, ties at their mean
    others = present.sum(axis=1, keepdims=True) - 1
    return np.where(others > 0, ranks / np.maximum(others, 1), 1.0)


def _relative(x: np.ndarray, higher: bool) -> np.ndarray:
    """Value / best (higher is better) or best / value (lower is better), values below 0 taken as 0."""
    x = np.clip(x, 0, None)
    if higher:
        best = np.nanmax(np.where(np.isnan(x), -np.inf, x), axis=1, keepdims=True)
        return np.where(best > 0, x / np.where(best > 0, best, 1.0), 1.0)
    best = np.nanmin(np.where(np.isnan(x), np.inf, x), axis=1, keepdims=True)
    return np.where(x == best, 1.0, np.where(x > 0, best / np.where(x > 0, x, 1.0), 0.0))


_NORMALISERS = {"minmax": _minmax, "rank": _rank, "relative": _relative}


@dataclass(frozen=True)
class ScoredModel:
    """One ranked model: score 0..100 and each criterion's figure, what stands behind it, and its points."""

    ref: str
    rank: int
    score: float
    values: dict[str, float | None]  # raw value per criterion (latency per the chosen statistic)
    normalised: dict[str, float | None]
    contributions: dict[str, float]  # points per criterion; they sum to ``score``
    evidence: dict[str, dict[str, Any]]  # per criterion ``{n, ci95, source}`` (``Candidate.evidence``)
    entered: tuple[str, ...] = ()  # criteria whose figure was entered by hand


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
        return self.ranked[0].ref if self.ranked else None


def rank(table: CandidateTable, settings: SelectionSettings) -> Ranking:
    """Fill what the product owner entered, apply the hard limits and the missing-data rule, then score and
    order what is left: by score, ties by model reference (see the module docstring)."""
    excluded = list(table.unavailable)
    eligible = []
    for candidate in sorted((filled(c, settings) for c in table.candidates), key=lambda c: c.ref):
        reasons = constraint_reasons(candidate, settings.constraints)
        if reasons:
            excluded.append(Exclusion(candidate.ref, reasons))
        else:
            eligible.append(candidate)
    shares = settings.weight_shares()
    applied = apply_rule(eligible, settings, shares)
    excluded += applied.left_out
    weights = _applied_weights(shares, applied.dropped)
    models = applied.kept
    keys = [c.key for c in settings.criteria]
    raw = {k: [criterion_value(m, k, settings) for m in models] for k in keys}
    normed = {c.key: normalise(raw[c.key], c.higher_is_better, c.normalisation, ABSOLUTE_SCALES.get(c.key))
              for c in settings.criteria}
    points = {k: [100 * weights[k] * (v or 0.0) for v in normed[k]] for k in keys}
    scores = [sum(points[k][i] for k in keys) for i in range(len(models))]
    order = sorted(range(len(models)), key=lambda i: (-round(scores[i], 9), models[i].ref))
    ranked = tuple(ScoredModel(
        ref=models[i].ref, rank=position, score=float(scores[i]), values={k: raw[k][i] for k in keys},
        normalised={k: normed[k][i] for k in keys}, contributions={k: float(points[k][i]) for k in keys},
        evidence={k: models[i].evidence(k, settings.latency_stat) for k in keys},
        entered=entered_criteria(models[i])) for position, i in enumerate(order, start=1))
    return Ranking(ranked, tuple(excluded), weights, applied.dropped, settings.latency_stat)


def _applied_weights(shares: Mapping[str, float], dropped: Mapping[str, str]) -> dict[str, float]:
    kept = {k: (0.0 if k in dropped else v) for k, v in shares.items()}
    total = sum(kept.values())
    if total <= 0:
        raise ValueError("None of the weighted criteria has data for every model left: weigh a measured criterion, "
                         "or choose another rule for missing data.")
    return {k: v / total for k, v in kept.items()}


DIGITS = {"latency": 2, "throughput": 1, "memory": 0, "quality": 2, "footprint": 0, "license": 2}


def evidence_text(m: ScoredModel | Mapping[str, Any], key: str) -> str:
    """What stands behind a ranked figure, in words: ``n=12, 95% CI 1.02–1.31``, ``n=1, no interval`` or
    ``entered by hand``, or ``missing: `` and why (``core.decide.gaps``; ``m`` a ``ScoredModel`` or its stored
    dict)."""
    m = m if isinstance(m, Mapping) else asdict(m)
    if m["values"].get(key) is None:
        return f"missing: {why_missing(m['ref'], key)}"
    if key in m.get("entered", ()):
        return ENTERED_BY_HAND
    evidence = (m.get("evidence") or {}).get(key) or {}
    ci, n, digits = evidence.get("ci95"), evidence.get("n"), DIGITS[key]
    parts = [f"n={n}"] if n is not None else []
    parts.append(f"95% CI {ci[0]:.{digits}f}–{ci[1]:.{digits}f}" if ci else "no interval")
    return ", ".join(parts)


def ranking_frame(ranking: Ranking) -> pd.DataFrame:
    """The ranked table: score and, per criterion, its figure, what stands behind it (n and 95% interval,
    or "entered by hand") and its points."""
    rows = []
    for m in ranking.ranked:
        row: dict[str, Any] = {"rank": m.rank, "model": m.ref, "score": m.score}
        for key in m.values:
            row[f"{key} value"] = m.values[key]
            row[f"{key} n, 95% CI"] = evidence_text(m, key)
            row[f"{key} points"] = m.contributions[key]
        rows.append(row)
    return pd.DataFrame(rows)


def contribution_frame(ranking: Ranking) -> pd.DataFrame:
    """Long form ``model, criterion, points`` for a stacked bar, in rank order."""
    return pd.DataFrame([{"model": m.ref, "criterion": CRITERION_LABELS[k], "points": p}
                         for m in ranking.ranked for k, p in m.contributions.items()],
                        columns=["model", "criterion", "points"])

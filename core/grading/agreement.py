"""How far a judge model's scores can stand in for people's: agreement on items both graded.

Two figures, both implemented here with numpy (scipy would be a 40 MB dependency for ~20 lines):

* quadratic-weighted Cohen's kappa: agreement beyond chance on the 1-5 scale, where a 4 vs 5
  disagreement costs far less than 1 vs 5 (weight ``(i-j)^2 / (k-1)^2``). It is the usual
  statistic for ordinal ratings and penalises a judge that is systematically harsher or kinder.
* Spearman's rank correlation (average ranks for ties): does the judge at least *order* answers
  like people do, even if its scale is shifted?

The verdict is in words for a product owner, and refuses to judge on a handful of items.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from core.grading.rubric import LEVELS, Rubric
from store import Store, queries
from store.records import Grade, Judgment

MIN_OVERLAP = 10  # items graded by both; below this kappa's uncertainty is too wide to say anything
GOOD_KAPPA = 0.6  # "substantial" on the Landis & Koch scale
MODERATE_KAPPA = 0.4


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int], levels: Sequence[int] = LEVELS) -> float | None:
    """Cohen's kappa with quadratic weights; ``None`` when chance disagreement is zero (e.g. one constant rater)."""
    if len(a) != len(b):
        raise ValueError("both raters must score the same items")
    if not a:
        return None
    index = {level: i for i, level in enumerate(levels)}
    k = len(levels)
    observed = np.zeros((k, k))
    for x, y in zip(a, b, strict=True):
        observed[index[x], index[y]] += 1
    observed /= observed.sum()
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0))
    i, j = np.indices((k, k))
    weights = (i - j) ** 2 / (k - 1) ** 2
    chance = float((weights * expected).sum())
    if chance == 0:
        return None
    return 1.0 - float((weights * observed).sum()) / chance


def _ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, tied values sharing the mean of their ranks."""
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(1, len(values) + 1)
    for value in np.unique(values):
        tied = values == value
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(a: Sequence[float], b: Sequence[float]) -> float | None:
    """Spearman's rho (Pearson correlation of tie-averaged ranks); ``None`` if either side is constant."""
    if len(a) != len(b):
        raise ValueError("both sides must have the same length")
    if len(a) < 2:
        return None
    ra, rb = _ranks(np.asarray(a, dtype=float)), _ranks(np.asarray(b, dtype=float))
    if ra.std() == 0 or rb.std() == 0:
        return None
    return float(np.corrcoef(ra, rb)[0, 1])


@dataclass(frozen=True)
class Pairs:
    """Judge and human scores for the same (item, criterion), aligned."""

    judge: list[int] = field(default_factory=list)
    human: list[int] = field(default_factory=list)


@dataclass(frozen=True)
class Agreement:
    """Judge-vs-human agreement on one rubric version; pooled over criteria plus each criterion."""

    n_items: int  # items scored by the judge and at least one person
    n_pairs: int  # (item, person) pairs; each contributes one score pair per criterion
    kappa: float | None
    spearman: float | None
    per_criterion: dict[str, tuple[float | None, float | None]]  # key -> (kappa, spearman)
    level: str  # "good", "moderate", "poor", "insufficient", "undefined"
    verdict: str


def _verdict(kappa: float | None, n_items: int, min_overlap: int) -> tuple[str, str]:
    if n_items < min_overlap:
        return "insufficient", (
            f"Insufficient overlap: only {n_items} answers were graded by both the judge and people "
            f"(at least {min_overlap} are needed to say whether the judge agrees with people).")
    if kappa is None:
        return "undefined", (f"Agreement cannot be measured (n={n_items}): every answer got the same score, "
                             "so there is nothing to agree on beyond chance. Grade more varied answers.")
    shown = f"(κ={kappa:.2f}, n={n_items})"
    if kappa >= GOOD_KAPPA:
        return "good", (f"The judge agrees well with people on this rubric {shown}: its scores can stand in "
                        "for manual grading.")
    if kappa >= MODERATE_KAPPA:
        return "moderate", (f"The judge agrees moderately with people on this rubric {shown}: use its scores "
                            "to shortlist, and grade the close calls by hand.")
    return "poor", (f"The judge agrees poorly with people on this rubric {shown}: treat judge scores as a "
                    "rough signal.")


def judge_human_agreement(store: Store, run_id: str, judge_ref: str, rubric: Rubric, *,
                          grader: str | None = None, min_overlap: int = MIN_OVERLAP) -> Agreement:
    """Compare the judge's scored judgments with people's grades (one ``grader`` or everyone) on the
    items both graded under this rubric version. Unscored judgments are not comparable and left out."""
    judgments = queries.scores_for(store, Judgment, run_id, rubric.name, rubric.version, judge_ref=judge_ref,
                                   status="scored")
    judged = {j.item_id: j.scores for j in judgments}
    grades = queries.scores_for(store, Grade, run_id, rubric.name, rubric.version, grader=grader)
    pairs = {key: Pairs() for key in rubric.keys}
    items, n_pairs = set(), 0
    for grade in grades:
        scores = judged.get(grade.item_id)
        if scores is None:
            continue
        items.add(grade.item_id)
        n_pairs += 1
        for key in rubric.keys:
            pairs[key].judge.append(scores[key])
            pairs[key].human.append(grade.scores[key])
    pooled_j = [s for p in pairs.values() for s in p.judge]
    pooled_h = [s for p in pairs.values() for s in p.human]
    kappa = quadratic_weighted_kappa(pooled_j, pooled_h)
    level, verdict = _verdict(kappa, len(items), min_overlap)
    return Agreement(
        n_items=len(items), n_pairs=n_pairs, kappa=kappa, spearman=spearman(pooled_j, pooled_h),
        per_criterion={k: (quadratic_weighted_kappa(p.judge, p.human), spearman(p.judge, p.human))
                       for k, p in pairs.items()},
        level=level, verdict=verdict,
    )

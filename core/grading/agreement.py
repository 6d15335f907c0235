"""How far graders agree: a judge model with people on items both graded, and people with each other.

Judge against people, two figures, both computed with numpy from score tables in
``core.grading.coefficients`` (scipy would be a 40 MB dependency for ~20 lines):

* quadratic-weighted Cohen's kappa: agreement beyond chance on the 1-5 scale, where a 4 vs 5
  disagreement costs far less than 1 vs 5 (weight ``(i-j)^2 / (k-1)^2``). It is the usual
  statistic for ordinal ratings and penalises a judge that is systematically harsher or kinder.
* Spearman's rank correlation (average ranks for ties): does the judge at least *order* answers
  like people do, even if its scale is shifted?

People with each other: Krippendorff's alpha with the ordinal metric, because it takes any number of
graders per answer, answers graded by only some of them, and the 1-5 scale's order (a 4 against a 5
is a smaller disagreement than a 1 against a 5, measured by how many scores lie between them). Its
95% interval is a bootstrap over answers (seeded), as Krippendorff recommends; tests check the
alpha against the ``krippendorff`` package and the interval's coverage by simulation (>= 93% at 20 answers).

Kappa and Spearman carry a 95% interval over answers (``core.grading.coefficients``: a jackknife on
Fisher's z, >= 93% coverage from 10 answers by simulation). The verdicts are in words for a product
owner, refuse to judge on a handful of items, and label a figure so that it never reads as the other
side of a threshold (``core.grading.thresholds``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from core.grading.coefficients import Coefficient, coefficient, kappa_of, score_table, spearman_of, value_of
from core.grading.rubric import LEVELS, Rubric
from core.grading.thresholds import Scale
from store import Store, queries
from store.records import Grade, Judgment

MIN_OVERLAP = 10  # items graded by both; below this kappa's uncertainty is too wide to say anything
# Landis & Koch (1977): 0.61-0.80 "substantial" and above is good, 0.41-0.60 "moderate", 0.40 and below poor
KAPPA_SCALE = Scale(((0.6, "good"), (0.4, "moderate")), below="poor", strict=True)
# Krippendorff (2004): rely on the scores from 0.800; 0.667 to 0.800 only for tentative conclusions
ALPHA_SCALE = Scale(((0.8, "reliable"), (0.667, "tentative")), below="unreliable")
BOOTSTRAP_DRAWS = 2000


def quadratic_weighted_kappa(a: Sequence[int], b: Sequence[int], levels: Sequence[int] = LEVELS) -> float | None:
    """Cohen's kappa with quadratic weights; ``None`` when chance disagreement is zero (e.g. one constant rater)."""
    if len(a) != len(b):
        raise ValueError("both raters must score the same items")
    if not a:
        return None
    return value_of(kappa_of, score_table(list(zip(a, b, strict=True)), tuple(levels)))


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
class Agreement:
    """Judge-vs-human agreement on one rubric version; pooled over criteria plus each criterion, each
    coefficient with its n (answers) and 95% interval over answers (``core.grading.coefficients``)."""

    n_items: int  # items scored by the judge and at least one person
    n_pairs: int  # (item, person) pairs; each contributes one score pair per criterion
    pooled: tuple[Coefficient, Coefficient]  # (kappa, Spearman) over every criterion's score pairs
    per_criterion: dict[str, tuple[Coefficient, Coefficient]]  # key -> (kappa, Spearman)
    level: str  # "good", "moderate", "poor", "insufficient", "undefined"
    verdict: str

    @property
    def kappa(self) -> float | None:
        return self.pooled[0].value

    @property
    def spearman(self) -> float | None:
        return self.pooled[1].value


def kappa_verdict(kappa: float | None, n_items: int, min_overlap: int = MIN_OVERLAP,
                  ci95: tuple[float, float] | None = None) -> tuple[str, str]:
    """``(level, verdict in words)`` for a judge's kappa with people over ``n_items`` answers."""
    if n_items < min_overlap:
        return "insufficient", (
            f"Insufficient overlap: only {n_items} answers were graded by both the judge and people "
            f"(at least {min_overlap} are needed to say whether the judge agrees with people).")
    if kappa is None:
        return "undefined", (f"Agreement cannot be measured (n={n_items}): every answer got the same score, "
                             "so there is nothing to agree on beyond chance. Grade more varied answers.")
    reading = KAPPA_SCALE.reading(kappa)
    ci = f", 95% CI {ci95[0]:.2f} to {ci95[1]:.2f}" if ci95 else ""
    shown = f"(κ={reading.text}{ci}, n={n_items})"
    if reading.label == "good":
        return "good", (f"The judge agrees well with people on this rubric {shown}: its scores can stand in "
                        "for manual grading.")
    if reading.label == "moderate":
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
    pairs: dict[str, list[list[tuple[int, int]]]] = {}  # item -> per criterion its (judge, person) pairs
    n_pairs = 0
    for grade in grades:
        scores = judged.get(grade.item_id)
        if scores is None:
            continue
        n_pairs += 1
        per_key = pairs.setdefault(grade.item_id, [[] for _ in rubric.keys])
        for pairs_of_key, key in zip(per_key, rubric.keys, strict=True):
            pairs_of_key.append((scores[key], grade.scores[key]))
    tables = np.array([[score_table(p, LEVELS) for p in per_key] for _, per_key in sorted(pairs.items())]
                      ).reshape(len(pairs), len(rubric.keys), len(LEVELS), len(LEVELS))
    pooled = (coefficient(kappa_of, tables.sum(axis=1), min_overlap),
              coefficient(spearman_of, tables.sum(axis=1), min_overlap))
    low, high = pooled[0].ci95_low, pooled[0].ci95_high
    level, verdict = kappa_verdict(pooled[0].value, len(pairs), min_overlap,
                                   (low, high) if low is not None and high is not None else None)
    return Agreement(
        n_items=len(pairs), n_pairs=n_pairs, pooled=pooled,
        per_criterion={key: (coefficient(kappa_of, tables[:, c], min_overlap),
                             coefficient(spearman_of, tables[:, c], min_overlap))
                       for c, key in enumerate(rubric.keys)},
        level=level, verdict=verdict,
    )


# --- people with each other: Krippendorff's alpha (ordinal) --------------------------------------------


def _unit_coincidences(units: Sequence[Sequence[int]], levels: Sequence[int]) -> np.ndarray:
    """Per unit its coincidence matrix (units x k x k): each ordered pair of its values, weighted 1/(m-1)."""
    index = {level: i for i, level in enumerate(levels)}
    out = np.zeros((len(units), len(levels), len(levels)))
    for u, values in enumerate(units):
        if len(values) < 2:
            continue  # a value nobody else scored cannot agree or disagree
        counts = np.bincount([index[v] for v in values], minlength=len(levels)).astype(float)
        out[u] = (np.outer(counts, counts) - np.diag(counts)) / (len(values) - 1)
    return out


def _alpha_from(coincidences: np.ndarray) -> np.ndarray:
    """Alpha for one or many coincidence matrices (... x k x k); NaN where it is undefined.

    Ordinal distance: the squared gap between the two values' mid-ranks among all pairable values,
    ``(sum of n_g for g between c and k) - (n_c + n_k) / 2``, so levels nobody used cost nothing."""
    totals = coincidences.sum(axis=-1)
    n = totals.sum(axis=-1)
    mid_ranks = np.cumsum(totals, axis=-1) - totals / 2
    distance = (mid_ranks[..., :, None] - mid_ranks[..., None, :]) ** 2
    observed = (coincidences * distance).sum(axis=(-2, -1))
    expected = (totals[..., :, None] * totals[..., None, :] * distance).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((expected > 0) & (n > 1), 1 - (n - 1) * observed / expected, np.nan)


def krippendorff_alpha_ordinal(units: Sequence[Sequence[int]], levels: Sequence[int] = LEVELS) -> float | None:
    """Krippendorff's alpha (ordinal) over ``units``, each the scores its graders gave (any number, missing
    ones simply absent); ``None`` when undefined (fewer than two pairable values, or all of them equal)."""
    alpha = float(_alpha_from(_unit_coincidences(units, levels).sum(axis=0)))
    return None if np.isnan(alpha) else alpha


@dataclass(frozen=True)
class PeopleAgreement:
    """How far people agree with each other on one rubric version (answers graded by two or more)."""

    n_items: int  # answers graded by at least two people
    n_graders: int  # people who graded any answer of the run
    alpha: float | None
    ci95_low: float | None
    ci95_high: float | None
    level: str  # "reliable", "tentative", "unreliable", "insufficient", "undefined"
    verdict: str


def alpha_with_interval(items: Sequence[Sequence[Sequence[int]]], *, seed: int = 0,
                        draws: int = BOOTSTRAP_DRAWS) -> tuple[float | None, float | None, float | None]:
    """``(alpha, ci95_low, ci95_high)`` over ``items``, each a list of units (e.g. one per criterion: the
    scores its graders gave). The 95% percentile interval resamples items, so an item's units stay together;
    it is None when alpha is, or when most resamples have no spread to measure."""
    per_item = np.array([_unit_coincidences(units, LEVELS).sum(axis=0) for units in items]).reshape(
        len(items), len(LEVELS), len(LEVELS))
    alpha = float(_alpha_from(per_item.sum(axis=0)))
    if np.isnan(alpha):
        return None, None, None
    rng = np.random.default_rng(seed)
    weights = rng.multinomial(len(items), np.full(len(items), 1 / len(items)), size=draws).astype(float)
    resampled = _alpha_from(np.einsum("bu,ukl->bkl", weights, per_item))
    resampled = resampled[~np.isnan(resampled)]
    if resampled.size < draws * 0.9:
        return alpha, None, None
    low, high = np.percentile(resampled, [2.5, 97.5])
    return alpha, float(low), float(high)


def alpha_verdict(alpha: float | None, low: float | None, high: float | None, n_items: int,
                  min_overlap: int = MIN_OVERLAP) -> tuple[str, str]:
    """``(level, verdict in words)`` for people's alpha over ``n_items`` answers, with its interval."""
    if n_items < min_overlap:
        return "insufficient", (f"Too few answers graded by two or more people ({n_items}; at least {min_overlap} "
                                "are needed) to say whether people agree: have a second person grade some answers.")
    if alpha is None:
        return "undefined", (f"Agreement between people cannot be measured (n={n_items}): every score was the same.")
    ci = f", 95% CI {low:.2f} to {high:.2f}" if low is not None and high is not None else ""
    reading = ALPHA_SCALE.reading(alpha)
    shown = f"(α={reading.text}{ci}, n={n_items} answers)"
    if reading.label == "reliable":
        return "reliable", f"People agree well with each other {shown}: their grades are a sound reference."
    if reading.label == "tentative":
        return "tentative", (f"People agree only moderately {shown}: draw tentative conclusions, and sharpen the "
                             "rubric's level descriptions.")
    return "unreliable", (f"People disagree too much to rely on their grades {shown}: agree on what each level "
                          "means, then grade again.")


def people_agreement(store: Store, run_id: str, rubric: Rubric, *, min_overlap: int = MIN_OVERLAP,
                     seed: int = 0, draws: int = BOOTSTRAP_DRAWS) -> PeopleAgreement:
    """Krippendorff's ordinal alpha between people on this run and rubric version, pooled over criteria
    (each answer-criterion pair is a unit), with a bootstrap interval over answers."""
    grades = queries.scores_for(store, Grade, run_id, rubric.name, rubric.version)
    by_item: dict[str, list[Grade]] = {}
    for grade in grades:
        by_item.setdefault(grade.item_id, []).append(grade)
    shared = [graded for _, graded in sorted(by_item.items()) if len(graded) >= 2]
    alpha, low, high = alpha_with_interval([[[g.scores[k] for g in graded] for k in rubric.keys] for graded in shared],
                                           seed=seed, draws=draws)
    level, verdict = alpha_verdict(alpha, low, high, len(shared), min_overlap)
    return PeopleAgreement(n_items=len(shared), n_graders=len({g.grader for g in grades}), alpha=alpha,
                           ci95_low=low, ci95_high=high, level=level, verdict=verdict)

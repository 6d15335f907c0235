"""Which models' quality differs beyond noise: the ranking by mean score, read pair by adjacent pair.

"3.8 against 3.6" over eight answers is noise, and a table sorted by mean implies an order anyway. So
the results say, for each pair of models next to each other in the ranking by overall mean, whether
their 95% intervals overlap ("statistical tie on quality between A and B"), do not ("A scores higher
than B"), or whether one of them has no interval yet (too few answers: no order can be claimed).
Non-overlapping 95% intervals are a conservative test (a difference can be real with slightly
overlapping intervals), which is the side to err on before calling a winner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.grading.results import ModelQuality
from core.grading.score_mean import ScoreMean

Relation = Literal["ahead", "tie", "unknown"]


@dataclass(frozen=True)
class QualityStep:
    """``higher`` (the larger mean) against ``lower``, the next model down the ranking."""

    higher: str
    lower: str
    relation: Relation  # ahead: intervals apart; tie: they overlap; unknown: one has no interval
    higher_mean: ScoreMean
    lower_mean: ScoreMean


def _relation(a: ScoreMean, b: ScoreMean) -> Relation:
    if a.ci95_low is None or b.ci95_high is None:  # an interval has both bounds or none
        return "unknown"
    return "ahead" if a.ci95_low > b.ci95_high else "tie"


def quality_steps(qualities: list[ModelQuality]) -> list[QualityStep]:
    """Adjacent pairs of the models with scores, ranked by overall mean (best first)."""
    ranked = sorted((q for q in qualities if q.overall.mean is not None),
                    key=lambda q: (-(q.overall.mean or 0.0), q.model_ref))
    return [QualityStep(a.model_ref, b.model_ref, _relation(a.overall, b.overall), a.overall, b.overall)
            for a, b in zip(ranked, ranked[1:], strict=False)]

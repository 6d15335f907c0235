"""Quality ranking read pair by adjacent pair (``core.grading.quality_ties``): overlapping intervals are a
statistical tie, intervals apart an order, and a model without an interval cannot be ordered yet."""

from __future__ import annotations

from core.grading.quality_ties import quality_steps
from core.grading.results import ModelQuality
from core.grading.score_mean import score_mean


def _quality(model: str, scores: list[float]) -> ModelQuality:
    mean = score_mean(scores)
    return ModelQuality(model, len(scores) + 1, len(scores), 0, {"helpfulness": mean}, mean)


def test_adjacent_models_tie_when_their_intervals_overlap_and_order_when_apart() -> None:
    qualities = [_quality("low:m", [1, 1, 2, 1, 1, 2, 1, 1]), _quality("b:m", [4, 5, 4, 5, 4, 5, 4, 5]),
                 _quality("a:m", [5, 4, 5, 5, 4, 5, 5, 5]), _quality("none:m", [])]
    steps = quality_steps(qualities)
    assert [(s.higher, s.lower, s.relation) for s in steps] == [("a:m", "b:m", "tie"), ("b:m", "low:m", "ahead")]
    assert steps[0].higher_mean.mean > steps[0].lower_mean.mean  # a:m leads on the mean, but within noise


def test_a_model_with_too_few_answers_cannot_be_ordered() -> None:
    steps = quality_steps([_quality("a:m", [5, 5, 5, 5, 5, 5]), _quality("b:m", [1, 2])])
    assert [(s.higher, s.lower, s.relation) for s in steps] == [("a:m", "b:m", "unknown")]
    assert steps[0].lower_mean.note == "too few answers for an interval (n=2, need 3)"

"""A mean score on the 1-5 scale with a 95% interval that holds at the small n grading works with.

Why not the bootstrap every timing figure uses (``core.benchmark.metrics.summarize``)? A bootstrap of
[5, 5] or [5, 5, 5, 5, 5] resamples nothing but 5s and reads "5.00-5.00": it claims certainty from a
handful of answers. Scores are bounded and coarse, and a judge often answers only 1 or 5, so small
samples with no spread are the usual case, not the exception.

The interval is Student's t over the scores plus ONE pseudo-answer at each end of the scale (1 and 5),
clipped to the scale. It is the bounded-mean analogue of Agresti-Coull's "add two successes and two
failures" for proportions: it costs little once there are 20 or 30 answers, and it keeps an interval
from collapsing when every answer got the same score (the widest spread a bounded score could have is
always kept in view). Below ``MIN_FOR_INTERVAL`` answers there is no interval, only the reason.
``tests/test_score_mean.py`` checks coverage by seeded simulation over random and skewed 1-5
distributions: at least 93% from n = 5 (the plain t-interval falls to ~10% on skewed data).

The mean itself is the plain mean of the scores; the interval always contains it.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from core.grading.rubric import LEVELS
from core.intervals import t_quantile_975

MIN_FOR_INTERVAL = 3
SCALE = (float(LEVELS[0]), float(LEVELS[-1]))


@dataclass(frozen=True)
class ScoreMean:
    """The mean of ``n`` scores with its 95% interval, or ``note`` saying why there is none."""

    n: int
    mean: float | None = None
    ci95_low: float | None = None
    ci95_high: float | None = None
    note: str | None = None  # why there is no interval (no scores, too few)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def score_mean(values: Sequence[float], scale: tuple[float, float] = SCALE,
               min_n: int = MIN_FOR_INTERVAL) -> ScoreMean:
    """The mean of ``values`` (each within ``scale``) and its 95% interval (see the module docstring)."""
    n = len(values)
    if n == 0:
        return ScoreMean(0, note="no scores yet")
    mean = math.fsum(values) / n
    if n < min_n:
        return ScoreMean(n, mean, note=f"too few answers for an interval (n={n}, need {min_n})")
    padded = [*values, *scale]
    m = len(padded)
    centre = math.fsum(padded) / m
    sd = math.sqrt(math.fsum((v - centre) ** 2 for v in padded) / (m - 1))
    half = t_quantile_975(m - 1) * sd / math.sqrt(m)
    low, high = max(scale[0], centre - half), min(scale[1], centre + half)
    return ScoreMean(n, mean, min(low, mean), max(high, mean))

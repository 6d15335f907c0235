"""How one side relates to another over the prompts both measured: a paired ratio with its 95% interval.

Every Compare comparison (a run against a baseline run, a model on two devices, two models in one run) is
paired by prompt: a long answer is slow on both sides, so the prompt spread cancels. The prompt is the unit
of replication, so the interval comes from how the per-prompt log ratios scatter: a Student-t interval on
their mean, which holds (95%) from two prompts on, where a bootstrap of the rounds alone called no change a
change one time in five, and a bootstrap of a handful of prompts is too narrow (issue 12; measured in
``tests/test_compare_paired_stats.py``).
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

import numpy as np

from core.intervals import t_quantile_975

K = TypeVar("K", bound=Hashable)

MIN_PAIRED_PROMPTS = 2  # one prompt has no spread, so no interval
# A change smaller than this is negligible, whatever its interval: heat and background load move a whole run
# by a few percent, a run-level effect no resampling inside one pair of runs can see (each run is one draw
# of it), so a "significant" 1% is still no reason to act.
MIN_CHANGE = 0.03

@dataclass(frozen=True)
class Ratio:
    """A typical ratio over ``pairs`` prompts with its 95% interval."""

    value: float
    ci95_low: float
    ci95_high: float
    pairs: int

    @property
    def beyond_noise(self) -> bool:
        """The interval excludes 1."""
        return self.ci95_low > 1 or self.ci95_high < 1

    @property
    def negligible(self) -> bool:
        """Less than ``MIN_CHANGE`` either way (on the log scale, so x and 1/x count alike)."""
        return abs(math.log(self.value)) < math.log1p(MIN_CHANGE)

    @property
    def clear(self) -> bool:
        """A difference worth naming: beyond noise and not negligible; anything else is a tie."""
        return self.beyond_noise and not self.negligible

    def inverted(self) -> Ratio:
        """The same comparison seen from the other side."""
        return Ratio(1 / self.value, 1 / self.ci95_high, 1 / self.ci95_low, self.pairs)


def _prompt_means(values: Mapping[K, Sequence[float]]) -> dict[K, float]:
    """Each prompt's mean over its positive values (a zero or negative timing is no measurement)."""
    means = {}
    for key, vals in values.items():
        kept = [v for v in vals if v is not None and v > 0 and math.isfinite(v)]
        if kept:
            means[key] = float(np.mean(kept))
    return means


def paired_ratio(baseline: Mapping[K, Sequence[float]], candidate: Mapping[K, Sequence[float]]) -> Ratio | None:
    """Typical candidate/baseline ratio over the prompts both sides measured, with a paired 95% interval.

    Per prompt the ratio of the two means; over prompts their geometric mean (the mean log ratio), so one
    slow prompt does not dominate and swapping the sides inverts the ratio exactly. The interval is the
    Student-t interval of the mean log ratio (df = prompts - 1), back on the ratio scale. ``None`` when fewer
    than ``MIN_PAIRED_PROMPTS`` prompts have a measurement on both sides.
    """
    base, cand = _prompt_means(baseline), _prompt_means(candidate)
    shared = [key for key in base if key in cand]
    if len(shared) < MIN_PAIRED_PROMPTS:
        return None
    logs = np.log([cand[key] / base[key] for key in shared])
    centre = float(logs.mean())
    half = t_quantile_975(len(logs) - 1) * float(logs.std(ddof=1)) / math.sqrt(len(logs))
    return Ratio(math.exp(centre), math.exp(centre - half), math.exp(centre + half), len(shared))

"""How two groups of samples relate: a ratio of means with a seeded 95% bootstrap interval.

``speedup`` compares independent groups (different devices, different requests); ``paired_ratio`` pairs
each prompt with itself across two runs. Both are seeded, so the same data always gives the same verdict,
and both resample with ``core.benchmark.metrics.resampled_means``, the bootstrap every summary uses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.benchmark.metrics import percentile_interval, resampled_means

MIN_PAIRED_PROMPTS = 2
N_BOOT = 2000

def _bootstrap(draw: Callable[[np.random.Generator], np.ndarray], seed: int) -> tuple[float, float]:
    """Percentile-bootstrap 95% interval of the statistic ``draw`` computes for ``N_BOOT`` resamples."""
    return percentile_interval(draw(np.random.default_rng(seed)))


def _resampled_means(rng: np.random.Generator, data: np.ndarray) -> np.ndarray:
    return resampled_means(rng, data, N_BOOT)


@dataclass(frozen=True)
class Ratio:
    """A ratio with its 95% interval; ``beyond_noise`` when the interval excludes 1."""

    value: float
    ci95_low: float
    ci95_high: float

    @property
    def beyond_noise(self) -> bool:
        return self.ci95_low > 1 or self.ci95_high < 1


def speedup(baseline: Iterable[float], other: Iterable[float], *, lower_is_better: bool, seed: int = 0) -> Ratio | None:
    """How many times faster ``other`` is than ``baseline`` (>1 = faster), by ratio of means.

    Latency: baseline mean / other mean; tokens/s: other mean / baseline mean. The two groups are
    independent (different devices, different requests), so each is resampled on its own.
    ``None`` when either side has fewer than two values or a mean of zero.
    """
    base, oth = np.asarray(list(baseline), dtype=float), np.asarray(list(other), dtype=float)
    if base.size < 2 or oth.size < 2 or base.mean() == 0 or oth.mean() == 0:
        return None
    num, den = (base, oth) if lower_is_better else (oth, base)

    def draw(rng: np.random.Generator) -> np.ndarray:
        return _resampled_means(rng, num) / _resampled_means(rng, den)

    low, high = _bootstrap(draw, seed)
    return Ratio(float(num.mean() / den.mean()), low, high)


def paired_ratio(
    baseline: Mapping[str, Sequence[float]], candidate: Mapping[str, Sequence[float]], *, seed: int = 0
) -> Ratio | None:
    """Typical candidate/baseline ratio over the prompts both runs measured, with a 95% interval.

    Each prompt is compared with itself (a long answer is slow in both runs), and the per-prompt
    ratios of means are combined by geometric mean, so one slow prompt does not dominate. The prompts
    are fixed (the same set both times); what could fake a change is run-to-run noise, so the interval
    resamples the rounds within each prompt, in each run independently. Prompts with fewer than two
    positive values on either side carry no noise estimate and are skipped; ``None`` when fewer than
    ``MIN_PAIRED_PROMPTS`` prompts remain.
    """
    pairs = [(np.asarray(b, dtype=float), np.asarray(candidate[p], dtype=float))
             for p, b in baseline.items() if p in candidate]
    pairs = [(b[b > 0], c[c > 0]) for b, c in pairs]
    pairs = [(b, c) for b, c in pairs if b.size >= 2 and c.size >= 2]
    if len(pairs) < MIN_PAIRED_PROMPTS:
        return None
    point = np.mean([np.log(c.mean() / b.mean()) for b, c in pairs])

    def draw(rng: np.random.Generator) -> np.ndarray:
        return np.mean([np.log(_resampled_means(rng, c) / _resampled_means(rng, b)) for b, c in pairs], axis=0)

    low, high = _bootstrap(draw, seed)
    return Ratio(float(np.exp(point)), float(np.exp(low)), float(np.exp(high)))

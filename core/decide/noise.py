"""Measurement noise: the figures a ranking rests on, drawn again as the runs could have measured them.

A ranking compares figures measured on a handful of requests; two models 1% apart on every figure swap
places as soon as the benchmark is run again. Each draw resamples, per ranked model:

* **latency**: its counted end-to-end times (the samples the run summarised: not warm-ups, not failures,
  the run's lowest concurrency), with replacement and the same size; the chosen statistic (mean or p95)
  is taken again;
* **tokens/s**: its counted decode rates the same way (a sample the runner flagged ``decode_bunched``,
  an unreliable rate, left out as the summary leaves it out), mean;
* **quality**: Decide is given ``{mean, ci95_low, ci95_high, n}`` per model
  (``core.grading.quality_source``), not the per-answer scores, so the mean is drawn from a normal whose
  central 95% is the stored interval (spread = half-width / 1.96); without an interval (too few answers),
  from the widest spread a mean of ``n`` scores on the 1-5 scale can have (sd <= 2 by Popoviciu's
  inequality, so 2 / sqrt(n)): an unknown uncertainty is never taken as none;
* memory, disk, license and values entered by hand: single readings or facts, held fixed.

At the sample sizes a benchmark has (5-30 per model) the plain bootstrap is too narrow: its spread is
sqrt((n - 1) / n) of the mean's standard error, and a normal-width interval ignores that the spread
itself is estimated. Each resampled statistic's distance from the observed one is therefore scaled by
``small_sample_factor(n)`` = sqrt(n / (n - 1)) x t(0.975, n - 1) / z(0.975), so the draws are as wide as a
Student-t interval. Without it two identical models were called different 9% of the time at n = 12
(simulated); the false-winner rate with it is measured by seeded simulation in
``tests/test_decide_noise.py``.

A model whose samples are not at hand (a table read back from a decision record, a hand-built one) has
its figures held fixed; the decision record stores the probabilities, the seed and the number of draws,
and its run ids let anyone draw them again from the store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.decide.candidates import Candidate, MeasuredSamples
from core.decide.ranking import normalise_rows
from core.decide.settings import ABSOLUTE_SCALES, SelectionSettings
from core.decide.usable import usable
from core.intervals import t_quantile_975

Z_975 = 1.959963984540054  # the standard normal's 97.5th percentile
QUALITY_MAX_SD = 2.0  # a 1-5 score's standard deviation can be at most (5 - 1) / 2


@dataclass(frozen=True)
class NoisyFigures:
    """Resampled figures: ``values[draw, model, criterion]`` and the same normalised as ``rank`` does."""

    refs: list[str]
    keys: list[str]
    values: np.ndarray
    normalised: np.ndarray


def small_sample_factor(n: int) -> float:
    """How much wider than the plain bootstrap the draws of a statistic of ``n`` samples are made."""
    return float(np.sqrt(n / (n - 1)) * t_quantile_975(n - 1) / Z_975)


def _bootstrap(rng: np.random.Generator, data: Sequence[float], draws: int, stat: str) -> np.ndarray | None:
    x = np.array([v for v in (usable(d) for d in data) if v is not None])
    if x.size < 2:  # one sample shows no spread to resample
        return None
    resampled = x[rng.integers(0, x.size, size=(draws, x.size))]
    observed = np.percentile(x, 95) if stat == "p95" else x.mean()
    again = np.percentile(resampled, 95, axis=1) if stat == "p95" else resampled.mean(axis=1)
    return observed + small_sample_factor(x.size) * (again - observed)


def _quality_draws(rng: np.random.Generator, quality: Mapping | None, draws: int) -> np.ndarray | None:
    mean = usable((quality or {}).get("mean"))
    if mean is None:
        return None
    low, high, n = usable(quality.get("ci95_low")), usable(quality.get("ci95_high")), quality.get("n") or 1
    sd = (high - low) / (2 * Z_975) if low is not None and high is not None else QUALITY_MAX_SD / np.sqrt(n)
    return mean + sd * rng.standard_normal(draws)


def _figure_draws(rng: np.random.Generator, key: str, candidate: Candidate, samples: MeasuredSamples | None,
                  settings: SelectionSettings, draws: int) -> np.ndarray | None:
    """Resampled values of one figure, or None when it is held fixed."""
    if key == "latency" and samples:
        return _bootstrap(rng, samples.e2e_s, draws, settings.latency_stat)
    if key == "throughput" and samples:
        return _bootstrap(rng, samples.decode_tps, draws, "mean")
    if key == "quality":
        return _quality_draws(rng, candidate.quality, draws)
    return None


def noisy_figures(models: Sequence[Candidate], fixed: Sequence[Mapping[str, float | None]], keys: Sequence[str],
                  samples: Mapping[str, MeasuredSamples], settings: SelectionSettings, draws: int,
                  rng: np.random.Generator) -> NoisyFigures:
    """``draws`` resamplings of ``keys`` for ``models`` (``fixed``: each model's figures as ranked), each
    draw normalised across the models like ``core.decide.ranking.rank``."""
    values = np.empty((draws, len(models), len(keys)))
    for i, (candidate, figures) in enumerate(zip(models, fixed, strict=True)):
        for j, key in enumerate(keys):
            drawn = _figure_draws(rng, key, candidate, samples.get(candidate.ref), settings, draws)
            values[:, i, j] = figures[key] if drawn is None else drawn
    criteria = {c.key: c for c in settings.criteria}
    normalised = np.stack([normalise_rows(values[:, :, j], criteria[k].higher_is_better, criteria[k].normalisation,
                                          ABSOLUTE_SCALES.get(k)) for j, k in enumerate(keys)], axis=2)
    return NoisyFigures([m.ref for m in models], list(keys), values, normalised.reshape(values.shape))

"""Several judge samples of one question, averaged, with their spread.

A judge sampled at a temperature above 0 can answer the same question differently; asking it ``k``
times and averaging steadies the verdict, and the spread says how sure the judge was (a spread of 0
over five samples is a settled verdict; 1.5 points on a 1-5 scale is a coin toss). Unreadable samples
(``None``) are left out of the mean and counted, never taken as 0. Used by the pairwise judge
(``core.grading.pairwise_results``: a preference per order) and meant for single-answer scores too.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class SampleSpread:
    """The readable samples' mean, standard deviation (``None`` below two) and range, and how many were not read."""

    n: int
    n_unreadable: int
    mean: float | None
    sd: float | None
    low: float | None
    high: float | None


def mean_and_spread(scores: Iterable[float | None]) -> SampleSpread:
    """Mean and spread of the readable samples among ``scores`` (``None`` = a sample that could not be read)."""
    given = list(scores)
    values = [float(s) for s in given if s is not None]
    unreadable = len(given) - len(values)
    if not values:
        return SampleSpread(0, unreadable, None, None, None, None)
    sd = statistics.stdev(values) if len(values) > 1 else None
    return SampleSpread(len(values), unreadable, statistics.fmean(values), sd, min(values), max(values))

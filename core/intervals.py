"""The one place Pickwise computes a 95% interval for a centre: the mean and the median of a sample.

Why not the percentile bootstrap every timing figure used to get? It covered 44% at n = 2 ([min, max])
and 74% at n = 5 on log-normal latencies, and read "5.00-5.00" for [5, 5, 5]. Timings are skewed
(a few slow requests), samples are small (a few prompts times a few rounds), so the interval must
hold there, even if that makes it wide: honest beats narrow.

* The mean: the hull (union) of three 95% intervals that fail in different places: Student's t
  (right for symmetric data), the log-normal interval of Cox (right for log-normal skew: positive data
  only) and the bootstrap-t (studentized bootstrap, right for other skew). Each alone falls short
  somewhere: t covers 82% on log-normal (sigma 1) data at n = 5, Cox 92%, bootstrap-t 90%; their hull
  covered 94-98% from n = 5 on log-normal (sigma 0.5, 1, 1.5), normal and spread 1-5 ordinal data
  (``tests/test_intervals.py`` checks it by seeded simulation). It is wider than any one of them.
* The median: the distribution-free order-statistic interval [x(k), x(n-k+1)], k from the binomial
  distribution with p = 1/2, so coverage is at least 95% for any continuous distribution. It needs
  n >= 6 (at n = 5 even [min, max] covers only 93.75%).

For data that cannot be negative (every timing and rate) the lower bound stops at zero: the Student-t part
of a small, very skewed sample reaches below it ("95% CI -0.00-0.63 s"), and cutting off values the mean
cannot take keeps the coverage.

Below ``MIN_FOR_INTERVAL`` values there is no mean interval, only the reason; a sample whose values
are all equal gets no interval either ("no spread observed"), never a zero-width one. The bootstrap is
seeded, so the same data always gives the same interval. Nothing here imports scipy: the Student-t
quantile is computed below (``t_quantile``) and checked against scipy in the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

MIN_FOR_INTERVAL = 5
LEVEL = 0.95
N_BOOT = 2000
_CELLS_PER_BATCH = 1_000_000  # bounds the bootstrap's memory: resamples are drawn in batches of rows
_MAX_EXPONENT = 700.0  # math.exp overflows just above 709
METHOD = "hull of Student-t, log-normal (Cox) and bootstrap-t"


@dataclass(frozen=True)
class Interval:
    """A 95% interval ``(low, high)``, or ``None`` bounds and ``note`` saying why there is none."""

    low: float | None
    high: float | None
    method: str | None = None
    note: str | None = None


def _abs_t_cdf(t: float, df: int) -> float:
    """P(|T| <= t) for Student's t with whole ``df`` (Abramowitz & Stegun 26.7.3-4: a finite series)."""
    theta = math.atan(t / math.sqrt(df))
    c2, s = math.cos(theta) ** 2, math.sin(theta)
    if df % 2 == 0:
        term = total = 1.0
        for k in range(2, df, 2):  # (1·3···(k-1)) / (2·4···k) cos^k
            term *= (k - 1) / k * c2
            total += term
        return s * total
    if df == 1:
        return 2 * theta / math.pi
    term = total = math.cos(theta)
    for k in range(3, df - 1, 2):  # (2·4···(k-1)) / (1·3···k) cos^k
        term *= (k - 1) / k * c2
        total += term
    return 2 / math.pi * (theta + s * total)


@lru_cache(maxsize=1024)
def t_quantile(df: int, level: float = LEVEL) -> float:
    """The two-sided critical value of Student's t: P(|T| <= value) = ``level``, by bisection."""
    if df < 1:
        raise ValueError(f"degrees of freedom must be at least 1, got {df}")
    if not 0 < level < 1:
        raise ValueError(f"confidence level must be between 0 and 1, got {level}")
    low, high = 0.0, 1.0
    while _abs_t_cdf(high, df) < level:
        high *= 2
    for _ in range(100):
        mid = (low + high) / 2
        low, high = (mid, high) if _abs_t_cdf(mid, df) < level else (low, mid)
    return (low + high) / 2


def t_quantile_975(df: int) -> float:
    """The 97.5th percentile of Student's t with ``df`` degrees of freedom (two-sided 95%)."""
    return t_quantile(df, LEVEL)


def t_interval(data: np.ndarray) -> tuple[float, float]:
    """Student's t 95% interval for the mean (needs at least 2 values)."""
    n = data.size
    half = t_quantile_975(n - 1) * float(data.std(ddof=1)) / math.sqrt(n)
    centre = float(data.mean())
    return centre - half, centre + half


def lognormal_interval(data: np.ndarray) -> tuple[float, float] | None:
    """Cox's 95% interval for the mean of log-normal data: exp(ȳ + s²/2 ± t·sqrt(s²/n + s⁴/(2(n-1))))
    over y = log(x) (Olsson 2005, "Confidence intervals for the mean of a log-normal distribution").
    Positive values only; ``None`` when its upper end is beyond any float (values spanning hundreds of
    orders of magnitude), where it says nothing the other intervals do not."""
    logs = np.log(data)
    n = logs.size
    centre, var = float(logs.mean()), float(logs.var(ddof=1))
    half = t_quantile_975(n - 1) * math.sqrt(var / n + var * var / (2 * (n - 1)))
    if centre + var / 2 + half > _MAX_EXPONENT:
        return None
    return math.exp(centre + var / 2 - half), math.exp(centre + var / 2 + half)


def resampled_rows(rng: np.random.Generator, data: np.ndarray, n_boot: int) -> list[np.ndarray]:
    """``n_boot`` bootstrap resamples of ``data`` as a few 2-D batches of rows, so memory stays bounded."""
    rows_per_batch = max(1, _CELLS_PER_BATCH // data.size)
    return [rng.choice(data, size=(min(rows_per_batch, n_boot - start), data.size))
            for start in range(0, n_boot, rows_per_batch)]


def bootstrap_t_interval(data: np.ndarray, rng: np.random.Generator,
                         n_boot: int = N_BOOT) -> tuple[float, float] | None:
    """The studentized (bootstrap-t) 95% interval for the mean (Efron & Tibshirani 1993, ch. 12.5).

    Each resample's t = (mean* - mean) / (sd* / sqrt(n)); resamples with no spread have no t and are
    left out (at n = 5 a resample of one repeated value is common); ``None`` when none had any spread."""
    n = data.size
    centre, scale = float(data.mean()), float(data.std(ddof=1)) / math.sqrt(n)
    ts = []
    for rows in resampled_rows(rng, data, n_boot):
        sds = rows.std(axis=1, ddof=1)
        usable = sds > 0
        ts.append((rows[usable].mean(axis=1) - centre) / (sds[usable] / math.sqrt(n)))
    pooled = np.concatenate(ts)
    if pooled.size == 0:
        return None
    low_t, high_t = np.percentile(pooled, [100 * (1 - LEVEL) / 2, 100 * (1 + LEVEL) / 2])
    return centre - float(high_t) * scale, centre - float(low_t) * scale


def mean_interval(data: np.ndarray, *, seed: int = 0, n_boot: int = N_BOOT) -> Interval:
    """The 95% interval for the mean of ``data`` (finite values), or why there is none (module docstring)."""
    n = int(data.size)
    if n < MIN_FOR_INTERVAL:
        return Interval(None, None, note=f"too few samples for an interval (n={n}, need {MIN_FOR_INTERVAL})")
    if float(data.min()) == float(data.max()):
        return Interval(None, None, note=f"no spread observed: all {n} samples equal {float(data[0]):.4g}, "
                                         "so no interval can be estimated")
    parts = [t_interval(data), bootstrap_t_interval(data, np.random.default_rng(seed), n_boot)]
    if float(data.min()) > 0:
        parts.append(lognormal_interval(data))
    found = [p for p in parts if p is not None]
    low = min(p[0] for p in found)
    if float(data.min()) >= 0:  # times and rates: the mean cannot be negative, so neither can the bound
        low = max(low, 0.0)
    return Interval(low, max(p[1] for p in found), METHOD)


def quantile_ranks(n: int, q: float) -> tuple[int | None, int | None]:
    """1-based ranks ``(lower, upper)`` of the order statistics bounding the ``q`` quantile with >= 95% coverage.

    With B ~ Binomial(n, q) the number of values below the true quantile, ``lower`` is the largest rank
    with P(B < lower) <= 2.5% and ``upper`` the smallest with P(B >= upper) <= 2.5%, so
    P(x(lower) <= quantile <= x(upper)) >= 95% for any continuous distribution. Either is ``None`` when
    the sample is too small for that end (p95 needs n >= 72 for its upper end). The binomial tail is
    summed in floating point from log-probabilities: O(n), so 100,000 samples cost milliseconds."""
    j = np.arange(n + 1)
    log_choose = np.concatenate([[0.0], np.cumsum(np.log(n - j[1:] + 1) - np.log(j[1:]))])
    with np.errstate(divide="ignore"):
        cdf = np.cumsum(np.exp(log_choose + j * math.log(q) + (n - j) * math.log1p(-q)))
    tail = (1 - LEVEL) / 2
    lower = int(np.count_nonzero(cdf <= tail))
    reach = np.flatnonzero(cdf >= 1 - tail)
    upper = int(reach[0]) + 1 if reach.size and reach[0] + 1 <= n else None
    return (lower or None), upper


def median_ranks(n: int) -> tuple[int, int] | None:
    """``quantile_ranks`` of the median; ``None`` when even [min, max] covers less than 95% (n < 6)."""
    lower, upper = quantile_ranks(n, 0.5)
    return (lower, upper) if lower is not None and upper is not None else None


def quantile_interval(data: np.ndarray, q: float, name: str) -> Interval:
    """The distribution-free 95% interval for the ``q`` quantile (order statistics), or why there is none."""
    n = int(data.size)
    lower, upper = quantile_ranks(n, q)
    if lower is None or upper is None:
        return Interval(None, None, note=f"too few samples for an interval of the {name} (n={n})")
    ordered = np.sort(data)
    low, high = float(ordered[lower - 1]), float(ordered[upper - 1])
    if low == high:
        return Interval(None, None, note=f"no spread observed around the {name} ({low:.4g})")
    return Interval(low, high, "order statistics (binomial)")


def median_interval(data: np.ndarray) -> Interval:
    """The distribution-free 95% interval for the median, or why there is none."""
    return quantile_interval(data, 0.5, "median")

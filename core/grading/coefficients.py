"""Kappa and Spearman of judge against people from score tables, each with a 95% interval over answers.

Both statistics of two graders on the 1-5 scale are functions of their k x k table of score pairs
(row: the judge's score, column: the person's): quadratic-weighted kappa directly, Spearman's rho as
the Pearson correlation of the levels' mid-ranks, which is exactly rho with tie-averaged ranks. One
table per answer (its pairs over criteria and graders) makes the answer the unit of resampling: an
answer's pairs share its text, so they are not independent.

The interval: leave one answer out at a time (a cluster jackknife), take the spread of the
leave-one-out values on Fisher's z scale (atanh, where a coefficient bounded by -1 and 1 is close to
normal), and use Student's t with n - 1 degrees of freedom; back on the coefficient's scale it stays
inside [-1, 1]. Why not the percentile bootstrap the alpha interval uses: measured by seeded simulation
(tests/test_grading_coefficients.py), at 10 answers it covered the true kappa 86-90% of the time (BCa
87-94%); the jackknife-t covers at least 93% from 10 answers, for kappa and for Spearman, and needs no
random draws. Below ``MIN_ANSWERS`` there is no interval, and none either when leaving an answer out
cannot move the coefficient (judge and people agreeing on every answer): the note says why.
``jackknife`` is the same interval for any coefficient over answers (score against length, in
``core.grading.results``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from core.intervals import t_quantile_975

MIN_ANSWERS = 10  # answers graded by both; below this an interval (and a verdict) would say nothing
_EDGE = 1 - 1e-12  # atanh(+-1) is infinite: a coefficient at the edge is pulled in this far
_NO_SPREAD = 1e-12

Statistic = Callable[[np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Coefficient:
    """A coefficient over ``n`` answers with its 95% interval, or ``note`` saying why there is none."""

    value: float | None
    n: int
    ci95_low: float | None = None
    ci95_high: float | None = None
    note: str | None = None


def score_table(pairs: list[tuple[int, int]], levels: tuple[int, ...]) -> np.ndarray:
    """The k x k counts of ``(judge, person)`` score pairs."""
    index = {level: i for i, level in enumerate(levels)}
    table = np.zeros((len(levels), len(levels)))
    for judge, person in pairs:
        table[index[judge], index[person]] += 1
    return table


def _shares(tables: np.ndarray) -> np.ndarray:
    total = tables.sum(axis=(-2, -1))[..., None, None]
    with np.errstate(invalid="ignore", divide="ignore"):
        return tables / total


def kappa_of(tables: np.ndarray) -> np.ndarray:
    """Quadratic-weighted kappa of one or many tables (... x k x k); NaN where chance disagreement is 0."""
    p = _shares(tables)
    k = tables.shape[-1]
    i, j = np.indices((k, k))
    weights = (i - j) ** 2 / (k - 1) ** 2
    chance = (weights * p.sum(axis=-1)[..., :, None] * p.sum(axis=-2)[..., None, :]).sum(axis=(-2, -1))
    observed = (weights * p).sum(axis=(-2, -1))
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(chance > 0, 1 - observed / chance, np.nan)


def spearman_of(tables: np.ndarray) -> np.ndarray:
    """Spearman's rho (tie-averaged ranks) of one or many tables; NaN where either side is constant."""
    p = _shares(tables)
    rows, cols = p.sum(axis=-1), p.sum(axis=-2)
    row_rank, col_rank = np.cumsum(rows, axis=-1) - rows / 2, np.cumsum(cols, axis=-1) - cols / 2
    dr = row_rank - (rows * row_rank).sum(axis=-1, keepdims=True)
    dc = col_rank - (cols * col_rank).sum(axis=-1, keepdims=True)
    covariance = (p * dr[..., :, None] * dc[..., None, :]).sum(axis=(-2, -1))
    var_r, var_c = (rows * dr ** 2).sum(axis=-1), (cols * dc ** 2).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((var_r > _NO_SPREAD) & (var_c > _NO_SPREAD), covariance / np.sqrt(var_r * var_c), np.nan)


def value_of(statistic: Statistic, table: np.ndarray) -> float | None:
    """One table's coefficient, ``None`` where it is undefined."""
    value = float(statistic(table))
    return None if np.isnan(value) else value


def coefficient(statistic: Statistic, per_answer: np.ndarray, min_n: int = MIN_ANSWERS) -> Coefficient:
    """``statistic`` over the answers' tables (answers x k x k) pooled, with the jackknife-t interval."""
    n = len(per_answer)
    total = per_answer.sum(axis=0) if n else np.zeros(per_answer.shape[1:])
    value = value_of(statistic, total)
    if value is None:
        return Coefficient(None, n, note="undefined: the scores do not vary, so there is nothing to agree on")
    if n < min_n:
        return Coefficient(value, n, note=f"too few answers for an interval (n={n}, need {min_n})")
    return jackknife(value, statistic(total[None] - per_answer))


def jackknife(value: float, left_out: np.ndarray) -> Coefficient:
    """``value`` with its jackknife-t 95% interval from ``left_out``, the coefficient with each answer left
    out in turn (NaN where it was undefined); used for any coefficient in [-1, 1] over answers."""
    n = len(left_out)
    if np.isnan(left_out).any():
        return Coefficient(value, n, note="no interval: leaving out one answer leaves scores that do not vary")
    z = np.arctanh(np.clip(left_out, -_EDGE, _EDGE))
    se = float(np.sqrt((n - 1) / n * ((z - z.mean()) ** 2).sum()))
    if se < _NO_SPREAD:
        return Coefficient(value, n, note="no interval: every answer agrees alike, so leaving any out changes "
                                          "nothing and the uncertainty cannot be measured")
    centre, half = float(np.arctanh(np.clip(value, -_EDGE, _EDGE))), t_quantile_975(n - 1) * se
    return Coefficient(value, n, float(np.tanh(centre - half)), float(np.tanh(centre + half)))

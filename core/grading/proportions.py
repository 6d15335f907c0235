"""Shares with exact 95% intervals: how often a judge is position-consistent, how often a model wins.

Why exact (Clopper-Pearson) and not a bootstrap over prompts: the built-in prompt sets have 4 to 6
prompts, and at that size a percentile bootstrap is not an interval. Measured by seeded simulation
(tests/test_proportions.py has the check that guards this choice): with 4 prompts and a true win rate
of 95% it covered the truth 18% of the time, with 6 prompts 31%, and 4 wins out of 4 gave
"100%-100%". The exact interval covers at least 95% at every n, and never collapses to a point.

Ties: a win rate counts a tie as half a win (Chatbot Arena, MT-Bench), so the true rate lies between
P(win) and P(win or tie). The interval brackets it: the exact lower bound of the wins alone, the exact
upper bound of wins and ties together. Each side misses with at most 2.5%, so together at most 5%
(the union bound): coverage holds with any share of ties, however the judge produced them. A judge
whose every verdict is a tie therefore gets "0%-100%": it said nothing about who is better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

ALPHA = 0.05
_BISECTIONS = 60  # halves [0, 1] to below 1e-18: far past float precision


def _log_pmf(k: int, n: int, p: float) -> float:
    return (math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1)
            + k * math.log(p) + (n - k) * math.log1p(-p))


def _upper_tail(k: int, n: int, p: float) -> float:
    """P(X >= k) for X ~ Binomial(n, p), 0 < p < 1 (summed in log space, so large n cannot overflow)."""
    return min(1.0, sum(math.exp(_log_pmf(j, n, p)) for j in range(k, n + 1)))


def _crossing(target: float, tail_from: int, n: int) -> float:
    """The p in (0, 1) where ``P(X >= tail_from)`` (increasing in p) equals ``target``, by bisection."""
    low, high = 0.0, 1.0
    for _ in range(_BISECTIONS):
        mid = (low + high) / 2
        if _upper_tail(tail_from, n, mid) > target:
            high = mid
        else:
            low = mid
    return (low + high) / 2


@lru_cache(maxsize=4096)  # pure, and asked again for every pair and every page run
def clopper_pearson(k: int, n: int, alpha: float = ALPHA) -> tuple[float, float]:
    """The exact two-sided ``1 - alpha`` interval for a share of ``k`` successes out of ``n`` trials.

    Lower bound: the p at which ``P(X >= k) = alpha/2``; upper: the p at which ``P(X <= k) = alpha/2``
    (equivalently the Beta quantiles ``Beta(alpha/2; k, n-k+1)`` and ``Beta(1-alpha/2; k+1, n-k)``)."""
    if n < 1 or not 0 <= k <= n:
        raise ValueError(f"need 0 <= k <= n and n >= 1, got k={k}, n={n}")
    low = 0.0 if k == 0 else _crossing(alpha / 2, k, n)
    high = 1.0 if k == n else _crossing(1 - alpha / 2, k + 1, n)
    return low, high


@dataclass(frozen=True)
class Share:
    """``k`` of ``n`` with its exact 95% interval; ``rate`` and the bounds are ``None`` when ``n`` is 0."""

    k: int
    n: int

    @property
    def rate(self) -> float | None:
        return self.k / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        return clopper_pearson(self.k, self.n) if self.n else None


@dataclass(frozen=True)
class WinRate:
    """One model's record against another over ``n`` prompts: wins, ties and losses, a tie counting half."""

    wins: int
    ties: int
    losses: int

    @property
    def n(self) -> int:
        return self.wins + self.ties + self.losses

    @property
    def rate(self) -> float | None:
        return (self.wins + self.ties / 2) / self.n if self.n else None

    @property
    def interval(self) -> tuple[float, float] | None:
        """95% interval bracketing the tie rule (see the module docstring); ``None`` without prompts."""
        if not self.n:
            return None
        return clopper_pearson(self.wins, self.n)[0], clopper_pearson(self.wins + self.ties, self.n)[1]

"""Is the top-ranked model ahead beyond measurement noise? A statistical tie, or a named winner, in words.

The weights are held FIXED and only the measured figures are resampled (``core.decide.noise``); each
draw is scored exactly as ``rank`` scores. The rule, one of the two the issue allowed: the leader's lead
over another model is beyond noise when the 95% interval of the score difference (the 2.5th-97.5th
percentiles over the draws) lies above 0. Every model whose interval reaches 0 or below is in a
statistical tie with the leader, and the sentences say "statistical tie between A and B" instead of
naming a winner. This rule is two-sided at 5% (the other one, "stays first in at least 95% of draws", is a
one-sided test and names a false winner about twice as often); the share of draws the leader stays first
in is reported beside it. Its false-winner rate with two truly identical models is measured by seeded
simulation in ``tests/test_decide_noise.py``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from core.decide.ranking import Ranking

LEVEL = 0.95


@dataclass(frozen=True)
class Gap:
    """The leader's lead over one other model, in score points, with its 95% interval under noise."""

    ref: str
    points: float
    ci95: tuple[float, float]

    @property
    def beyond_noise(self) -> bool:
        return self.ci95[0] > 0


@dataclass(frozen=True)
class Lead:
    """The noise verdict on the top of the ranking (see the module docstring)."""

    leader: str
    gaps: tuple[Gap, ...]  # to every other ranked model, in rank order
    stays_first: float  # share of draws in which the leader is still first
    draws: int
    seed: int
    noisy: bool  # False when no figure could be resampled (no samples, no quality interval)

    @property
    def tied(self) -> tuple[str, ...]:
        """The models within noise of the leader (none when nothing could be resampled)."""
        return tuple(g.ref for g in self.gaps if not g.beyond_noise) if self.noisy else ()

    @property
    def tie(self) -> bool:
        return bool(self.tied)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"tied": list(self.tied), "sentence": self.sentence()}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Lead:
        gaps = tuple(Gap(g["ref"], g["points"], tuple(g["ci95"])) for g in data["gaps"])
        return cls(data["leader"], gaps, data["stays_first"], data["draws"], data["seed"], data["noisy"])

    def sentence(self) -> str:
        """The comparison in words with its interval: a statistical tie, or the leader named."""
        if not self.gaps:
            return f"{self.leader} is the only ranked model."
        if not self.noisy:
            gap = self.gaps[0]
            return (f"{self.leader} ranks first, {gap.points:.1f} points ahead of {gap.ref}; measurement noise "
                    "was not assessed (no samples or intervals at hand for these figures).")
        stays = f"it stays first in {100 * self.stays_first:.0f}% of {self.draws} resampled measurements"
        if self.tie:
            shown = [g for g in self.gaps if not g.beyond_noise]
            return (f"Statistical tie between {_names([self.leader, *(g.ref for g in shown)])}: {self.leader} leads "
                    f"{_gaps(shown)} under measurement noise; {stays}.")
        return f"{self.leader} ranks first: it leads {_gaps(self.gaps[:1])} under measurement noise; {stays}."


def _names(refs: Sequence[str]) -> str:
    return refs[0] if len(refs) == 1 else ", ".join(refs[:-1]) + " and " + refs[-1]


def _gaps(gaps: Sequence[Gap]) -> str:
    """``B by 7.2 points (95% CI -1.3 to 15.8)``; an interval of one value (min-max normalisation of two
    models clearly apart gives the same points in every draw) is said as such, not as a zero-width range."""
    return ", ".join(f"{g.ref} by {g.points:.1f} points " + (
        f"(95% CI {g.ci95[0]:.1f} to {g.ci95[1]:.1f})" if f"{g.ci95[0]:.1f}" != f"{g.ci95[1]:.1f}"
        else f"(95% or more of the draws give exactly {g.ci95[0]:.1f})") for g in gaps)


def lead_under_noise(ranking: Ranking, refs: Sequence[str], scores: np.ndarray, *, draws: int, seed: int,
                     noisy: bool) -> Lead | None:
    """The verdict from ``scores[draw, model]`` (models in ``refs`` order) drawn with the weights fixed."""
    if ranking.winner is None:
        return None
    leader = refs.index(ranking.winner)
    tail = 100 * (1 - LEVEL) / 2
    gaps = []
    for other in ranking.ranked[1:]:
        diff = scores[:, leader] - scores[:, refs.index(other.ref)]
        low, high = np.percentile(diff, [tail, 100 - tail])
        gaps.append(Gap(other.ref, ranking.ranked[0].score - other.score, (float(low), float(high))))
    stays = float(np.mean(np.round(scores, 9).argmax(axis=1) == leader))
    return Lead(ranking.winner, tuple(gaps), stays, draws, seed, noisy)

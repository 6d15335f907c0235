"""Pairs over shared prompts: what two sides of a comparison (runs, devices, models) may be compared on.

Two sides share a prompt when both measured it under the same id with the same text
(``core.compare.runs.prompt_keys``); a prompt only one side asked would compare a long answer with a short
one. Every comparison says how many prompts it rests on, and when there are too few, why, in a sentence.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from core.compare.groups import LOWER_IS_BETTER, Group
from core.compare.ratios import MIN_PAIRED_PROMPTS, Ratio, paired_ratio
from core.compare.runs import PromptKey

NO_SHARED_PROMPT = "these runs share no prompt; run both on the same prompt set"


def pooled_values(groups: Iterable[Group], metric: str) -> dict[PromptKey, list[float]]:
    """Each prompt's values over the groups (several runs of one model on one device are pooled)."""
    pooled: dict[PromptKey, list[float]] = defaultdict(list)
    for group in groups:
        for key, values in group.values_by_prompt(metric).items():
            pooled[key].extend(values)
    return dict(pooled)


@dataclass(frozen=True)
class Pairing:
    """A paired ratio (``None`` when there is none), how many prompts both sides measured, and why not."""

    ratio: Ratio | None
    shared_prompts: int

    @property
    def note(self) -> str | None:
        """Why there is no ratio, as the end of a sentence; ``None`` when there is one."""
        if self.ratio is not None:
            return None
        if self.shared_prompts == 0:
            return NO_SHARED_PROMPT
        return (f"they share only {self.shared_prompts} measured prompt and a comparison needs "
                f"{MIN_PAIRED_PROMPTS}; run both on the same prompt set")

    def columns(self, value: str = "ratio") -> dict[str, Any]:
        """The pairing as table columns: ``value`` (the ratio), its interval, the prompt count and verdict flags."""
        r = self.ratio
        return {"shared_prompts": r.pairs if r else self.shared_prompts, value: r.value if r else None,
                "ci95_low": r.ci95_low if r else None, "ci95_high": r.ci95_high if r else None,
                "beyond_noise": bool(r and r.beyond_noise), "tie": bool(r and not r.clear), "note": self.note}


def pair(baseline: Iterable[Group], candidate: Iterable[Group], metric: str) -> Pairing:
    """candidate / baseline over the prompts both measured (the number itself: up is slower for latency)."""
    base, cand = pooled_values(baseline, metric), pooled_values(candidate, metric)
    return Pairing(paired_ratio(base, cand), len(base.keys() & cand.keys()))


def advantage(reference: Iterable[Group], subject: Iterable[Group], metric: str) -> Pairing:
    """How many times better ``subject`` is than ``reference`` (> 1 = better: faster, or more tokens/s)."""
    if LOWER_IS_BETTER[metric]:
        return pair(subject, reference, metric)  # reference time / subject time
    return pair(reference, subject, metric)

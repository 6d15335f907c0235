"""Whether a decision may use a judge model's scores: only a qualified judge's, unless a person overrides.

A judge is *qualified* for a rubric in a run when it told known-good control answers from known-bad ones
better than chance (``core.grading.controls``; the rule is theirs). A small judge can parse perfectly and
still rate "2+2 = 5" as 5/5, so scores from a judge that failed, or was never checked, are held back by
default, and the product says so in words. The product owner may use them anyway, but only by giving a
reason, which the decision record quotes (``override_reason``): the choice stays theirs and stays visible.

Pure: the qualification is an argument, so the policy is tested without a judge (``tests/test_quality_source.py``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.grading.controls import Qualification


@dataclass(frozen=True)
class JudgeGate:
    """For one run: may its judge scores be used, what to tell the product owner, and what to record."""

    run_id: str
    use: bool
    qualified: bool
    verdict: str  # the qualification's verdict, or why there is none, in one or two sentences
    override_reason: str | None = None  # set only when an unqualified judge's scores are used
    figures: dict[str, Any] | None = None  # the qualification's numbers, for the record

    def as_record(self) -> dict[str, Any]:
        """What the decision record keeps: qualified or not, the verdict, the numbers."""
        return {"qualified": self.qualified, "verdict": self.verdict, **(self.figures or {})}


_FIGURES = ("n_controls", "accuracy", "ci95_low", "ci95_high", "mean_gap", "chance")


def not_checked(judge_ref: str, rubric_label: str, run_id: str) -> str:
    """The verdict when a judge has no qualification for this rubric in this run."""
    return (f"The judge {judge_ref} has not been checked against control answers for {rubric_label} in run "
            f"{run_id}: its scores are not used unless you override this with a reason.")


def judge_gate(run_id: str, qualification: Qualification | None, unchecked_verdict: str,
               override_reason: str | None = None) -> JudgeGate:
    """A qualified judge's scores are used; an unqualified or unchecked one's only with ``override_reason``
    (blank counts as none). ``unchecked_verdict`` is what to say when ``qualification`` is None."""
    reason = (override_reason or "").strip() or None
    if qualification is None:
        return JudgeGate(run_id, use=reason is not None, qualified=False, verdict=unchecked_verdict,
                         override_reason=reason)
    figures = {name: getattr(qualification, name) for name in _FIGURES}
    if qualification.qualified:
        return JudgeGate(run_id, use=True, qualified=True, verdict=qualification.verdict, figures=figures)
    return JudgeGate(run_id, use=reason is not None, qualified=False, verdict=qualification.verdict,
                     override_reason=reason, figures=figures)

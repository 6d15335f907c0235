"""Which grades feed a decision: one run's judgments by one judge, or people's grades, or none.

The Decide page and ``cli.py decide`` make the same choice, so it lives here, not in a widget: the
page's widget only collects run, rubric and source; this module says what can be chosen
(``quality_options``) and turns a choice into the per-model quality ``core.selection`` ranks on and the
description a decision record keeps (``choose_quality``).

A source is written ``none``, ``people`` or ``judge:REF`` (REF is a model ref, itself ``SOURCE:MODEL_ID``),
the same words on the command line and in the page.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from core.grading import GRADES, JUDGMENTS, Agreement, Rubric, judge_human_agreement, list_rubrics, quality_by_model
from store import Store

NONE = "none"
PEOPLE = "people"
JUDGE_PREFIX = "judge:"


def judge_source(judge_ref: str) -> str:
    """The source word for one judge: ``judge:REF``."""
    return JUDGE_PREFIX + judge_ref


def judge_of(source: str) -> str | None:
    """The judge ref of a ``judge:REF`` source, ``None`` for people; ``ValueError`` for anything else."""
    if source == PEOPLE:
        return None
    if source.startswith(JUDGE_PREFIX) and source != JUDGE_PREFIX:
        return source.removeprefix(JUDGE_PREFIX)
    raise ValueError(f"Unknown quality source {source!r}: use 'none', 'people' or 'judge:REF' "
                     "(REF a judge model such as foundry-local:MODEL_ID).")


@dataclass(frozen=True)
class QualityOptions:
    """What one run offers: rubrics (the ones holding most grades first), sources, and the counts behind
    that order, so a page starts on a choice that actually has grades instead of leaving quality out."""

    rubrics: list[Rubric]
    sources: list[str]  # every judge that judged the run (``judge:REF``), then ``people``
    counts: dict[tuple[str, int, str], int]  # (rubric name, version, source) -> judgments or grades

    def graded_sources(self, rubric: Rubric) -> list[str]:
        """The sources holding at least one judgment or grade under this rubric version."""
        return [s for s in self.sources if self.counts.get((rubric.name, rubric.version, s))]


def quality_options(store: Store, run_id: str) -> QualityOptions:
    """The rubrics and sources one run can take its quality from, each counted."""
    counts: Counter[tuple[str, int, str]] = Counter()
    for doc in store.find(JUDGMENTS, run_id=run_id):
        counts[(doc.get("rubric_name"), doc.get("rubric_version"), judge_source(doc.get("judge_ref") or ""))] += 1
    for doc in store.find(GRADES, run_id=run_id):
        counts[(doc.get("rubric_name"), doc.get("rubric_version"), PEOPLE)] += 1
    rubrics = sorted(list_rubrics(store), key=lambda r: -sum(n for (name, version, _), n in counts.items()
                                                                if (name, version) == (r.name, r.version)))
    judges = sorted({source for (_, _, source) in counts if source.startswith(JUDGE_PREFIX) and source != JUDGE_PREFIX})
    return QualityOptions(rubrics=rubrics, sources=[*judges, PEOPLE], counts=dict(counts))


@dataclass(frozen=True)
class QualityChoice:
    """Per-model quality for ``core.selection.candidate_table`` and where it came from.

    ``quality``: ``{model_ref: {mean, ci95_low, ci95_high, n}}`` for models with at least one score
    (a model without one is missing, never 0); ``source``: the decision record's ``quality_source``
    (``None`` for ``none``); ``agreement``: the judge's agreement with people, for a judge.
    """

    quality: dict[str, dict[str, Any]]
    source: dict[str, Any] | None
    agreement: Agreement | None = None


NO_QUALITY = QualityChoice(quality={}, source=None)


def choose_quality(store: Store, run_id: str, rubric: Rubric | None, source: str) -> QualityChoice:
    """Quality from ``run_id`` under ``rubric`` by ``source`` (``none``, ``people`` or ``judge:REF``)."""
    if source == NONE or rubric is None:
        return NO_QUALITY
    judge = judge_of(source)
    quality = {
        q.model_ref: {"mean": q.overall.mean, "ci95_low": q.overall.ci95_low, "ci95_high": q.overall.ci95_high,
                      "n": q.overall.n}
        for q in quality_by_model(store, run_id, rubric, judge_ref=judge) if q.overall.n
    }
    described: dict[str, Any] = {"run_id": run_id, "rubric": f"{rubric.name} v{rubric.version}",
                                 "judge": judge or "people"}
    if judge is None:
        return QualityChoice(quality, described)
    agreement = judge_human_agreement(store, run_id, judge, rubric)
    described["agreement"] = {"kappa": agreement.kappa, "spearman": agreement.spearman,
                              "n_items": agreement.n_items, "verdict": agreement.verdict}
    return QualityChoice(quality, described, agreement)

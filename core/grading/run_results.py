"""What the Grade page's Results tab shows for one run and rubric version, read from the store in one place.

A result comes from one *source*: each judge that judged the run, and people (every grader pooled).
Per source: quality per model with its uncertainty, the judge's agreement with people (when both scored)
or people's agreement with each other, and one point per scored answer (score against response length,
several graders' scores averaged) with each model's length-bias note.
Sources stay apart: pooling a judge with people would hide the disagreement the agreement is there to show.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from core.grading.agreement import Agreement, PeopleAgreement, judge_human_agreement, people_agreement
from core.grading.results import LengthBias, ModelQuality, length_bias, quality_by_model, scored_answers
from core.grading.rubric import Rubric
from store import Store, queries
from store.records import Grade, Judgment

PEOPLE_LABEL = "People (every grader)"


def score_sources(store: Store, run_id: str, rubric: Rubric) -> list[tuple[str, str | None]]:
    """``(label, judge_ref)`` for each judge that judged this run under this rubric version, then
    ``("People (every grader)", None)`` if anyone graded it: the sources a result can come from."""
    judges = sorted({j.judge_ref for j in queries.scores_for(store, Judgment, run_id, rubric.name, rubric.version)})
    sources: list[tuple[str, str | None]] = [(f"Judge {ref}", ref) for ref in judges]
    if queries.scores_for(store, Grade, run_id, rubric.name, rubric.version):
        sources.append((PEOPLE_LABEL, None))
    return sources


def score_points(store: Store, run_id: str, rubric: Rubric, judge_ref: str | None) -> pd.DataFrame:
    """One point per scored answer: model, overall score, response length (the length-bias scatter)."""
    rows = [{"model": a.model_ref, "item": a.item_id, "response_chars": a.response_chars, "score": a.overall}
            for a in scored_answers(store, run_id, rubric, judge_ref=judge_ref)]
    return pd.DataFrame(rows, columns=["model", "item", "response_chars", "score"])


@dataclass(frozen=True)
class SourceResults:
    """Everything the Results tab shows for one source (a judge, or people when ``judge_ref`` is None)."""

    label: str
    judge_ref: str | None
    quality: list[ModelQuality]
    agreement: Agreement | None  # a judge's agreement with people, when people graded the run too
    people: PeopleAgreement | None  # people's agreement with each other (people's source only)
    points: pd.DataFrame  # score_points
    length_bias: dict[str, LengthBias]


def run_results(store: Store, run_id: str, rubric: Rubric) -> list[SourceResults]:
    """One ``SourceResults`` per source of ``score_sources`` (empty while nobody scored the run)."""
    sources = score_sources(store, run_id, rubric)
    people_graded = any(judge_ref is None for _, judge_ref in sources)
    return [
        SourceResults(
            label=label, judge_ref=judge_ref,
            quality=quality_by_model(store, run_id, rubric, judge_ref=judge_ref),
            agreement=(judge_human_agreement(store, run_id, judge_ref, rubric)
                       if judge_ref is not None and people_graded else None),
            people=people_agreement(store, run_id, rubric) if judge_ref is None else None,
            points=score_points(store, run_id, rubric, judge_ref),
            length_bias=length_bias(store, run_id, rubric, judge_ref=judge_ref),
        )
        for label, judge_ref in sources
    ]

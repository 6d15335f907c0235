"""Quality results from stored judgments and grades: per model, per criterion, with their uncertainty.

The unit is the ANSWER, never the grade: several people grading one answer (or a judge scoring it
more than once) give that answer one score per criterion, the mean of its graders', and a model's
mean is over its answers with n = answers. Counting grades instead would let three people agreeing
on one answer outweigh another answer nobody double-checked (5, 5, 5 and 1 is 3.0 over two answers,
not 4.0 over "four"), and would hide answers nobody graded. How far people agree with each other is
``core.grading.agreement.people_agreement``'s job.

Every mean comes with a 95% interval and its count (``core.grading.score_mean``), because "3.8 vs 3.6"
on eight answers is noise and the page must be able to say so. Unscored judgments are never averaged
in (they are not zeros) but are counted, per answer, and the parse-failure rate per judge says how much
of a judge's output could not be read at all.

Length bias: a judge that prefers longer answers inflates verbose models. The rank correlation of
score with response length, per model, exposes it (within one model, answer quality and length
should not move together much); its 95% interval leaves one answer out at a time
(``core.grading.coefficients.jackknife``, >= 93% coverage from 8 answers by simulation).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from core.grading.agreement import spearman
from core.grading.coefficients import Coefficient, jackknife
from core.grading.items import grading_items
from core.grading.rubric import Rubric
from core.grading.score_mean import ScoreMean, score_mean
from core.grading.thresholds import Scale
from store import Store, queries
from store.records import Grade, Judgment

Scored = Judgment | Grade

MIN_FOR_LENGTH_CHECK = 8
LENGTH_BIAS_SCALE = Scale(((0.5, "rewards length"),), below="no strong link")


@dataclass(frozen=True)
class ModelQuality:
    """One model's scores under one rubric version from one kind of grader; every count is of answers."""

    model_ref: str
    n_items: int  # distinct answers of this model in the run
    n_scored: int  # answers with at least one score (each counted once, however many graded it)
    n_unscored: int  # answers whose judge replies could not be read (never in the means)
    per_criterion: dict[str, ScoreMean]
    overall: ScoreMean  # over answers: each answer's mean of its criterion scores

    @property
    def n_not_graded(self) -> int:
        """Answers nobody has scored yet (nor tried to: an unreadable judge reply is ``n_unscored``)."""
        return self.n_items - self.n_scored - self.n_unscored


@dataclass(frozen=True)
class AnswerScore:
    """One answer's scores: per criterion the mean over everyone who scored it."""

    item_id: str
    model_ref: str
    response_chars: int
    scores: dict[str, float]
    n_graders: int

    @property
    def overall(self) -> float:
        return overall_score(self.scores)


def overall_score(scores: Mapping[str, float]) -> float:
    """An answer's overall score: the mean of its criterion scores."""
    return math.fsum(scores.values()) / len(scores)


def answer_scores(docs: Sequence[Scored]) -> list[AnswerScore]:
    """Scored judgments or grades folded into one ``AnswerScore`` per answer (item), in item order."""
    by_item: dict[str, list[Scored]] = defaultdict(list)
    for doc in docs:
        by_item[doc.item_id].append(doc)
    out = []
    for item_id, graded in sorted(by_item.items()):
        keys = graded[0].scores or {}
        out.append(AnswerScore(
            item_id=item_id, model_ref=graded[0].model_ref, response_chars=graded[0].response_chars,
            scores={k: math.fsum((d.scores or {})[k] for d in graded) / len(graded) for k in keys},
            n_graders=len(graded),
        ))
    return out


def _scored(store: Store, run_id: str, rubric: Rubric, judge_ref: str | None,
            grader: str | None) -> tuple[list[Scored], list[Scored]]:
    """(scored, unscored) judgments from the judge if ``judge_ref`` is given, else people's grades."""
    if judge_ref is not None:
        docs = queries.scores_for(store, Judgment, run_id, rubric.name, rubric.version, judge_ref=judge_ref)
        return [d for d in docs if d.status == "scored"], [d for d in docs if d.status != "scored"]
    return list(queries.scores_for(store, Grade, run_id, rubric.name, rubric.version, grader=grader)), []


def scored_answers(store: Store, run_id: str, rubric: Rubric, *, judge_ref: str | None = None,
                   grader: str | None = None) -> list[AnswerScore]:
    """One score per answer from the judge ``judge_ref`` or, when None, from people (one ``grader`` or all)."""
    return answer_scores(_scored(store, run_id, rubric, judge_ref, grader)[0])


def quality_by_model(store: Store, run_id: str, rubric: Rubric, *, judge_ref: str | None = None,
                     grader: str | None = None) -> list[ModelQuality]:
    """Per model: mean score per criterion and overall over its answers, with 95% intervals, from the judge
    ``judge_ref`` or, when it is None, from people's grades (one ``grader`` or all, averaged per answer)."""
    scored, unscored = _scored(store, run_id, rubric, judge_ref, grader)
    items_per_model: dict[str, int] = defaultdict(int)
    for item in grading_items(store, run_id):
        items_per_model[item.model_ref] += 1
    by_model: dict[str, list[AnswerScore]] = defaultdict(list)
    for answer in answer_scores(scored):
        by_model[answer.model_ref].append(answer)
    scored_ids = {d.item_id for d in scored}
    failed: dict[str, set[str]] = defaultdict(set)
    for doc in unscored:
        if doc.item_id not in scored_ids:  # read on another attempt: that answer is scored
            failed[doc.model_ref].add(doc.item_id)
    out = []
    for model in sorted(items_per_model):
        answers = by_model.get(model, [])
        out.append(ModelQuality(
            model_ref=model,
            n_items=items_per_model[model],
            n_scored=len(answers),
            n_unscored=len(failed.get(model, ())),
            per_criterion={k: score_mean([a.scores[k] for a in answers]) for k in rubric.keys},
            overall=score_mean([a.overall for a in answers]),
        ))
    return out


@dataclass(frozen=True)
class LengthBias:
    """Rank correlation of an answer's overall score with its length (characters), for one model, with its
    95% interval over answers (``core.grading.coefficients.jackknife``) when there are enough of them."""

    n: int
    rho: float | None
    note: str
    ci95_low: float | None = None
    ci95_high: float | None = None


def length_rho(points: list[tuple[float, int]]) -> Coefficient | None:
    """Spearman's rho of score with length, with each answer left out in turn for its interval."""
    rho = spearman([p[0] for p in points], [p[1] for p in points])
    if rho is None:
        return None
    left_out = [spearman([p[0] for p in rest], [p[1] for p in rest])
                for rest in (points[:i] + points[i + 1:] for i in range(len(points)))]
    return jackknife(rho, np.array([np.nan if r is None else r for r in left_out]))


def length_bias(store: Store, run_id: str, rubric: Rubric, *, judge_ref: str | None = None,
                grader: str | None = None) -> dict[str, LengthBias]:
    """Per model: does the score rise with answer length? One point per answer (judge ``judge_ref``, or
    people when None)."""
    by_model: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for answer in scored_answers(store, run_id, rubric, judge_ref=judge_ref, grader=grader):
        by_model[answer.model_ref].append((answer.overall, answer.response_chars))
    out = {}
    for model, points in sorted(by_model.items()):
        if len(points) < MIN_FOR_LENGTH_CHECK:
            out[model] = LengthBias(len(points), spearman([p[0] for p in points], [p[1] for p in points]),
                                    f"too few answers ({len(points)}, need {MIN_FOR_LENGTH_CHECK}) to tell")
            continue
        rho = length_rho(points)
        if rho is None or rho.value is None:
            out[model] = LengthBias(len(points), None, "scores or lengths do not vary: nothing to correlate")
            continue
        reading = LENGTH_BIAS_SCALE.reading(rho.value)
        ci = (f"95% CI {rho.ci95_low:.2f} to {rho.ci95_high:.2f}" if rho.ci95_low is not None
              and rho.ci95_high is not None else rho.note)
        if reading.label == "rewards length":
            note = (f"longer answers get clearly higher scores (ρ={reading.text}, {ci}): the grader may be "
                    "rewarding verbosity")
        else:
            note = f"no strong link between length and score (ρ={reading.text}, {ci})"
        out[model] = LengthBias(len(points), rho.value, note, rho.ci95_low, rho.ci95_high)
    return out


@dataclass(frozen=True)
class ParseStats:
    """How often a judge's reply could be read."""

    n: int  # judgments recorded (scored + unscored)
    unscored: int  # unreadable even after the retry
    retried: int  # needed the stricter reminder (scored or not)

    @property
    def failure_rate(self) -> float | None:
        return self.unscored / self.n if self.n else None


def parse_failure_rates(store: Store, run_id: str) -> dict[str, ParseStats]:
    """Per judge model: judgments, unscored ones and retries in one run (its judgments file only: a
    store keeps each run's judgments in their own file, so "every run" would read every file)."""
    counts: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for judgment in queries.find(store, Judgment, run_id=run_id):
        c = counts[judgment.judge_ref]
        c[0] += 1
        c[1] += judgment.status != "scored"
        c[2] += judgment.retried
    return {judge: ParseStats(*c) for judge, c in sorted(counts.items())}

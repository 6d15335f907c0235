"""Quality results from stored judgments and grades: per model, per criterion, with their uncertainty.

Every mean comes with a 95% bootstrap interval and its count (``core.benchmark.metrics.summarize``), because
"3.8 vs 3.6" on eight answers is noise and the page must be able to say so. Unscored judgments are
never averaged in (they are not zeros) but are counted, and the parse-failure rate per judge says
how much of a judge's output could not be read at all.

Length bias: a judge that prefers longer answers inflates verbose models. The rank correlation of
score with response length, per model, exposes it (within one model, answer quality and length
should not move together much).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from core.benchmark.metrics import Summary, summarize
from core.grading.agreement import spearman
from core.grading.items import grading_items
from core.grading.rubric import Rubric
from store import Store, queries
from store.records import Grade, Judgment

Scored = Judgment | Grade

MIN_FOR_LENGTH_CHECK = 8
LENGTH_BIAS_RHO = 0.5


@dataclass(frozen=True)
class ModelQuality:
    """One model's scores under one rubric version from one kind of grader."""

    model_ref: str
    n_items: int  # distinct answers of this model in the run
    n_scored: int  # judgments or grades counted below
    n_unscored: int  # judge replies that could not be read (never in the means)
    per_criterion: dict[str, Summary]
    overall: Summary  # per answer: the mean of its criterion scores


def _scored(store: Store, run_id: str, rubric: Rubric, judge_ref: str | None,
            grader: str | None) -> tuple[list[Scored], list[Scored]]:
    """(scored, unscored) judgments from the judge if ``judge_ref`` is given, else people's grades."""
    if judge_ref is not None:
        docs = queries.scores_for(store, Judgment, run_id, rubric.name, rubric.version, judge_ref=judge_ref)
        return [d for d in docs if d.status == "scored"], [d for d in docs if d.status != "scored"]
    return list(queries.scores_for(store, Grade, run_id, rubric.name, rubric.version, grader=grader)), []


def overall_score(doc: Scored) -> float:
    """One answer's overall score: the mean of its criterion scores."""
    scores = doc.scores or {}
    return sum(scores.values()) / len(scores)


def quality_by_model(store: Store, run_id: str, rubric: Rubric, *, judge_ref: str | None = None,
                     grader: str | None = None, seed: int = 0) -> list[ModelQuality]:
    """Per model: mean score per criterion and overall with 95% CIs, from the judge ``judge_ref`` or,
    when it is None, from people's grades (one ``grader`` or all; each grade counts once)."""
    scored, unscored = _scored(store, run_id, rubric, judge_ref, grader)
    items_per_model: dict[str, int] = defaultdict(int)
    for item in grading_items(store, run_id):
        items_per_model[item.model_ref] += 1
    by_model: dict[str, list[Scored]] = defaultdict(list)
    for doc in scored:
        by_model[doc.model_ref].append(doc)
    failed: dict[str, int] = defaultdict(int)
    for doc in unscored:
        failed[doc.model_ref] += 1
    out = []
    for model in sorted(items_per_model):
        docs = by_model.get(model, [])
        out.append(ModelQuality(
            model_ref=model,
            n_items=items_per_model[model],
            n_scored=len(docs),
            n_unscored=failed.get(model, 0),
            per_criterion={k: summarize([(d.scores or {})[k] for d in docs], seed=seed) for k in rubric.keys},
            overall=summarize([overall_score(d) for d in docs], seed=seed),
        ))
    return out


@dataclass(frozen=True)
class LengthBias:
    """Rank correlation of an answer's overall score with its length (characters), for one model."""

    n: int
    rho: float | None
    note: str


def length_bias(store: Store, run_id: str, rubric: Rubric, *, judge_ref: str | None = None,
                grader: str | None = None) -> dict[str, LengthBias]:
    """Per model: does the score rise with answer length? (judge ``judge_ref``, or people when None)."""
    scored, _ = _scored(store, run_id, rubric, judge_ref, grader)
    by_model: dict[str, list[tuple[float, int]]] = defaultdict(list)
    for doc in scored:
        by_model[doc.model_ref].append((overall_score(doc), doc.response_chars))
    out = {}
    for model, points in sorted(by_model.items()):
        rho = spearman([p[0] for p in points], [p[1] for p in points])
        if len(points) < MIN_FOR_LENGTH_CHECK:
            note = f"too few answers ({len(points)}, need {MIN_FOR_LENGTH_CHECK}) to tell"
        elif rho is None:
            note = "scores or lengths do not vary: nothing to correlate"
        elif rho >= LENGTH_BIAS_RHO:
            note = f"longer answers get clearly higher scores (ρ={rho:.2f}): the grader may be rewarding verbosity"
        else:
            note = f"no strong link between length and score (ρ={rho:.2f})"
        out[model] = LengthBias(len(points), rho, note)
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

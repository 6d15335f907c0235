"""Where LLM judging of one run stands: the job to show, how many answers each judge has done under a
rubric version (and how many it left unscored, to judge again), how often its replies could be read,
and whether it passed its control answers (``core.grading.controls``)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from core.grading.controls import Qualification, judge_qualification
from core.grading.results import ParseStats, parse_failure_rates
from core.grading.rubric import Rubric
from core.jobs import get_job, list_jobs
from store import Store, queries
from store.records import Job, JobKind, JobKinds, Judgment


@dataclass(frozen=True)
class JudgeProgress:
    """What the Judge tab shows besides its form."""

    job: Job | None  # a running judge job, else the one this session started last, else None
    judged: dict[str, int]  # judge ref -> answers of the run it judged under the rubric version (controls apart)
    unscored_here: dict[str, int]  # judge ref -> its unscored verdicts under the rubric version (controls too)
    qualifications: dict[str, Qualification]  # judge ref -> how it did on the control answers
    parse_stats: dict[str, ParseStats]  # per judge, over every rubric
    unscored: list[Judgment]  # judgments whose replies could not be read, every judge and rubric


def judge_job(store: Store, started_here: str | None, kind: JobKind = JobKinds.JUDGE) -> Job | None:
    """A running job of ``kind`` (found again after a reload: one judge runs at a time), else the job this
    session started last (``started_here``, so its outcome is shown), else ``None``."""
    active = list_jobs(store, kind=kind, active_only=True)
    if active:
        return active[0]
    return get_job(store, started_here) if started_here else None


def judge_progress(store: Store, run_id: str, rubric: Rubric, started_here: str | None) -> JudgeProgress:
    judgments = queries.find(store, Judgment, run_id=run_id)
    here = [j for j in judgments if (j.rubric_name, j.rubric_version) == (rubric.name, rubric.version)]
    judges = sorted({j.judge_ref for j in here})
    qualifications = {ref: q for ref in judges if (q := judge_qualification(store, run_id, ref, rubric))}
    return JudgeProgress(job=judge_job(store, started_here),
                         judged=dict(Counter(j.judge_ref for j in here if j.control is None)),
                         unscored_here=dict(Counter(j.judge_ref for j in here if j.status != "scored")),
                         qualifications=qualifications, parse_stats=parse_failure_rates(store, run_id),
                         unscored=[j for j in judgments if j.status != "scored"])

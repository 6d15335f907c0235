"""Where LLM judging of one run stands: the judge job to show, how many answers each judge has done
under a rubric version, and how often its replies could be read (with the ones that could not)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from core.grading.results import ParseStats, parse_failure_rates
from core.grading.rubric import Rubric
from core.jobs import get_job, list_jobs
from store import Store, queries
from store.records import Job, JobKind, JobKinds, Judgment


@dataclass(frozen=True)
class JudgeProgress:
    """What the Judge tab shows besides its form."""

    job: Job | None  # a running judge job, else the one this session started last, else None
    judged: dict[str, int]  # judge ref -> answers of the run it judged under the rubric version
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
    judged = Counter(j.judge_ref for j in judgments
                     if (j.rubric_name, j.rubric_version) == (rubric.name, rubric.version))
    return JudgeProgress(job=judge_job(store, started_here), judged=dict(judged),
                         parse_stats=parse_failure_rates(store, run_id),
                         unscored=[j for j in judgments if j.status != "scored"])

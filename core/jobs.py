"""Background jobs: long work (downloads, conversions, benchmarks, judging) recorded in the store.

A job's record lives in the store's ``jobs`` table: the page that started it, a reloaded browser, another
app process or the CLI all find it there and follow its progress. The work itself runs in a worker
process of its own (``core.workers`` spawns it and calls ``run_job`` there), so the app never measures
beside its own page rendering and a job outlives the app that started it. Cancel is a flag on the record
(``cancel_requested``, seen by ``JobContext.progress``) plus a signal to the worker (``core.workers``).

Every job and run records its ``owner`` process (``core.ownership``); one left ``running`` by an owner
that is gone (a worker killed with SIGKILL, a killed CLI, a crashed app) is marked ``interrupted``
whenever jobs or runs are listed (``mark_orphans_interrupted``): the work it finished is in the store,
the rest is not.
"""

from __future__ import annotations

import logging
import threading
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core.eta import stamp
from core.ownership import holding, is_held, owner_gone, owner_record
from store import Store, StoreError, queries
from store.records import Job, JobKind, Run, RunKind

log = logging.getLogger(__name__)

ACTIVE_STATES = ("running",)
_PROGRESS_WRITE_INTERVAL_S = 2.0  # each write rewrites the whole store file


def utc_now() -> str:
    """ISO-8601 UTC timestamp, the one format every stored date uses."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class JobCancelled(Exception):
    """Raised inside a job by ``JobContext.check_cancel`` to stop cleanly."""


@dataclass(frozen=True)
class Incomplete:
    """What a job's work returns instead of a message when it finished but left part of the work undone
    (e.g. answers a judge could not score): the job ends ``incomplete``, shown as a warning, never as a
    success, with ``message`` saying what is missing and what to do."""

    message: str


@dataclass
class JobContext:
    """What a running job sees: its id, a cancel flag, and a progress reporter."""

    job_id: str
    store: Store
    cancel_event: threading.Event = field(default_factory=threading.Event)
    write_every_s: float = _PROGRESS_WRITE_INTERVAL_S
    _last_write: float = 0.0
    _doc_id: int | None = None
    _since: tuple[float, str] | None = None  # (done, when) once the first unit finished: the ETA's pace starts there

    @classmethod
    def of(cls, store: Store, job: Job, cancel_event: threading.Event | None = None) -> JobContext:
        """The context for working on the stored ``job`` (cancelled already when that was asked); ``cancel_event``
        is one the caller sets too (a worker's SIGTERM handler)."""
        ctx = cls(job_id=job.job_id, store=store, cancel_event=cancel_event or threading.Event(),
                  _doc_id=job.stored_id)
        if job.cancel_requested:
            ctx.cancel_event.set()
        return ctx

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check_cancel(self) -> None:
        if self.cancel_event.is_set():
            raise JobCancelled()

    def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
        """Record progress; store writes are throttled so a hot loop does not rewrite the file.

        Each write also reads the record's ``cancel_requested`` (in the same transaction, so it costs no
        extra file read): a Cancel from a process that cannot signal this one (another host) still lands.
        The moment the first unit is done is kept even when its write is skipped: the ETA (``core.eta``)
        measures the pace from there, so start-up and model loading never stretch it."""
        at = stamp()
        if self._since is None and done >= 1:
            self._since = (done, at)
        now = time.monotonic()
        if not force and now - self._last_write < self.write_every_s:
            return
        self._last_write = now
        assert self._doc_id is not None
        since_done, since_at = self._since or (None, None)
        progress = {"done": done, "total": total, "at": at, "since_done": since_done, "since_at": since_at}
        with self.store.transaction():
            current = queries.first(self.store, Job, job_id=self.job_id)
            queries.update(self.store, Job, self._doc_id,
                           {"progress": progress, "message": message, "heartbeat_at": utc_now()})
        if current is not None and current.cancel_requested:
            self.cancel_event.set()


Work = Callable[[JobContext], str | Incomplete | None]


def record_job(store: Store, kind: JobKind, params: Mapping[str, Any], *, run_id: str | None = None,
               label: str = "", owner: Mapping[str, Any] | None = None) -> Job:
    """Insert a ``running`` job for ``params`` (JSON-safe, never a secret); owned by this process unless
    ``owner`` names another."""
    job = Job.build({
        "job_id": uuid.uuid4().hex[:12],
        "kind": kind,
        "label": label,
        "state": "running",
        "progress": {"done": 0, "total": None},
        "message": "starting",
        "run_id": run_id,
        "params": dict(params),
        "owner": dict(owner) if owner is not None else owner_record(),
        "heartbeat_at": utc_now(),
        "created_at": utc_now(),
        "finished_at": None,
    })
    queries.insert(store, job)
    return queries.first(store, Job, job_id=job.job_id) or job


def run_job(ctx: JobContext, work: Work) -> str:
    """Run ``work`` to its end here and record how it ended; return the final state.

    ``work`` returns a final message (or None, or ``Incomplete``). ``JobCancelled`` ends the job as cancelled,
    any other exception as failed with one sentence (``failure_sentence``); the traceback is logged (a worker's
    log file), never stored. The job is ``held`` meanwhile: a listing in this process leaves it alone."""
    state, message = "completed", ""
    with holding(ctx.job_id):
        try:
            result = work(ctx)
            if isinstance(result, Incomplete):
                state, message = "incomplete", result.message
            else:
                message = result or "done"
        except JobCancelled:
            state, message = "cancelled", "cancelled by the user"
        except Exception as exc:  # a job must never die silently: its reason goes to the store
            state, message = "failed", failure_sentence(exc)
            log.exception("Job %s failed", ctx.job_id)
        if ctx.cancel_event.is_set() and state in ("completed", "incomplete"):
            state = "cancelled"
        try:
            queries.update(ctx.store, Job, ctx._doc_id, {"state": state, "message": message, "finished_at": utc_now()})
        except StoreError as exc:  # no longer held: the next listing marks the record interrupted
            log.error("Job %s ended %s, but that could not be saved: %s", ctx.job_id, state, exc)
    return state


def failure_sentence(exc: BaseException) -> str:
    """What a failed job says: the error's own first line (every error Pickwise raises is a sentence for the
    user); a programming error's text means nothing to a user, so it is named instead (the log has the rest)."""
    first = next((line.strip() for line in str(exc).splitlines() if line.strip()), "")
    if not first or isinstance(exc, _PROGRAMMING_ERRORS):
        return f"The job stopped on an unexpected {type(exc).__name__}; its worker's log file has the details."
    return first


_PROGRAMMING_ERRORS = (LookupError, AttributeError, TypeError, AssertionError, NameError)


def get_job(store: Store, job_id: str) -> Job | None:
    return queries.first(store, Job, job_id=job_id)


def list_jobs(store: Store, *, kind: JobKind | None = None, active_only: bool = False) -> list[Job]:
    """Jobs newest first, optionally only one kind or only those still running (orphans reconciled first)."""
    mark_orphans_interrupted(store)
    jobs = queries.find(store, Job, kind=kind) if kind else queries.find(store, Job)
    if active_only:
        jobs = [j for j in jobs if j.state in ACTIVE_STATES]
    return sorted(jobs, key=lambda j: j.created_at, reverse=True)


def list_runs(store: Store, *, kind: RunKind | None = None) -> list[Run]:
    """Runs newest first, optionally of one kind (``benchmark``, ``probe``), orphans reconciled first."""
    mark_orphans_interrupted(store)
    return queries.newest_first(queries.find(store, Run, kind=kind) if kind else queries.find(store, Run))


def mark_orphans_interrupted(store: Store) -> int:
    """Jobs and runs left running by an owner that is gone end as ``interrupted``; return how many.

    A run counts when its own owner is gone, or when the job driving it was orphaned. Their samples
    stay as they are: only the status changes (and each model still running is marked too). Looks
    first without the lock, so listing a healthy or read-only store never writes; then looks again
    inside one transaction, because another process may have reconciled meanwhile.
    """
    if _orphans(store) == ([], []):
        return 0
    with store.transaction():
        jobs, runs = _orphans(store)
        now = utc_now()
        for job in jobs:
            queries.update(store, Job, job.stored_id, {"state": "interrupted", "finished_at": now,
                                                      "message": f"the process running it stopped ({_who(job)})"})
        for run in runs:
            models = {ref: {**m.as_dict(), "status": "interrupted" if m.status in ("queued", "running") else m.status}
                      for ref, m in run.models.items()}
            queries.update(store, Run, run.stored_id, {
                "status": "interrupted", "finished_at": now, "models": models,
                "error": f"the process running it stopped ({_who(run)}); the samples it stored are kept",
            })
    return len(jobs) + len(runs)


def _orphans(store: Store) -> tuple[list[Job], list[Run]]:
    """Running jobs whose owner is gone, and the queued or running runs they or their own owners left."""
    jobs = [job for job in queries.find(store, Job, state="running")
            if owner_gone(_owner(job), running_here=is_held(job.job_id))]
    from_jobs = {job.run_id for job in jobs if job.run_id}
    runs = []
    for status in ("queued", "running"):
        for run in queries.find(store, Run, status=status):
            # a queued run is held by nobody yet: only a gone owner process orphans it
            here = status == "queued" or is_held(run.run_id)
            if run.run_id in from_jobs or owner_gone(_owner(run), running_here=here):
                runs.append(run)
    return jobs, runs


def _owner(record: Job | Run) -> dict[str, Any] | None:
    """The recorded owner as ``core.ownership`` reads it; jobs stored before owners existed carry only a ``pid``."""
    if record.owner is not None:
        return record.owner.as_dict()
    legacy = record.pid if isinstance(record, Job) else None
    return {"pid": legacy} if legacy else None


def _who(record: Job | Run) -> str:
    owner = _owner(record) or {}
    return f"pid {owner.get('pid')} on {owner.get('host') or 'this host'}"

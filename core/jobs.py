"""Background jobs: long work (downloads, conversions, benchmarks) off the UI thread.

A job is a function run in a daemon thread with a ``JobContext`` for progress and cancel.
The job's record lives in the store's ``jobs`` table, so a page reloaded in the browser (a new
Streamlit session in the same server process) finds it again and polls it; the in-process
registry adds the live cancel handle. A record left ``running`` by a process that is gone is
marked ``interrupted`` at the next start-up: the work it finished is in the store, the rest is not.

Worker threads never touch Streamlit: they only write the store.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from store import Store

JOBS = "jobs"
ACTIVE_STATES = ("running",)
_PROGRESS_WRITE_INTERVAL_S = 2.0  # each write rewrites the whole store file


def utc_now() -> str:
    """ISO-8601 UTC timestamp, the one format every stored date uses."""
    return datetime.now(UTC).isoformat(timespec="seconds")


class JobCancelled(Exception):
    """Raised inside a job by ``JobContext.check_cancel`` to stop cleanly."""


@dataclass
class JobContext:
    """What a running job sees: its id, a cancel flag, and a progress reporter."""

    job_id: str
    store: Store
    cancel_event: threading.Event = field(default_factory=threading.Event)
    _last_write: float = 0.0
    _doc_id: int | None = None

    @property
    def cancelled(self) -> bool:
        return self.cancel_event.is_set()

    def check_cancel(self) -> None:
        if self.cancel_event.is_set():
            raise JobCancelled()

    def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
        """Record progress; store writes are throttled so a hot loop does not rewrite the file."""
        now = time.monotonic()
        if not force and now - self._last_write < _PROGRESS_WRITE_INTERVAL_S:
            return
        self._last_write = now
        assert self._doc_id is not None
        self.store.update(
            JOBS,
            self._doc_id,
            {"progress": {"done": done, "total": total}, "message": message, "heartbeat_at": utc_now()},
        )


_live: dict[str, JobContext] = {}
_live_lock = threading.Lock()


def start_job(
    store: Store,
    kind: str,
    work: Callable[[JobContext], str | None],
    *,
    run_id: str | None = None,
    label: str = "",
) -> str:
    """Start ``work`` in a background thread; return the job id at once.

    ``work`` returns a final message (or None). ``JobCancelled`` ends the job as cancelled, any
    other exception as failed with its message; neither escapes the thread.
    """
    job_id = uuid.uuid4().hex[:12]
    ctx = JobContext(job_id=job_id, store=store)
    ctx._doc_id = store.insert(
        JOBS,
        {
            "job_id": job_id,
            "kind": kind,
            "label": label,
            "state": "running",
            "progress": {"done": 0, "total": None},
            "message": "starting",
            "run_id": run_id,
            "pid": os.getpid(),
            "heartbeat_at": utc_now(),
            "created_at": utc_now(),
            "finished_at": None,
        },
    )
    with _live_lock:
        _live[job_id] = ctx
    thread = threading.Thread(target=_run, args=(ctx, work), name=f"pickwise-{kind}-{job_id}", daemon=True)
    thread.start()
    return job_id


def _run(ctx: JobContext, work: Callable[[JobContext], str | None]) -> None:
    state, message = "completed", ""
    try:
        message = work(ctx) or "done"
    except JobCancelled:
        state, message = "cancelled", "cancelled by the user"
    except Exception as exc:  # a job must never die silently: its reason goes to the store
        state, message = "failed", f"{type(exc).__name__}: {exc}"
        traceback.print_exc()
    finally:
        if ctx.cancel_event.is_set() and state == "completed":
            state = "cancelled"
        ctx.store.update(JOBS, ctx._doc_id, {"state": state, "message": message, "finished_at": utc_now()})
        with _live_lock:
            _live.pop(ctx.job_id, None)


def cancel_job(job_id: str) -> bool:
    """Ask a running job to stop at its next checkpoint. False when it is not running here."""
    with _live_lock:
        ctx = _live.get(job_id)
    if ctx is None:
        return False
    ctx.cancel_event.set()
    return True


def get_job(store: Store, job_id: str) -> dict | None:
    found = store.find(JOBS, job_id=job_id)
    return found[0] if found else None


def list_jobs(store: Store, *, kind: str | None = None, active_only: bool = False) -> list[dict]:
    """Jobs newest first, optionally only one kind or only those still running."""
    jobs = store.find(JOBS, kind=kind) if kind else store.all(JOBS)
    if active_only:
        jobs = [j for j in jobs if j.get("state") in ACTIVE_STATES]
    return sorted(jobs, key=lambda j: j.get("created_at") or "", reverse=True)


def is_live(job_id: str) -> bool:
    with _live_lock:
        return job_id in _live


def mark_orphans_interrupted(store: Store) -> int:
    """Jobs recorded as running whose process is gone (or which this process does not run) end as
    interrupted, and so do their runs. Called once per server start; returns how many were marked."""
    marked = 0
    with store.transaction():
        for job in store.find(JOBS, state="running"):
            pid = job.get("pid")
            mine = pid == os.getpid()
            if (mine and not is_live(job["job_id"])) or (not mine and not _pid_alive(pid)):
                stopped = {"state": "interrupted", "message": "the process running it stopped",
                           "finished_at": utc_now()}
                store.update(JOBS, job["_id"], stopped)
                if job.get("run_id"):  # the run keeps every sample it flushed; only its status changes
                    store.update_where("runs", {"status": "interrupted", "finished_at": utc_now()},
                                       run_id=job["run_id"], status="running")
                marked += 1
    return marked


def _pid_alive(pid: int | None) -> bool:
    if not pid:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True

"""Records of a benchmark that another process is running, as a worker leaves them in the store.

The owner is this test's parent process (alive, not this one), so the app treats the job and run as
running elsewhere, exactly as it sees a worker's: nothing marks them interrupted, nothing here drives them.
"""

from __future__ import annotations

import os
import socket

import psutil

from core.benchmark.runner import create_run
from core.benchmark.settings import BenchmarkSettings
from core.jobs import utc_now
from store import Store, queries
from store.records import Job, JobKinds, Run


def elsewhere() -> dict:
    """An owner record for a live process that is not this one."""
    parent = os.getppid()
    return {"pid": parent, "host": socket.gethostname(), "started": psutil.Process(parent).create_time()}


def running_benchmark(store: Store, settings: BenchmarkSettings, done: int, total: int) -> tuple[str, str]:
    """A run ``running`` and its job at ``done/total``; returns ``(run_id, job_id)``."""
    run_id = create_run(store, settings)
    run = queries.get_run(store, run_id)
    assert run is not None
    queries.update(store, Run, run.stored_id, {"status": "running", "started_at": utc_now(), "owner": elsewhere()})
    job_id = f"job{run_id}"
    queries.insert(store, Job.build({
        "job_id": job_id, "kind": JobKinds.BENCHMARK, "label": f"Benchmark {run_id}", "state": "running",
        "progress": {"done": done, "total": total}, "message": "fake:m · p1 · round 3", "run_id": run_id,
        "owner": elsewhere(), "heartbeat_at": utc_now(), "created_at": utc_now(), "finished_at": None,
    }))
    return run_id, job_id


def set_progress(store: Store, job_id: str, done: int, total: int) -> None:
    job = queries.first(store, Job, job_id=job_id)
    assert job is not None
    queries.update(store, Job, job.stored_id, {"progress": {"done": done, "total": total}})

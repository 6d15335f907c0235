"""What a worker process does with its job: claim it, make SIGTERM mean Cancel, run it, record how it ended.

The worker writes its own identity (pid, host, start time) on the job first (the spawner already wrote the same,
read from the kernel; a worker started by hand gets it here), then runs the function the registry names with the
job's stored ``params``. Everything else (progress, cancel, the end state, one sentence on failure) is
``core.jobs.run_job``, the same for every kind. The log file (this process's stderr) gets a failure's traceback.
"""

from __future__ import annotations

import logging
import sys
import threading

from core.jobs import JobContext, get_job, run_job
from core.ownership import owner_record
from core.paths import store_path
from core.workers.registry import job_function
from store import open_store, queries
from store.records import Job

log = logging.getLogger("pickwise.worker")

def main(job_id: str, cancel: threading.Event) -> int:
    """Run job ``job_id`` of the store in ``PICKWISE_DB`` to its end; the exit code says whether it could run.

    ``cancel`` is set by SIGTERM (``core.workers.cancel_job``; ``__main__`` installs the handler): the job stops
    at its next checkpoint."""
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(asctime)s %(levelname)s %(message)s")
    store = open_store(store_path())
    job = get_job(store, job_id)
    if job is None or job.state != "running":
        log.error("Job %s is not waiting to run in %s (%s).", job_id, store.path, job.state if job else "no record")
        return 2
    queries.update(store, Job, job.stored_id, {"owner": owner_record()})
    ctx = JobContext.of(store, job, cancel_event=cancel)
    log.info("Job %s (%s) starts: %s", job_id, job.kind, job.label)
    state = run_job(ctx, lambda ctx: job_function(job.kind)(store, job.params, ctx))
    log.info("Job %s ended %s.", job_id, state)
    return 0

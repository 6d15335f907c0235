"""Start a job's worker process, and cancel it.

The worker is detached (``start_new_session``): closing the browser, stopping or restarting the Streamlit
server, or a Ctrl-C in the terminal that started it does not reach it. It inherits this process's environment,
plus the store file it must use (``PICKWISE_DB``) and the API keys its job needs: the app may read keys from
Streamlit secrets, which a worker cannot, so the caller passes them (``Sources.key_environment``) and they go
into the child's environment only, never its command line (visible to every user in ``ps``) or the store.

Its output (and any traceback) goes to ``<data>/workers/<job_id>.log``; the job's record only ever gets one
sentence.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.jobs import get_job, record_job, utc_now
from core.ownership import child_owner, holding, signal_owner
from core.paths import REPO_ROOT, data_dir
from store import Store, queries
from store.records import Job, JobKind, Run


def log_path(job_id: str) -> Path:
    """Where the worker of ``job_id`` writes its output and tracebacks."""
    folder = data_dir() / "workers"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{job_id}.log"


def start_worker_job(store: Store, kind: JobKind, params: Mapping[str, Any], *, run_id: str | None = None,
                     label: str = "", keys: Mapping[str, str] | None = None) -> str:
    """Record a ``kind`` job for ``params`` (JSON-safe, never a secret) and start its worker; return the job id.

    ``keys`` are the API keys the job needs, by environment variable name. The record names the worker as its
    owner from the moment it exists (``child_owner``); until then this process holds it, so a listing in
    between never takes it for an orphan. A worker that cannot be started ends the job ``failed`` at once.
    """
    job = record_job(store, kind, params, run_id=run_id, label=label)
    with holding(job.job_id):
        env = {**os.environ, **(keys or {}), "PICKWISE_DB": str(store.path), "PYTHONUNBUFFERED": "1"}
        try:
            with open(log_path(job.job_id), "ab") as log:
                child = subprocess.Popen([sys.executable, "-m", "core.workers", job.job_id], cwd=REPO_ROOT, env=env,
                                         stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        except OSError as exc:
            why = (f"Could not start a worker process for this job ({exc.strerror or exc}); free some memory or "
                   "processes and start it again.")
            queries.update(store, Job, job.stored_id, {"state": "failed", "finished_at": utc_now(), "message": why})
            run = queries.get_run(store, run_id) if run_id else None
            if run is not None and run.status == "queued":  # nobody will ever start it: say so on the run too
                queries.update(store, Run, run.stored_id, {"status": "failed", "finished_at": utc_now(), "error": why})
            return job.job_id
        queries.update(store, Job, job.stored_id, {"owner": child_owner(child.pid)})
    # reap it when it ends, so a finished worker never lingers as a zombie of a long-lived app
    threading.Thread(target=child.wait, name=f"pickwise-reap-{job.job_id}", daemon=True).start()
    return job.job_id


def cancel_job(store: Store, job_id: str) -> bool:
    """Ask a running job to stop; False when it is not running.

    Sets ``cancel_requested`` (a worker on another host sees it at its next progress write) and sends SIGTERM
    to the worker when it runs on this host (its handler sets the cancel flag at once). The worker finishes or
    abandons the current request, keeps everything it finished, and ends the job (and its run) ``cancelled``.
    """
    with store.transaction():
        job = get_job(store, job_id)
        if job is None or job.state != "running":
            return False
        queries.update(store, Job, job.stored_id, {"cancel_requested": True})
    if job.owner is not None:
        signal_owner(job.owner.as_dict(), signal.SIGTERM)
    return True

"""Workers: every long job runs in a process of its own, started here and found again through the store.

Why a process: a benchmark measured in a thread of the Streamlit server shares its interpreter with page
rendering and other browser tabs (timings skew, memory cannot be attributed to a model), and it dies with the
server. A worker is a detached process (its own session) running ``python -m core.workers JOB_ID``: it reads
the job's ``kind`` and ``params`` from the store, calls the job function the registry names, and writes progress
and the outcome back to the job record, which every page and the CLI read.

* ``registry``  job kind -> ``"module:function"``, resolved only when a worker runs one
* ``spawn``     ``start_worker_job`` (record the job, start its worker) and ``cancel_job``
* ``worker``    what the worker process does: claim the job, turn SIGTERM into Cancel, run it, record the end
* ``__main__``  ``python -m core.workers JOB_ID``

Imports only the shared modules (``core.jobs``, ``core.ownership``, ``core.paths``), so every step can start a
job; the job functions themselves are imported by name at run time, in the worker.
"""

from typing import Any

__all__ = ["cancel_job", "start_worker_job"]


def __getattr__(name: str) -> Any:
    """``core.workers.start_worker_job`` and ``cancel_job``, imported on first use: a worker process passes through
    this package before it can turn SIGTERM into Cancel, so the package itself imports nothing."""
    if name in __all__:
        from core.workers import spawn

        return getattr(spawn, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

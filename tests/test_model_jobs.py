"""The Models page's background work (default-model preparation, downloads) as plain core functions: each job
function run in this process on a real store file (``run_job``, as its worker runs it), watched through the jobs
table as the page watches it; the worker process itself is tested in tests/test_workers.py."""

from __future__ import annotations

import threading
import time

from core.engines.base import ProgressCallback
from core.jobs import _PROGRESS_WRITE_INTERVAL_S, JobContext, get_job, record_job, run_job
from core.models.model_jobs import download_job, prepare_default_job, running_download, running_preparation
from core.workers.spawn import cancel_job
from store import Store
from store.records import Job, JobKinds
from tests.test_jobs import _wait_for


def _state(store: Store, job_id: str) -> Job:
    job = get_job(store, job_id)
    assert job is not None, f"no job {job_id}"
    return job


class _Downloads:
    """An engine's ``prepare`` with known behaviour: reports 50 then 100, or keeps reporting 10 (a download that
    does not end) until the cancel event is set."""

    def __init__(self, *, hold: bool = False) -> None:
        self.hold, self.started, self.seen = hold, threading.Event(), []

    def prepare(self, model_id: str, progress: ProgressCallback | None = None,
                cancel: threading.Event | None = None) -> None:
        self.started.set()
        assert progress is not None and cancel is not None
        if self.hold:
            while not cancel.wait(0.1):
                progress(10.0)
            return
        for pct in (50.0, 100.0):
            progress(pct)
            self.seen.append((model_id, pct))


def _download(store: Store, engine: _Downloads, model_id: str) -> tuple[Job, threading.Thread]:
    """A download job recorded as ``start_download`` records it, its function run here in a thread."""
    job = record_job(store, JobKinds.DOWNLOAD, {"model_id": model_id}, label=model_id)
    ctx = JobContext.of(store, job)
    thread = threading.Thread(target=run_job, args=(ctx, lambda c: download_job(store, job.params, c, engine)))
    thread.start()
    return job, thread


def test_a_download_runs_as_a_job_found_again_by_model_until_it_ends(store: Store) -> None:
    engine = _Downloads(hold=True)
    job, thread = _download(store, engine, "phi-mini:1")
    assert engine.started.wait(10)
    running = running_download(store, "phi-mini:1")
    assert running is not None and running.job_id == job.job_id
    assert running_download(store, "other:1") is None
    # the flag only (the job's owner is this process, never signalled): the download sees it at a progress write
    assert cancel_job(store, job.job_id)
    thread.join(10)
    assert _state(store, job.job_id).state == "cancelled"
    assert running_download(store, "phi-mini:1") is None


def test_a_finished_download_says_what_it_downloaded(store: Store) -> None:
    engine = _Downloads()
    job, thread = _download(store, engine, "phi-mini:1")
    thread.join(10)
    done = _state(store, job.job_id)
    assert (done.state, done.message) == ("completed", "Downloaded phi-mini:1")
    assert engine.seen == [("phi-mini:1", 50.0), ("phi-mini:1", 100.0)]


def test_preparation_keeps_the_bar_where_the_last_step_put_it(store: Store) -> None:
    """Converter output lines carry no percent: the bar must not fall back to 0 while they stream."""
    release = threading.Event()

    def pipeline(report) -> str:
        report("converting", 40.0)
        time.sleep(_PROGRESS_WRITE_INTERVAL_S + 0.1)  # progress writes are throttled: let this one through
        report("a converter output line", None)
        release.wait(30)
        return "pickwise-smollm2-135m:1"

    job = record_job(store, JobKinds.PREPARE_DEFAULT, {}, label="Preparing the default model")
    ctx = JobContext.of(store, job)
    thread = threading.Thread(target=run_job, args=(ctx, lambda c: prepare_default_job(store, {}, c, pipeline)))
    thread.start()
    _wait_for(lambda: _state(store, job.job_id).message == "a converter output line")
    running = running_preparation(store)
    release.set()
    thread.join(10)
    done = _state(store, job.job_id)
    assert running is not None and running.job_id == job.job_id and running.progress.done == 40.0
    assert (done.state, done.message) == ("completed", "Default model ready: foundry-local:pickwise-smollm2-135m:1")
    assert running_preparation(store) is None

"""The Models page's background work (default-model preparation, downloads) as plain core functions:
started on a real store file, watched through the jobs table as the page watches them."""

from __future__ import annotations

import threading
import time

from core.engines.base import ProgressCallback
from core.jobs import _PROGRESS_WRITE_INTERVAL_S, cancel_job, get_job
from core.models.model_jobs import (
    running_download,
    running_preparation,
    start_default_model_preparation,
    start_download,
)
from store import Store
from store.records import Job
from tests.test_jobs import _wait_for


def _state(store: Store, job_id: str) -> Job:
    job = get_job(store, job_id)
    assert job is not None, f"no job {job_id}"
    return job


def _finished(store: Store, job_id: str) -> Job:
    _wait_for(lambda: _state(store, job_id).state != "running")
    return _state(store, job_id)


class _Downloads:
    """An engine's ``prepare`` with known behaviour: reports 50 then 100, or waits for the cancel event."""

    def __init__(self, *, hold: bool = False) -> None:
        self.hold, self.started, self.seen = hold, threading.Event(), []

    def prepare(self, model_id: str, progress: ProgressCallback | None = None,
                cancel: threading.Event | None = None) -> None:
        self.started.set()
        assert progress is not None and cancel is not None
        if self.hold:
            cancel.wait(30)
            return
        for pct in (50.0, 100.0):
            progress(pct)
            self.seen.append((model_id, pct))


def test_a_download_runs_as_a_job_found_again_by_model_until_it_ends(store: Store) -> None:
    engine = _Downloads(hold=True)
    job_id = start_download(store, engine, "phi-mini:1")  # type: ignore[arg-type]
    assert engine.started.wait(10)
    running = running_download(store, "phi-mini:1")
    assert running is not None and running.job_id == job_id
    assert running_download(store, "other:1") is None
    cancel_job(job_id)
    assert _finished(store, job_id).state == "cancelled"
    assert running_download(store, "phi-mini:1") is None


def test_a_finished_download_says_what_it_downloaded(store: Store) -> None:
    engine = _Downloads()
    job = _finished(store, start_download(store, engine, "phi-mini:1"))  # type: ignore[arg-type]
    assert (job.state, job.message) == ("completed", "Downloaded phi-mini:1")
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

    job_id = start_default_model_preparation(store, pipeline)
    _wait_for(lambda: _state(store, job_id).message == "a converter output line")
    running = running_preparation(store)
    release.set()
    job = _finished(store, job_id)
    assert running is not None and running.job_id == job_id and running.progress.done == 40.0
    assert (job.state, job.message) == ("completed", "Default model ready: foundry-local:pickwise-smollm2-135m:1")
    assert running_preparation(store) is None

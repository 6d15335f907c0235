"""Every long job runs in a worker process: real workers (``python -m core.workers``) on a real store file, calling
real local HTTP servers with known behaviour. Killed with SIGKILL, cancelled, outliving their spawner, given the
keys they need through their environment only, failing with one sentence."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import psutil
import pytest

from core.benchmark.runner import start_benchmark
from core.benchmark.settings import BenchmarkSettings
from core.jobs import get_job, list_jobs, list_runs
from core.models.sources import Sources, add_endpoint
from core.workers.registry import JOB_FUNCTIONS, UnknownJob, job_function
from core.workers.spawn import cancel_job, log_path, start_worker_job
from store import Store
from store.queries import get_run
from store.records import Job, JobKinds, Table
from tests.fake_openai_server import FakeOpenAIServer, Scenario
from tests.test_jobs import _wait_for

PROMPTS = [{"id": "a", "prompt": "Say hello."}, {"id": "b", "prompt": "Say goodbye."}]
SLOW = Scenario(n_tokens=3, ttft_s=0.05, token_interval_s=0.01)


def _settings(models: list[str], rounds: int = 200) -> BenchmarkSettings:
    return BenchmarkSettings(models=models, prompts=PROMPTS, warmup=0, rounds=rounds, max_output_tokens=8,
                             timeout_s=5.0)


def _job(store: Store, job_id: str) -> Job:
    job = get_job(store, job_id)
    assert job is not None
    return job


def _ended(store: Store, job_id: str) -> Job:
    _wait_for(lambda: _job(store, job_id).state != "running")
    return _job(store, job_id)


def _worker(store: Store, job_id: str) -> psutil.Process:
    """The job's worker, named as its owner by the spawner before ``start_*`` returned; its command line is the job
    id and nothing else (once it has replaced the forked copy of this process)."""
    owner = _job(store, job_id).owner
    assert owner is not None and owner.pid != os.getpid()
    worker = psutil.Process(owner.pid)
    assert abs(worker.create_time() - owner.started) < 0.05
    _wait_for(lambda: worker.cmdline()[1:] == ["-m", "core.workers", job_id])
    return worker


def test_a_worker_killed_mid_run_leaves_its_run_interrupted_with_its_samples(store: Store) -> None:
    with FakeOpenAIServer(SLOW) as slow:
        add_endpoint(store, "slow", slow.base_url)
        run_id, job_id = start_benchmark(Sources(store, None), store, _settings(["slow:fake-model"]))
        worker = _worker(store, job_id)
        _wait_for(lambda: store.count(Table.SAMPLES) >= 3)
        assert [j.state for j in list_jobs(store)] == ["running"]  # a live worker is left alone
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        kept = store.count(Table.SAMPLES)

    assert [j.state for j in list_jobs(store)] == ["interrupted"]
    assert f"pid {worker.pid}" in _job(store, job_id).message
    run = get_run(store, run_id)
    assert run is not None and run.status == "interrupted"
    assert run.models["slow:fake-model"].status == "interrupted"
    assert [r.status for r in list_runs(store)] == ["interrupted"]
    assert store.count(Table.SAMPLES) == kept >= 3


def test_cancel_reaches_a_worker_that_outlives_its_spawner_and_keeps_its_samples(store: Store) -> None:
    with FakeOpenAIServer(SLOW) as slow:
        add_endpoint(store, "slow", slow.base_url)
        run_id, job_id = start_benchmark(Sources(store, None), store, _settings(["slow:fake-model"]))
        worker = _worker(store, job_id)
        # its own session: a terminal's Ctrl-C or the app server's end does not reach it
        assert os.getsid(worker.pid) == worker.pid != os.getsid(0)
        _wait_for(lambda: store.count(Table.SAMPLES) >= 2)
        assert cancel_job(store, job_id)
        job = _ended(store, job_id)
        worker.wait(10)

    assert (job.state, job.cancel_requested) == ("cancelled", True)
    run = get_run(store, run_id)
    assert run is not None and run.status == "cancelled"
    kept = store.find(Table.SAMPLES, run_id=run_id)
    assert 2 <= len(kept) < 2 * 200
    assert (run.models["slow:fake-model"].summary or {})["n_counted"] == len(kept)
    assert not cancel_job(store, job_id)  # nothing left to cancel


def test_the_worker_gets_the_key_the_app_resolved_through_its_environment_only(
        store: Store, store_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The app may read a key from Streamlit secrets, which a worker cannot: the key goes into the worker's
    environment, never its command line, the job's params or the store."""
    secret = "sk-test-worker-0123456789"
    monkeypatch.delenv("PICKWISE_TEST_WORKER_KEY", raising=False)
    with FakeOpenAIServer(Scenario(n_tokens=3, ttft_s=0.05, required_api_key=secret)) as locked:
        add_endpoint(store, "locked", locked.base_url, "PICKWISE_TEST_WORKER_KEY")
        sources = Sources(store, None, key_resolver={"PICKWISE_TEST_WORKER_KEY": secret}.get)
        run_id, job_id = start_benchmark(sources, store, _settings(["locked:fake-model"], rounds=2))
        _worker(store, job_id)
        job = _ended(store, job_id)

    run = get_run(store, run_id)
    assert job.state == "completed" and run is not None and run.models["locked:fake-model"].status == "completed"
    assert secret not in store_file.read_text() and secret not in str(job.params)


def test_a_failing_job_says_one_sentence_and_its_log_has_the_traceback(store: Store) -> None:
    gone = _ended(store, start_worker_job(store, JobKinds.BENCHMARK, {"run_id": "nope"}, label="no such run"))
    broken = _ended(store, start_worker_job(store, JobKinds.BENCHMARK, {}, label="params missing"))

    assert (gone.state, gone.message) == ("failed", "No run 'nope' in the store.")
    assert broken.state == "failed"
    assert broken.message == "The job stopped on an unexpected KeyError; its worker's log file has the details."
    assert "Traceback" in log_path(broken.job_id).read_text() and "KeyError: 'run_id'" in log_path(
        broken.job_id).read_text()


def test_every_job_kind_is_registered_and_resolves_only_in_the_worker() -> None:
    kinds = {value for name, value in vars(JobKinds).items() if name.isupper()}
    assert set(JOB_FUNCTIONS) == kinds
    for kind in kinds - {JobKinds.PROBE}:  # the probe job's module may not have its function in this tree yet
        assert callable(job_function(kind))
    with pytest.raises(UnknownJob, match="does not know how to run a 'nope' job"):
        job_function("nope")


def test_an_endpoint_only_worker_never_starts_foundry_local(store: Store) -> None:
    """Foundry Local starts only when a job uses one of its models: its manager and catalog fetch would cost the
    worker start-up time and memory for nothing."""
    with FakeOpenAIServer(Scenario(n_tokens=3)) as server:
        add_endpoint(store, "fake", server.base_url)
        _, job_id = start_benchmark(Sources(store, None), store, _settings(["fake:fake-model"], rounds=1))
        assert _ended(store, job_id).state == "completed"
    log = log_path(job_id).read_text().lower()
    assert "foundry" not in log and "catalog" not in log, log



def test_a_worker_that_cannot_start_fails_its_job_and_its_run_in_one_sentence(store: Store, monkeypatch) -> None:
    """No python to start (as when the machine is out of processes): the job and its queued run end failed at once,
    with a sentence, instead of the run waiting forever."""
    import core.workers.spawn as spawn

    add_endpoint(store, "local", "http://127.0.0.1:9/v1")
    monkeypatch.setattr(spawn.sys, "executable", "/nonexistent/python")
    run_id, job_id = start_benchmark(Sources(store, None), store, _settings(["local:fake-model"]))
    job, run = _job(store, job_id), get_run(store, run_id)
    assert job.state == "failed" and job.message.startswith("Could not start a worker process for this job")
    assert run is not None and run.status == "failed" and run.error == job.message

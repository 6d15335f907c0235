"""Runs and jobs never stay "running" once their process is gone, and a run that cannot save ends failed.

A real ``cli.py bench`` is killed with SIGKILL mid-run; owners whose pid was reused are real live
processes started at another time; the full disk is an ``os.fsync`` that refuses to grow the file.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

from core.benchmark.runner import create_run, execute_run
from core.benchmark.settings import BenchmarkSettings
from core.jobs import get_job, list_jobs, list_runs
from core.models.sources import add_endpoint
from core.ownership import owner_record
from core.paths import REPO_ROOT
from store import Store, StoreWriteError
from store.queries import get_run
from store.records import Table
from tests.disk_faults import disk_full_at
from tests.fake_openai_server import FakeOpenAIServer, Scenario
from tests.test_benchmark import _Control

PROMPTS = [{"id": "a", "prompt": "Say hello."}, {"id": "b", "prompt": "Say goodbye."}]


def _wait_for(condition, timeout_s: float = 30.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


def test_a_killed_cli_bench_is_listed_as_interrupted_with_its_samples(store_file: Path, tmp_path: Path) -> None:
    models, prompts = tmp_path / "models.json", tmp_path / "prompts.json"
    models.write_text(json.dumps({"slow": {"source": "slow", "model": "fake-model"}}))
    prompts.write_text(json.dumps(["Say hi.", "Say bye."]))
    with FakeOpenAIServer(Scenario(n_tokens=3, ttft_s=0.05)) as server:
        add_endpoint(Store(store_file), "slow", server.base_url)
        bench = subprocess.Popen(
            [sys.executable, "cli.py", "--db", str(store_file), "bench", "--models", str(models),
             "--prompts", str(prompts), "--rounds", "200", "--warmup", "0"],
            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        store = Store(store_file)
        try:
            _wait_for(lambda: store.count(Table.SAMPLES) >= 10)
            assert [r.status for r in list_runs(store)] == ["running"]  # its owner is alive: left alone
        finally:
            bench.send_signal(signal.SIGKILL)
            bench.wait()
    flushed = store.find(Table.SAMPLES)
    [run] = list_runs(store)
    assert run.status == "interrupted" and run.finished_at and run.error and run.owner
    assert f"pid {bench.pid}" in run.error and "samples it stored are kept" in run.error
    assert run.owner.pid == bench.pid
    assert run.models["slow:fake-model"].status == "interrupted"
    assert store.find(Table.SAMPLES, run_id=run.run_id) == flushed and len(flushed) >= 10


def _settings(**overrides) -> BenchmarkSettings:
    return BenchmarkSettings(**{"models": ["x:y"], "prompts": PROMPTS, "rounds": 1, **overrides})


def _running_run(store: Store, owner: dict) -> str:
    run_id = create_run(store, _settings())
    store.update_where(Table.RUNS, {"status": "running", "owner": owner}, run_id=run_id)
    return run_id


@pytest.fixture
def other_process():
    """A live process that is not this one (its pid is what a reused pid looks like)."""
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    yield psutil.Process(proc.pid)
    proc.kill()
    proc.wait()


def test_a_reused_pid_does_not_keep_a_run_running(store: Store, other_process: psutil.Process) -> None:
    host = socket.gethostname()
    alive = _running_run(store, {"pid": other_process.pid, "host": host, "started": other_process.create_time()})
    reused = _running_run(store, {"pid": other_process.pid, "host": host, "started": other_process.create_time() - 50})
    elsewhere = _running_run(store, {"pid": 1, "host": f"not-{host}", "started": 0.0})
    statuses = {r.run_id: r.status for r in list_runs(store)}
    assert statuses == {alive: "running", reused: "interrupted", elsewhere: "running"}


def test_a_record_this_process_owns_but_no_longer_works_on_is_interrupted(store: Store) -> None:
    """What a job thread leaves when even its final write failed (the disk was full)."""
    run_id = _running_run(store, owner_record())
    store.insert(Table.JOBS, {"job_id": "j1", "kind": "benchmark", "state": "running", "run_id": run_id,
                        "owner": owner_record(), "created_at": "2026-01-01T00:00:00+00:00"})
    queued = create_run(store, _settings())  # queued by this live process: its job may start any moment
    assert list_jobs(store, active_only=True) == []
    assert get_job(store, "j1").state == "interrupted"
    assert get_run(store, run_id).status == "interrupted"
    assert get_run(store, queued).status == "queued"


def test_a_run_that_cannot_save_its_samples_ends_failed_with_the_reason(
    store: Store, store_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with FakeOpenAIServer(Scenario(n_tokens=40)) as server:
        add_endpoint(store, "fake", server.base_url)
        run_id = create_run(store, _settings(models=["fake:fake-model"], rounds=5, warmup=1))
        # room for the run's status updates, not for a batch of ten answers
        monkeypatch.setattr(os, "fsync", disk_full_at(store_file.stat().st_size + 2500))
        with pytest.raises(StoreWriteError):
            execute_run(store, run_id, _Control())
    monkeypatch.undo()
    run = Store(store_file).find(Table.RUNS, run_id=run_id)[0]
    assert run["status"] == "failed" and "disk" in run["error"] and "full" in run["error"]
    assert run["models"]["fake:fake-model"]["status"] == "failed"
    assert list_runs(store)[0].status == "failed"

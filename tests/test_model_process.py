"""Each model of a benchmark runs in its own child process: a crash stays in its box, memory is the model's.

The engines are real (local HTTP servers with known behaviour, the tiny Foundry Local model) or, for the
crash, ``tests/aborting_engine.py``, which kills its own process the way a native engine does.
"""

from __future__ import annotations

import signal
import threading
import time

import psutil
import pytest

from core.benchmark.run_summary import run_summary_frame
from core.benchmark.runner import create_run, execute_run
from core.models.sources import add_endpoint
from store import Store
from store.records import Table
from tests.fake_openai_server import FakeOpenAIServer, Scenario
from tests.test_benchmark import PROMPTS, _Control, _settings


def _children() -> list[psutil.Process]:
    return [p for p in psutil.Process().children(recursive=True)
            if "core.benchmark.model_process" in " ".join(p.cmdline())]


@pytest.mark.parametrize(("mode", "signum", "name"), [("abort", 6, "SIGABRT"), ("segv", 11, "SIGSEGV")])
def test_an_engine_that_crashes_fails_only_its_model(store: Store, monkeypatch: pytest.MonkeyPatch,
                                                     mode: str, signum: int, name: str) -> None:
    monkeypatch.setenv("PICKWISE_TEST_ENGINE", "tests.aborting_engine:make")
    crashing = f"aborting:{mode}-after-3"
    with FakeOpenAIServer(Scenario(n_tokens=4)) as good:
        add_endpoint(store, "good", good.base_url)
        run_id = create_run(store, _settings([crashing, "good:fake-model"]))
        control = _Control()
        run = execute_run(store, run_id, control)

    assert run.status == "completed"
    crashed = run.models[crashing]
    assert crashed.status == "failed"
    assert crashed.error == f"the engine process crashed (signal {signum}, {name})"
    kept = store.find(Table.SAMPLES, run_id=run_id, model_ref=crashing)
    assert len(kept) == 3, "every finished request is kept; only the one in flight is lost"
    assert (crashed.summary or {})["n_counted"] == 1  # 2 warm-ups + 1 measured request finished
    assert run.models["good:fake-model"].status == "completed"
    assert len(store.find(Table.SAMPLES, run_id=run_id, model_ref="good:fake-model")) == 6
    assert control.updates[-1][0] == control.updates[-1][1] == 12  # progress still reaches the end
    assert _children() == []


def test_a_child_killed_from_outside_fails_its_model_and_the_run_goes_on(store: Store) -> None:
    with FakeOpenAIServer(Scenario(n_tokens=3, ttft_s=0.05)) as slow, FakeOpenAIServer(Scenario()) as fast:
        add_endpoint(store, "slow", slow.base_url)
        add_endpoint(store, "fast", fast.base_url)
        run_id = create_run(store, _settings(["slow:fake-model", "fast:fake-model"], rounds=40))
        finished: dict = {}
        runner = threading.Thread(target=lambda: finished.update(
            run=execute_run(store, run_id, _Control())))
        runner.start()
        deadline = time.monotonic() + 20
        while len(store.find(Table.SAMPLES, run_id=run_id)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        (child,) = _children()
        child.send_signal(signal.SIGKILL)
        runner.join(30)

    run = finished["run"]
    assert run.status == "completed"
    killed = run.models["slow:fake-model"]
    assert (killed.status, killed.error) == ("failed", "the engine process crashed (signal 9, SIGKILL)")
    kept = store.find(Table.SAMPLES, run_id=run_id, model_ref="slow:fake-model")
    assert 3 <= len(kept) < 2 + 2 * 40
    assert run.models["fast:fake-model"].status == "completed"


def test_cancel_is_forwarded_to_the_child_and_finished_samples_are_kept(store: Store) -> None:
    class CancelAfterFive(_Control):
        def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
            super().progress(done, total, message, force=force)
            if done >= 5:
                self.event.set()

    with FakeOpenAIServer(Scenario(n_tokens=3, ttft_s=0.02)) as server:
        add_endpoint(store, "fake", server.base_url)
        run_id = create_run(store, _settings(["fake:fake-model", "fake:other"], rounds=50))
        run = execute_run(store, run_id, CancelAfterFive())

    assert run.status == "cancelled"
    assert run.models["fake:fake-model"].status == "cancelled"
    assert run.models["fake:other"].status == "cancelled"
    kept = store.find(Table.SAMPLES, run_id=run_id)
    assert 5 <= len(kept) <= 6  # the request in flight when the signal came may finish
    assert (run.models["fake:fake-model"].summary or {})["n_counted"] == len([s for s in kept if not s["warmup"]])
    assert _children() == []


def test_endpoint_memory_is_not_measurable(store: Store) -> None:
    with FakeOpenAIServer(Scenario(n_tokens=3)) as server:
        add_endpoint(store, "fake", server.base_url)
        run_id = create_run(store, _settings(["fake:fake-model"], prompts=PROMPTS[:1], rounds=1, warmup=0))
        run = execute_run(store, run_id, _Control())
    record = run.models["fake:fake-model"]
    assert record.status == "completed"
    assert (record.rss_load_mb, record.rss_peak_mb, record.rss_before_mb, record.context_length) == (None,) * 4
    assert "not measurable" in (record.memory_note or "")


def test_a_foundry_local_model_gets_load_time_and_memory(store: Store, foundry_engine, tiny_model: str) -> None:
    """Even with the model loaded in the calling process (as the app's Models page leaves it), the run's
    child loads its own copy: load time and memory are measured, never blank for "already loaded"."""
    ref = f"foundry-local:{tiny_model}"
    was_loaded = foundry_engine.is_loaded(tiny_model)
    foundry_engine.load(tiny_model)
    try:
        run_id = create_run(store, _settings([ref], prompts=PROMPTS[:1], rounds=2, warmup=1))
        run = execute_run(store, run_id, _Control())
    finally:
        if not was_loaded:
            foundry_engine.unload(tiny_model)
    record = run.models[ref]
    assert record.status == "completed", record.error
    assert record.already_loaded is False and record.load_s and record.load_s > 0
    assert record.rss_before_mb and record.rss_before_mb > 0
    assert record.rss_load_mb is not None and record.rss_load_mb > 0
    assert record.rss_peak_mb is not None and record.rss_peak_mb >= record.rss_load_mb
    # genai_config.json: 2 layers x (K and V) x 2 KV heads x head size 16 x 2,048 positions x 4 bytes (fp32 on CPU)
    assert record.context_length == 2048
    assert record.kv_cache_mb == pytest.approx(2 * 2 * 2 * 16 * 2048 * 4 / 2**20)
    assert "2,048" in (record.memory_note or "")
    table = run_summary_frame(run, store.find(Table.SAMPLES, run_id=run_id)).set_index("model")
    row = table.loc[ref]  # the run table shows every figure measured, and what dominates the memory
    assert row["load (s)"] and row["memory added (MB)"] is not None and row["peak added (MB)"] is not None
    assert record.memory_note in row["notes"]

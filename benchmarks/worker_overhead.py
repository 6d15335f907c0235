"""What measuring each model in its own child process costs: start-up, TTFT and decode tokens/s.

1. Start-up of a model child, from launch to its first report: ``python -m core.benchmark.model_process``
   (what the runner uses) against ``multiprocessing``'s "spawn" context running the same import.
2. A local stream with known timing (``tests/fake_openai_server.py`` at 20 and 2,000 tok/s, known TTFT),
   measured (a) by a bare loop in this process (``OpenAICompatibleEngine.stream_chat`` fed to
   ``SampleMeter``, no store, no child) and (b) through ``execute_run``, each model in its child.
   Blocks run bare, child, bare, so drift hits both alike; (b) is compared with the pooled bare requests.
3. With ``--default-model``: the same with the default model, a bare Foundry Local SDK loop in this
   process against ``execute_run``.

Targets (issue 13): the child adds <= 1 ms to TTFT and keeps >= 0.98x the bare tokens/s.

    .venv/bin/python benchmarks/worker_overhead.py [--reps 7] [--default-model]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STREAMS = [(20, 21, 0.30), (2000, 401, 0.05)]  # (tokens/s, tokens, TTFT s)


class _Quiet:
    cancelled = False

    def progress(self, *args, **kwargs) -> None:
        return None


def _spawned(conn) -> None:
    import core.benchmark.model_process  # noqa: F401  (the import the -m child pays)

    conn.send("started")


def startup(reps: int) -> dict[str, float]:
    """Median seconds from launch to the child's first report, for both ways of starting it."""
    from core.benchmark.isolation import child_command, child_env

    module_s, spawn_s = [], []
    with tempfile.TemporaryDirectory() as folder:
        for _ in range(reps):
            read_fd, write_fd = os.pipe()
            started = time.perf_counter()
            import subprocess

            process = subprocess.Popen(child_command(Path(folder) / "s.json", "none", "x:y", write_fd),
                                       pass_fds=(write_fd,), env=child_env())
            os.close(write_fd)
            with os.fdopen(read_fd, "rb") as pipe:
                pipe.readline()
                module_s.append(time.perf_counter() - started)
                pipe.read()
            process.wait()

            parent, child = multiprocessing.get_context("spawn").Pipe()
            started = time.perf_counter()
            proc = multiprocessing.get_context("spawn").Process(target=_spawned, args=(child,))
            proc.start()
            parent.recv()
            spawn_s.append(time.perf_counter() - started)
            proc.join()
    return {"python -m": statistics.median(module_s), "multiprocessing spawn": statistics.median(spawn_s)}


def bare_stream(engine, max_tokens: int) -> dict:
    from core.benchmark.metrics import SampleMeter
    from core.engines.base import ChatParams

    meter = SampleMeter(time.perf_counter())
    for event in engine.stream_chat("fake-model", [{"role": "user", "content": "Hi"}],
                                    ChatParams(max_output_tokens=max_tokens)):
        meter.add(event)
    timing = meter.result()
    return {"ttft_s": timing.ttft_s, "tps": timing.decode_tps}


def child_run(ref: str, prompt: str, reps: int, max_tokens: int, setup) -> list[dict]:
    from core.benchmark.runner import create_run, execute_run
    from core.benchmark.settings import BenchmarkSettings
    from store import Store
    from store.records import Table

    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "pickwise.json")
        setup(store)
        settings = BenchmarkSettings(models=[ref], prompts=[{"id": "p", "prompt": prompt}], warmup=1, rounds=reps,
                                     max_output_tokens=max_tokens, temperature=0.0)
        run_id = create_run(store, settings)
        execute_run(store, run_id, _Quiet())
        return [{"ttft_s": s["ttft_s"], "tps": s["decode_tps"]}
                for s in store.find(Table.SAMPLES, run_id=run_id) if not s["warmup"] and not s["error"]]


def compare(bare: list[dict], child: list[dict]) -> str:
    b_ttft, c_ttft = (statistics.median(r["ttft_s"] for r in rows) for rows in (bare, child))
    b_tps, c_tps = (statistics.median(r["tps"] for r in rows) for rows in (bare, child))
    return (f"bare TTFT {b_ttft * 1000:8.2f} ms, {b_tps:8.1f} tok/s | child TTFT {c_ttft * 1000:8.2f} ms, "
            f"{c_tps:8.1f} tok/s | child adds {(c_ttft - b_ttft) * 1000:+.2f} ms TTFT (target <= 1), "
            f"tokens/s x{c_tps / b_tps:.3f} (target >= 0.98)")


def fake_streams(reps: int) -> None:
    from core.engines.openai_compatible import OpenAICompatibleEngine
    from core.models.sources import add_endpoint
    from tests.fake_openai_server import FakeOpenAIServer, Scenario

    for tps, n_tokens, ttft in STREAMS:
        with FakeOpenAIServer(Scenario(n_tokens=n_tokens, ttft_s=ttft, token_interval_s=1 / tps)) as server:
            engine = OpenAICompatibleEngine("timed", server.base_url)
            bare_stream(engine, n_tokens)  # warm-up, as the run has one
            bare = [bare_stream(engine, n_tokens) for _ in range(reps)]
            child = child_run("timed:fake-model", "Hi", reps, n_tokens,
                              lambda store, url=server.base_url: add_endpoint(store, "timed", url))
            bare += [bare_stream(engine, n_tokens) for _ in range(reps)]
        print(f"{tps:5d} tok/s, TTFT {ttft * 1000:.0f} ms injected: {compare(bare, child)}")


def default_model(reps: int, max_tokens: int) -> None:
    from benchmarks.harness_overhead import PROMPT, bare_sdk_request
    from core.engines.foundry_local import FoundryLocalEngine
    from core.models.default_model.pipeline import DEFAULT_MODEL_ID

    engine = FoundryLocalEngine()

    def bare_block() -> list[dict]:
        engine.load(DEFAULT_MODEL_ID)
        model = engine._find(DEFAULT_MODEL_ID)  # the same SDK model object the engine uses
        bare_sdk_request(model, max_tokens)  # warm-up
        rows = [bare_sdk_request(model, max_tokens) for _ in range(reps)]
        engine.unload(DEFAULT_MODEL_ID)
        return rows

    bare = bare_block()
    child = child_run(f"foundry-local:{DEFAULT_MODEL_ID}", PROMPT, reps, max_tokens, lambda store: None)
    bare += bare_block()
    print(f"default model, max {max_tokens} tokens: {compare(bare, child)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--default-model", action="store_true")
    parser.add_argument("--max-tokens", type=int, default=128)
    args = parser.parse_args()
    from core.benchmark.environment import machine_environment

    env = machine_environment()
    print(f"Machine: {env['cpu']}, {env['cores_logical']} cores, {env['ram_gb']} GB RAM, {env['os']}, "
          f"load average {os.getloadavg()[0]:.2f}")
    for how, seconds in startup(args.reps).items():
        print(f"child start-up ({how}), launch to first report: median {seconds * 1000:.0f} ms")
    fake_streams(args.reps)
    if args.default_model:
        default_model(args.reps, args.max_tokens)


if __name__ == "__main__":
    main()

"""An independent reading of a model's memory, against what a benchmark run records for it.

Two separate processes load the default model (``foundry-local:pickwise-smollm2-135m:1``):

1. a bare Foundry Local SDK process (this script with ``--bare``): no Pickwise measuring code, just
   ``FoundryLocalManager``, ``model.load()`` and one streamed generation, reading its own resident
   memory (``/proc/self/statm`` through psutil) before and after loading and its peak while generating
   (a 10 ms sampler thread);
2. ``core.benchmark.runner.execute_run`` on a throwaway store, which measures the model in its own child.

Both read the memory added by loading and the peak added over the before-load figure; the difference is
what Pickwise's child adds or misses. Also prints the context length and the KV-cache estimate the run
recorded.

    .venv/bin/python benchmarks/memory_check.py [--max-tokens 128] [--json]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import psutil  # noqa: E402

from core.models.default_model.pipeline import DEFAULT_MODEL_ID  # noqa: E402

PROMPT = "Write a detailed paragraph about why running language models locally protects privacy."


def _rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def bare(max_tokens: int) -> dict:
    """The independent reading: the SDK alone, in this (fresh) process."""
    from foundry_local_sdk import (
        CatalogType,
        ChatSession,
        FoundryLocalManager,
        MessageItem,
        Request,
        RequestOptions,
        SearchOptions,
    )

    from core.engines.foundry_local import foundry_config

    FoundryLocalManager.initialize(foundry_config())
    model = FoundryLocalManager.instance.get_catalog(CatalogType.LOCAL).get_model_variant(DEFAULT_MODEL_ID)
    before = _rss_mb()
    started = time.perf_counter()
    model.load()
    load_s = time.perf_counter() - started
    after = _rss_mb()
    peak = after
    stop = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not stop.wait(0.01):
            peak = max(peak, _rss_mb())

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    options = RequestOptions(search=SearchOptions(temperature=0.0, max_output_tokens=max_tokens, seed=42))
    for _ in range(2):  # the run below has one warm-up and one measured request
        with ChatSession(model) as session, Request() as request:
            session.set_options(options)
            session.set_streaming(True)
            request.add_item(MessageItem.user(PROMPT))
            with session.process_streaming_request(request) as stream:
                for _item in stream:
                    pass
    stop.set()
    sampler.join()
    peak = max(peak, _rss_mb())
    model.unload()
    return {"before_mb": before, "load_s": load_s, "added_mb": after - before, "peak_added_mb": peak - before}


def pickwise(max_tokens: int) -> dict:
    """What a benchmark run records for the same model (measured in the run's child process)."""
    from core.benchmark.runner import create_run, execute_run
    from core.benchmark.settings import BenchmarkSettings
    from store import Store

    class Quiet:
        cancelled = False

        def progress(self, *args, **kwargs) -> None:
            return None

    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "pickwise.json")
        ref = f"foundry-local:{DEFAULT_MODEL_ID}"
        settings = BenchmarkSettings(models=[ref], prompts=[{"id": "p", "prompt": PROMPT}], warmup=1, rounds=1,
                                     max_output_tokens=max_tokens, temperature=0.0)
        run = execute_run(store, create_run(store, settings), Quiet())
    record = run.models[ref]
    if record.status != "completed":
        raise SystemExit(f"the benchmark run did not complete: {record.status} ({record.error})")
    return {"before_mb": record.rss_before_mb, "load_s": record.load_s, "added_mb": record.rss_load_mb,
            "peak_added_mb": record.rss_peak_mb, "context_length": record.context_length,
            "kv_cache_mb": record.kv_cache_mb, "disk_mb": record.disk_mb, "memory_note": record.memory_note}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--bare", action="store_true", help="(internal) be the bare SDK process")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if args.bare:
        print(json.dumps(bare(args.max_tokens)))
        return
    out = subprocess.run([sys.executable, __file__, "--bare", "--max-tokens", str(args.max_tokens)],
                         capture_output=True, text=True, check=True)
    independent = json.loads(out.stdout.strip().splitlines()[-1])
    recorded = pickwise(args.max_tokens)
    difference = {key: recorded[key] - independent[key] for key in ("before_mb", "added_mb", "peak_added_mb")}
    if args.json:
        print(json.dumps({"independent": independent, "benchmark": recorded, "difference": difference}, indent=2))
        return
    from core.benchmark.environment import machine_environment

    env = machine_environment()
    print(f"Machine: {env['cpu']}, {env['cores_logical']} cores, {env['ram_gb']} GB RAM, {env['os']}")
    print(f"Model foundry-local:{DEFAULT_MODEL_ID}, max {args.max_tokens} tokens")
    for key in ("before_mb", "load_s", "added_mb", "peak_added_mb"):
        print(f"{key:15s} bare SDK {independent[key]:9.2f}   benchmark run {recorded[key]:9.2f}")
    print("difference (run - bare):", ", ".join(f"{k} {v:+.1f}" for k, v in difference.items()))
    print(f"context length {recorded['context_length']}, KV cache ~{recorded['kv_cache_mb']:.0f} MB, "
          f"weights on disk {recorded['disk_mb']} MB")
    print(recorded["memory_note"])


if __name__ == "__main__":
    main()

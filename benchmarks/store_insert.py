"""How long do storing a 1,000-sample run and opening the store take when it already holds N samples?

Targets (issue 10), at N = 1,000,000: ``insert_many`` of 1,000 realistic sample docs (~1.5 KB each,
mostly response text) <= 0.1 s, and opening the store in a fresh process and counting its tables
(what the app's first render pays) <= 1 s.

The existing store is built the way Pickwise fills it: one run document per 1,000 samples (a 40-prompt
set, two models) in the main file and each run's samples in its own file, through the ``Store`` API.

Run: ``.venv/bin/python benchmarks/store_insert.py [--existing 100000] [--batch 1000] [--reps 7] [--json]``
``--json`` prints one line, ``{"append_median_s", "append_max_s", "open_fresh_s", ...}``, and nothing else
on stdout. It works in a temp folder on the same filesystem as ``--dir`` (default: the system temp dir)
and deletes it afterwards.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store import Store  # noqa: E402
from store.records import Table

_SENTENCE = (
    "the model answers quickly because latency matters and every token counts when a small "
    "local assistant must explain python code summarise notes or translate short messages while "
    "staying accurate helpful and concise for the user who compares several candidates"
)
WORDS = _SENTENCE.split(" ")
MODELS = ["foundry-local:phi-4-mini:1", "my-ollama:llama3.2"]
SEED_RUN_SIZE = 1_000


def texts(rng: random.Random, count: int, words: int) -> list[str]:
    return [" ".join(rng.choices(WORDS, k=words)) for _ in range(count)]


def make_samples(rng: random.Random, count: int, run: str, pool: list[str]) -> list[dict[str, Any]]:
    """Sample docs shaped like the runner's (see store/SCHEMA.md), ~1.5 KB of JSON each."""
    docs = []
    for i in range(count):
        completion = rng.randint(120, 300)
        e2e = rng.uniform(2.0, 12.0)
        ttft = rng.uniform(0.05, 1.5)
        docs.append({
            "run_id": run, "model_ref": MODELS[i % 2], "prompt_id": f"p{i % 40:02d}", "round": i % 5,
            "warmup": i % 5 == 0, "concurrency": 1, "error": None, "created_at": "2026-11-28T15:30:00.123456+00:00",
            "ttft_s": ttft, "ttfa_s": ttft, "e2e_s": e2e, "decode_tps": completion / e2e,
            "itl_mean_s": rng.uniform(0.01, 0.08), "itl_p95_s": rng.uniform(0.05, 0.2), "text": rng.choice(pool),
            "reasoning_text": "", "prompt_tokens": rng.randint(20, 400), "completion_tokens": completion,
            "token_source": "engine", "finish_reason": "stop", "n_deltas": completion, "text_truncated": False,
        })
    return docs


def make_run(rng: random.Random, run: str, pool: list[str]) -> dict[str, Any]:
    """A completed run document like the runner's: settings, environment, a 40-prompt set, per-model results."""
    prompts = [{"id": f"p{i:02d}", "prompt": text, "reference": None} for i, text in enumerate(texts(rng, 40, 25))]
    summary = {"n_samples": 400, "latency_mean_s": 5.1, "latency_p95_s": 9.8, "ttft_p50_s": 0.4, "decode_tps": 31.0}
    return {
        "run_id": run, "kind": "benchmark", "status": "completed", "created_at": "2026-11-28T15:30:00+00:00",
        "started_at": "2026-11-28T15:30:00+00:00", "finished_at": "2026-11-28T16:30:00+00:00", "error": None,
        "owner": {"pid": 4242, "host": "vm", "started": 1796022933.57},
        "settings": {"models": MODELS, "prompt_set_name": "bench", "warmup": 1, "rounds": 5, "max_output_tokens": 256,
                     "temperature": 0.0, "seed": 42, "timeout_s": 120.0, "concurrency": [1], "slo": {}},
        "environment": {"cpu": "AMD EPYC", "cores_logical": 2, "ram_gb": 23.5, "os": "Linux", "python": "3.11.7"},
        "prompt_set": {"name": "bench", "prompts": prompts},
        "models": {ref: {"status": "completed", "error": None, "load_s": 1.2, "device": "cpu", "summary": summary}
                   for ref in MODELS},
        "notes": rng.choice(pool),
    }


def build(path: Path, existing: int, rng: random.Random, pool: list[str]) -> float:
    """Fill a new store with ``existing`` samples in runs of 1,000 (one run document each); return the seconds."""
    started = time.perf_counter()
    store = Store(path)
    template = make_samples(rng, SEED_RUN_SIZE, "", pool)
    runs: list[dict[str, Any]] = []
    for start in range(0, existing, SEED_RUN_SIZE):
        run = f"seed-{start // SEED_RUN_SIZE:05d}"
        size = min(SEED_RUN_SIZE, existing - start)
        store.insert_many(Table.SAMPLES, [{**doc, "run_id": run} for doc in template[:size]])
        runs.append(make_run(rng, run, pool))
        if len(runs) == 100:
            store.insert_many(Table.RUNS, runs)
            runs = []
    store.insert_many(Table.RUNS, runs)
    return time.perf_counter() - started


def machine() -> str:
    cpu = platform.processor() or "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
        ram_text = f"{ram:.1f} GiB RAM"
    except (ValueError, OSError):
        ram_text = "RAM unknown"
    return (
        f"{cpu}, {os.cpu_count()} logical cores, {ram_text}, Python {platform.python_version()}, "
        f"{platform.system()} {platform.release()}, load average {os.getloadavg()[0]:.2f}"
    )


def open_in_fresh_process(path: Path) -> float:
    """Opening plus ``counts()`` (the sidebar's figures) in a new interpreter, imports excluded.

    No warm Python heap; the OS page cache is still warm.
    """
    code = (
        "import sys,time; sys.path.insert(0, sys.argv[2]); from store import Store; "
        "t=time.perf_counter(); s=Store(sys.argv[1]); s.counts(); "
        "print(time.perf_counter()-t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(Path(__file__).resolve().parent.parent)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip())


def folder_mb(path: Path) -> tuple[float, float]:
    """Size of the main file and of everything else of the store (run files, index), in MB."""
    rest = sum(p.stat().st_size for p in path.parent.rglob("*") if p.is_file() and p != path)
    return path.stat().st_size / 1e6, rest / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--dir", default=None, help="folder to create the temp store in")
    parser.add_argument("--json", action="store_true", help="print one JSON line of results, nothing else")
    parser.add_argument(
        "--pause",
        type=float,
        default=1.0,
        help="seconds between timed inserts (a real run takes minutes; 0 = back-to-back, which also "
        "measures the previous write's writeback and block freeing)",
    )
    args = parser.parse_args()
    say = (lambda *_: None) if args.json else print

    rng = random.Random(42)
    pool = texts(rng, 500, 160)
    say(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "pickwise.json"
        build_s = build(path, args.existing, rng, pool)
        os.sync()  # an existing store has long been on disk: do not time the build's writeback
        main_mb, runs_mb = folder_mb(path)
        say(f"built a store of {args.existing:,} samples in {build_s:.1f} s: main file {main_mb:.1f} MB, "
            f"run files and index {runs_mb:.1f} MB")

        fresh = [open_in_fresh_process(path) for _ in range(3)]
        say(f"open + counts() in a fresh process: median {statistics.median(fresh):.3f} s, max {max(fresh):.3f} s")

        store = Store(path)
        batches = [make_samples(rng, args.batch, f"bench-{rep}", pool) for rep in range(args.reps)]
        times, breakdown = [], []
        for docs in batches:
            time.sleep(args.pause)
            t = time.perf_counter()
            store.insert_many(Table.SAMPLES, docs)
            times.append(time.perf_counter() - t)
            breakdown.append(store.stats["last_write"])
        parts = {k: statistics.median(b[k] for b in breakdown) for k in breakdown[0] if k.endswith("_s")}
        say(f"insert_many({args.batch}) of a new run x{len(times)} ({args.pause:g} s apart): "
            f"median {statistics.median(times):.3f} s, max {max(times):.3f} s, min {min(times):.3f} s")
        say("  median breakdown: " + ", ".join(f"{k} {v:.4f}s" for k, v in parts.items()))

        t = time.perf_counter()
        found = store.find(Table.SAMPLES, run_id="seed-00000")
        find_s = time.perf_counter() - t
        say(f"find(run_id=...) -> {len(found)} docs of {store.count(Table.SAMPLES):,} (first read of that run): "
            f"{find_s:.3f} s")
        result = {
            "existing": args.existing, "batch": args.batch, "append_median_s": round(statistics.median(times), 4),
            "append_max_s": round(max(times), 4), "open_fresh_s": round(statistics.median(fresh), 4),
            "open_fresh_max_s": round(max(fresh), 4), "find_run_s": round(find_s, 4), "build_s": round(build_s, 1),
            "main_mb": round(main_mb, 1), "runs_mb": round(runs_mb, 1), "load_average": round(os.getloadavg()[0], 2),
        }
        if args.json:
            print(json.dumps(result))
        else:
            met = result["append_median_s"] <= 0.1 and result["append_max_s"] <= 0.1 and result["open_fresh_s"] <= 1
            say(f"targets (append <= 0.1 s, fresh open <= 1 s): {'met' if met else 'MISSED'}")


if __name__ == "__main__":
    main()

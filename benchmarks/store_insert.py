"""How long does storing one 1,000-sample run take in a store that already holds 100,000 samples?

Target: under 0.5 s per ``insert_many`` of 1,000 realistic sample docs (~1.5 KB each, mostly
response text). Also reports opening (reading + parsing) the 100k store, which is what a reader
pays whenever another process has written, and where each write's time goes.

Run: ``.venv/bin/python benchmarks/store_insert.py [--existing 100000] [--batch 1000] [--reps 7]``
It works in a temp folder on the same filesystem as ``--dir`` (default: the system temp dir) and
deletes it afterwards.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from store import Store  # noqa: E402

_SENTENCE = (
    "the model answers quickly because latency matters and every token counts when a small "
    "local assistant must explain python code summarise notes or translate short messages while "
    "staying accurate helpful and concise for the user who compares several candidates"
)
WORDS = _SENTENCE.split(" ")


def texts(rng: random.Random, count: int, words: int) -> list[str]:
    return [" ".join(rng.choices(WORDS, k=words)) for _ in range(count)]


def make_samples(rng: random.Random, count: int, run: str, pool: list[str]) -> list[dict]:
    """Sample docs shaped like the runner's (see store/SCHEMA.md), ~1.5 KB of JSON each."""
    docs = []
    for i in range(count):
        completion = rng.randint(120, 300)
        e2e = rng.uniform(2.0, 12.0)
        docs.append(
            {
                "run_id": run,
                "model_ref": rng.choice(
                    ["foundry-local:phi-4-mini:1", "my-ollama:llama3.2", "foundry-local:qwen2.5-0.5b:4"]
                ),
                "prompt_id": f"p{i % 40:02d}",
                "round": i % 5,
                "warmup": i % 5 == 0,
                "ttft_s": rng.uniform(0.05, 1.5),
                "ttfa_s": rng.uniform(0.05, 1.5),
                "e2e_s": e2e,
                "decode_tps": completion / e2e,
                "itl_mean_s": rng.uniform(0.01, 0.08),
                "itl_p95_s": rng.uniform(0.05, 0.2),
                "prompt_tokens": rng.randint(20, 400),
                "completion_tokens": completion,
                "token_source": "engine",
                "finish_reason": "stop",
                "text": rng.choice(pool),
                "reasoning_text": "",
                "error": None,
                "created_at": "2026-11-28T15:30:00.123456+00:00",
            }
        )
    return docs


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
        f"{platform.system()} {platform.release()}"
    )


def open_in_fresh_process(path: Path) -> float:
    """Open time in a new interpreter (no warm Python heap; the OS page cache is still warm)."""
    code = (
        "import sys,time; sys.path.insert(0, sys.argv[2]); from store import Store; "
        "t=time.perf_counter(); s=Store(sys.argv[1]); n=s.count('samples'); "
        "print(time.perf_counter()-t)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code, str(path), str(Path(__file__).resolve().parent.parent)],
        check=True,
        capture_output=True,
        text=True,
    )
    return float(out.stdout.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--existing", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=1_000)
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--dir", default=None, help="folder to create the temp store in")
    parser.add_argument(
        "--pause",
        type=float,
        default=1.0,
        help="seconds between timed inserts (a real run takes minutes; 0 = back-to-back, which also "
        "measures the previous write's writeback and block freeing)",
    )
    args = parser.parse_args()

    rng = random.Random(42)
    pool = texts(rng, 500, 160)
    print(f"machine: {machine()}")
    with tempfile.TemporaryDirectory(dir=args.dir) as tmp:
        path = Path(tmp) / "pickwise.json"
        seed = Store(path)
        t = time.perf_counter()
        for start in range(0, args.existing, 20_000):
            seed.insert_many("samples", make_samples(rng, min(20_000, args.existing - start), f"seed-{start}", pool))
        print(f"built store with {seed.count('samples'):,} samples in {time.perf_counter() - t:.1f} s")
        del seed
        size_mb = path.stat().st_size / 1e6

        t = time.perf_counter()
        store = Store(path)
        open_s = time.perf_counter() - t
        fresh_open_s = open_in_fresh_process(path)
        print(f"file size: {size_mb:.1f} MB; samples: {store.count('samples'):,}")
        print(f"open/read 100k store: {open_s:.3f} s in this process, {fresh_open_s:.3f} s in a fresh process")

        batches = [make_samples(rng, args.batch, f"bench-{rep}", pool) for rep in range(args.reps + 1)]
        times, breakdown = [], []
        for rep, docs in enumerate(batches):
            time.sleep(args.pause)
            t = time.perf_counter()
            store.insert_many("samples", docs)
            elapsed = time.perf_counter() - t
            if rep == 0:
                first = elapsed
                first_breakdown = store.stats["last_write"]
            else:
                times.append(elapsed)
                breakdown.append(store.stats["last_write"])

        def fmt(parts: dict) -> str:
            return ", ".join(f"{k} {v:.3f}s" for k, v in parts.items() if k.endswith("_s"))

        median_parts = {k: statistics.median(b[k] for b in breakdown) for k in breakdown[0] if k.endswith("_s")}
        print(
            f"insert_many({args.batch}) first after open: {first:.3f} s  "
            f"(encodes the whole samples table once: {fmt(first_breakdown)})"
        )
        print(
            f"insert_many({args.batch}) x{len(times)} after that ({args.pause:g} s apart): "
            f"median {statistics.median(times):.3f} s, "
            f"max {max(times):.3f} s, min {min(times):.3f} s"
        )
        print(f"  median breakdown: {fmt(median_parts)}")

        t = time.perf_counter()
        found = store.find("samples", run_id="bench-1")
        print(f"find(run_id=...) -> {len(found)} docs over {store.count('samples'):,}: {time.perf_counter() - t:.3f} s")
        t = time.perf_counter()
        store.count("samples")
        print(f"count() when nothing changed: {(time.perf_counter() - t) * 1e6:.0f} us")
        target = 0.5
        verdict = "meets" if statistics.median(times) < target and max(times) < target else "MISSES"
        print(f"target {target} s per 1,000-sample run: {verdict} (median/max above)")


if __name__ == "__main__":
    main()

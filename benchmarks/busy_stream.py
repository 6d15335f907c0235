"""Tokens/s of a local stream with known speed, measured through the benchmark runner, idle and with both
cores loaded (issue 12: a true 2,000 tok/s stream once read "mean 11,024.8 tok/s", one sample 103,804).

The server (``tests/fake_openai_server.py``) runs in its own process, as a real local server would,
streaming at a true 2,000 tok/s and at 20 tok/s. "Loaded" starts ``--hogs`` processes spinning on the
CPU for the whole measurement. For each case it prints what the summary now reports (mean and median
with their 95% intervals, over the kept rates; how many samples were flagged bunched) next to what
the old summary showed (the mean and max over every rate, bunched or not).

    .venv/bin/python benchmarks/busy_stream.py [--hogs 4] [--rounds 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.benchmark.environment import machine_environment  # noqa: E402
from core.benchmark.runner import create_run, execute_run  # noqa: E402
from core.benchmark.settings import BenchmarkSettings  # noqa: E402
from core.models.sources import add_endpoint  # noqa: E402
from core.paths import REPO_ROOT  # noqa: E402
from store import Store  # noqa: E402
from store.records import Table  # noqa: E402
from tests.cpu_load import busy_cores  # noqa: E402

SERVER = """
import sys
from tests.fake_openai_server import FakeOpenAIServer, Scenario
n_tokens, interval = int(sys.argv[1]), float(sys.argv[2])
with FakeOpenAIServer(Scenario(n_tokens=n_tokens, ttft_s=0.05, token_interval_s=interval)) as server:
    print(server.base_url, flush=True)
    sys.stdin.read()
"""
STREAMS = {"2000 tok/s": (401, 1 / 2000), "20 tok/s": (21, 1 / 20)}


class _Quiet:
    """The runner's ``Control``: never cancelled, progress ignored."""

    cancelled = False

    def progress(self, done: float, total: float | None, message: str = "", *, force: bool = False) -> None:
        return None


@contextmanager
def _process(args: list[str], **kwargs) -> Iterator[subprocess.Popen]:
    process = subprocess.Popen(args, **kwargs)
    try:
        yield process
    finally:
        process.kill()
        process.wait()


def measure(n_tokens: int, interval: float, rounds: int, hogs: int) -> dict:
    """One run of ``rounds`` requests (after one warm-up) against a server process; the figures it reports."""
    with tempfile.TemporaryDirectory() as folder, _process(
            [sys.executable, "-c", SERVER, str(n_tokens), str(interval)], cwd=REPO_ROOT, stdin=subprocess.PIPE,
            stdout=subprocess.PIPE, text=True) as server:
        base_url = server.stdout.readline().strip()
        store = Store(Path(folder) / "bench.json")
        add_endpoint(store, "local", base_url)
        settings = BenchmarkSettings(models=["local:fake-model"], prompts=[{"id": "p", "prompt": "Count."}],
                                     warmup=1, rounds=rounds, max_output_tokens=n_tokens, timeout_s=60)
        run_id = create_run(store, settings)
        with busy_cores(hogs):
            run = execute_run(store, run_id, _Quiet())
        samples = [s for s in store.find(Table.SAMPLES, run_id=run_id) if not s["warmup"]]
    tps = run.models["local:fake-model"].summary["metrics"]["decode_tps"]
    rates = [s["decode_tps"] for s in samples if s["decode_tps"] is not None]
    return {
        "n": len(samples), "bunched": tps["n_left_out"],
        "mean": tps["mean"], "mean_ci95": [tps["ci95_low"], tps["ci95_high"]], "interval_note": tps["interval_note"],
        "median": tps["p50"], "median_ci95": [tps["p50_ci95_low"], tps["p50_ci95_high"]], "max_kept": tps["max"],
        "old_mean_all_rates": statistics.fmean(rates), "old_max_all_rates": max(rates),
        "bunched_shares": [round(s["bunched_share"], 2) for s in samples],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hogs", type=int, default=2 * (os.cpu_count() or 1), help="busy processes when loaded")
    parser.add_argument("--rounds", type=int, default=20, help="requests per case (20 tok/s uses a quarter)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    results = []
    for load, hogs in (("idle", 0), (f"{args.hogs} busy processes", args.hogs)):
        for stream, (n_tokens, interval) in STREAMS.items():
            rounds = args.rounds if interval < 0.01 else max(5, args.rounds // 4)
            results.append({"stream": stream, "load": load, **measure(n_tokens, interval, rounds, hogs)})
    if args.json:
        print(json.dumps({"environment": machine_environment(), "results": results}))
        return
    print(f"{'stream':>10} | {'load':>18} | n  | bunched | mean (95% CI)                | median (95% CI)         "
          f"| max kept | old mean / max (all rates)")
    for r in results:
        low, high = r["mean_ci95"]
        mean = "-" if r["mean"] is None else f"{r['mean']:.1f}"
        mean_ci = f"{low:.1f}-{high:.1f}" if low is not None else (r["interval_note"] or "")[:22]
        m_low, m_high = r["median_ci95"]
        median = "-" if r["median"] is None else f"{r['median']:.1f}"
        median_ci = f"{m_low:.1f}-{m_high:.1f}" if m_low is not None else "none"
        max_kept = "-" if r["max_kept"] is None else f"{r['max_kept']:.1f}"
        print(f"{r['stream']:>10} | {r['load']:>18} | {r['n']:<2} | {r['bunched']:<7} | {mean:>8} ({mean_ci:<17}) | "
              f"{median:>8} ({median_ci:<12}) | {max_kept:>8} | {r['old_mean_all_rates']:.1f} / "
              f"{r['old_max_all_rates']:.1f}")


if __name__ == "__main__":
    main()

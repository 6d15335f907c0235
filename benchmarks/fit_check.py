"""Will it fit, checked: the default model's memory estimate (made before loading) against its measured peak.

Runs ``foundry-local:pickwise-smollm2-135m:1`` with ``core.benchmark.runner.execute_run`` on a throwaway store,
``--runs`` times (one warm-up and one measured request of ``--max-tokens`` each), and prints what the run
stored: the estimate and its parts (``memory_estimate``) beside the peak memory the model added to its
process (``rss_peak_mb``), and the estimate's error. The estimate's runtime overhead is calibrated on this
model (``core.models.fit.RUNTIME_OVERHEAD_MB``), so this is the check of that calibration, not an independent test
of other models.

    .venv/bin/python benchmarks/fit_check.py [--runs 3] [--max-tokens 128] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.models.default_model.pipeline import DEFAULT_MODEL_ID  # noqa: E402

PROMPT = "Write a detailed paragraph about why running language models locally protects privacy."


class _Quiet:
    cancelled = False

    def progress(self, *args, **kwargs) -> None:
        return None


def one_run(max_tokens: int) -> dict:
    from core.benchmark.runner import create_run, execute_run
    from core.benchmark.settings import BenchmarkSettings
    from store import Store

    ref = f"foundry-local:{DEFAULT_MODEL_ID}"
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "pickwise.json")
        settings = BenchmarkSettings(models=[ref], prompts=[{"id": "p", "prompt": PROMPT}], warmup=1, rounds=1,
                                     max_output_tokens=max_tokens, temperature=0.0)
        record = execute_run(store, create_run(store, settings), _Quiet()).models[ref]
    if record.status != "completed" or record.memory_estimate_mb is None or record.rss_peak_mb is None:
        raise SystemExit(f"the run recorded no estimate or no peak: {record.status} ({record.error})")
    error = record.memory_estimate_mb - record.rss_peak_mb
    return {"estimate_mb": record.memory_estimate_mb, "peak_added_mb": record.rss_peak_mb, "error_mb": error,
            "error_pct": 100 * error / record.rss_peak_mb, "parts": record.memory_estimate}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=128)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = [one_run(args.max_tokens) for _ in range(args.runs)]
    if args.json:
        print(json.dumps(runs, indent=2))
        return
    parts = runs[0]["parts"]
    print(f"estimate parts: weights {parts['weights_mb']:.1f} MB + KV cache {parts['kv_cache_mb']:.1f} MB at "
          f"{parts['context_length']} tokens + runtime {parts['overhead_mb']:.1f} MB; free {parts['free_mb']:.0f} MB "
          f"of {parts['against']}")
    for i, run in enumerate(runs, 1):
        print(f"run {i}: estimate {run['estimate_mb']:.1f} MB, measured peak added {run['peak_added_mb']:.1f} MB, "
              f"error {run['error_mb']:+.1f} MB ({run['error_pct']:+.1f}%)")
    print(f"median error {statistics.median(r['error_mb'] for r in runs):+.1f} MB "
          f"({statistics.median(r['error_pct'] for r in runs):+.1f}%)")


if __name__ == "__main__":
    main()

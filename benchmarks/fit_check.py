"""Will it fit, checked: the default model's memory estimate (made before loading) against its measured peak.

Runs ``foundry-local:pickwise-smollm2-135m:1`` with ``core.benchmark.runner.execute_run`` on a throwaway store
over each built-in prompt set (one warm-up round and ``--rounds`` measured rounds of ``--max-tokens`` each) and
prints what each run stored: the estimate and its parts (``memory_estimate``: weights, KV cache, the longest
prompt's logits, runtime) beside the peak memory the model added to its process (``rss_peak_mb``), and the
error. The runtime overhead is calibrated on this model (``core.models.fit.RUNTIME_OVERHEAD_MB``) over the
shortest prompts, so the longer sets check the prompt term, not other models.

    .venv/bin/python benchmarks/fit_check.py [--rounds 2] [--max-tokens 32] [--json]
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


class _Quiet:
    cancelled = False

    def progress(self, *args, **kwargs) -> None:
        return None


def one_run(prompt_set: str, rounds: int, max_tokens: int) -> dict:
    from core.benchmark.prompt_sets.builtin import builtin_prompt_sets
    from core.benchmark.runner import create_run, execute_run
    from core.benchmark.settings import BenchmarkSettings
    from store import Store
    from store.queries import run_samples

    ref = f"foundry-local:{DEFAULT_MODEL_ID}"
    prompts = [p.model_dump(exclude_none=True) for p in builtin_prompt_sets()[prompt_set]]
    with tempfile.TemporaryDirectory() as folder:
        store = Store(Path(folder) / "pickwise.json")
        settings = BenchmarkSettings(models=[ref], prompts=prompts, prompt_set_name=prompt_set, warmup=1,
                                     rounds=rounds, max_output_tokens=max_tokens, temperature=0.0)
        run_id = create_run(store, settings)
        record = execute_run(store, run_id, _Quiet()).models[ref]
        longest = max((s.get("prompt_tokens") or 0) for s in run_samples(store, run_id))
    if record.status != "completed" or record.memory_estimate_mb is None or record.rss_peak_mb is None:
        raise SystemExit(f"the run recorded no estimate or no peak: {record.status} ({record.error})")
    error = record.memory_estimate_mb - record.rss_peak_mb
    return {"prompt_set": prompt_set, "requests": len(prompts) * (rounds + 1), "longest_prompt_tokens": longest,
            "estimate_mb": record.memory_estimate_mb, "peak_added_mb": record.rss_peak_mb, "error_mb": error,
            "error_pct": 100 * error / record.rss_peak_mb, "parts": record.memory_estimate}


def main() -> None:
    from core.benchmark.prompt_sets.builtin import LADDER, MEETINGS, RAG

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--max-tokens", type=int, default=32)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    runs = [one_run(name, args.rounds, args.max_tokens) for name in (RAG, MEETINGS, LADDER)]
    if args.json:
        print(json.dumps(runs, indent=2))
        return
    for run in runs:
        parts = run["parts"]
        print(f"{run['prompt_set']} ({run['requests']} requests, longest prompt {run['longest_prompt_tokens']} "
              f"tokens): estimate {run['estimate_mb']:.1f} MB = weights {parts['weights_mb']:.1f} + KV cache "
              f"{parts['kv_cache_mb']:.1f} + prompt {parts['prompt_mb']:.1f} + runtime {parts['overhead_mb']:.1f}; "
              f"measured peak added {run['peak_added_mb']:.1f} MB; error {run['error_mb']:+.1f} MB "
              f"({run['error_pct']:+.1f}%)")
    print(f"median error {statistics.median(r['error_pct'] for r in runs):+.1f}%, "
          f"largest {max((r['error_pct'] for r in runs), key=abs):+.1f}%")


if __name__ == "__main__":
    main()

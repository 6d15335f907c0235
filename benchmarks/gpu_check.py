"""Check the GPU path end to end on a machine with an NVIDIA GPU: is a GPU variant really running on the GPU?

Lists the NVIDIA GPUs NVML sees, picks a Foundry Local GPU variant this machine can run (one already
downloaded first, CUDA first, then the smallest; or the model given with ``--model``), benchmarks it briefly
through the real runner (its own child process, as in the app) on a throwaway store, and prints a short
report: device, execution provider, GPU memory added at load and at its peak, utilisation and GPU energy
while answering, and the silent-CPU-fallback verdict with its reason (``core/benchmark/gpu.py``).

Without an NVIDIA GPU (or its driver) it prints one line and exits 0: there is nothing to check.

    .venv/bin/python benchmarks/gpu_check.py [--model SOURCE:MODEL_ID] [--db FILE] [--rounds 3] [--max-tokens 64]

``--db`` runs against that store instead (an endpoint's settings live there; the short run is kept in it).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from core.benchmark import gpu  # noqa: E402
from core.refs import FOUNDRY_SOURCE  # noqa: E402
from store.records import ModelResult  # noqa: E402

PROMPTS = [{"id": "short", "prompt": "List three benefits of running language models locally."},
           {"id": "long", "prompt": "Explain in one paragraph how a GPU speeds up generating text with an LLM."}]
NO_GPU = "no NVIDIA GPU found through NVML; nothing to check"


class _Quiet:
    cancelled = False

    def progress(self, *args: object, **kwargs: object) -> None:
        return None


def pick_variant() -> str | None:
    """A Foundry Local GPU variant to check: downloaded ones first, then CUDA ones, then the smallest."""
    from core.engines.foundry_local import FoundryLocalEngine

    engine = FoundryLocalEngine()
    engine.wait_for_catalog(timeout=60)
    variants = [m for m in engine.list_models() if gpu.is_gpu_variant(m.device, m.model_id)]
    if not variants:
        return None
    best = min(variants, key=lambda m: (m.state not in ("cached", "loaded"),
                                        m.execution_provider != "CUDAExecutionProvider", m.size_mb or float("inf")))
    return best.ref


def measure(ref: str, db: Path, rounds: int, max_tokens: int) -> tuple[ModelResult, dict]:
    """One short run of ``ref`` through the real runner; the model's record and the run's environment."""
    from core.benchmark.runner import create_run, execute_run
    from core.benchmark.settings import BenchmarkSettings
    from store import Store

    store = Store(db)
    settings = BenchmarkSettings(models=[ref], prompts=PROMPTS, warmup=1, rounds=rounds,
                                 max_output_tokens=max_tokens, temperature=0.0)
    run = execute_run(store, create_run(store, settings), _Quiet())
    return run.models[ref], run.environment


def report(ref: str, record: ModelResult, environment: dict) -> list[str]:
    """The check in a few lines; a figure NVML could not give says so."""
    def figure(value: float | None, unit: str) -> str:
        return "no reading" if value is None else f"{value:,.1f}{unit}"

    tps = ((record.summary or {}).get("metrics") or {}).get("decode_tps", {}).get("mean")
    verdict = {True: "CPU FALLBACK", False: "ran on the GPU", None: "not checkable"}[record.gpu_fallback_suspected]
    return [
        f"GPUs (NVML): {'; '.join(environment.get('gpus') or []) or 'none'}",
        f"Model: {ref} ({record.status}{': ' + record.error if record.error else ''})",
        f"Device: {record.device or 'not reported'} · "
        f"execution provider: {record.execution_provider or 'not reported'}",
        f"GPU memory added at load: {figure(record.gpu_load_mb, ' MB')} · peak added while answering: "
        f"{figure(record.gpu_peak_mb, ' MB')}",
        f"GPU utilisation while answering: mean {figure(record.gpu_util_mean_pct, '%')}, "
        f"max {figure(record.gpu_util_max_pct, '%')}",
        f"GPU energy while answering: {figure(record.gpu_energy_j, ' J')} · decode tokens/s (mean): "
        + ("not measured" if tps is None else f"{tps:,.1f}"),
        f"Fallback verdict: {verdict}. {record.gpu_fallback_note or 'The model is not a GPU variant.'}",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="SOURCE:MODEL_ID to check (default: a Foundry Local GPU variant)")
    parser.add_argument("--db", type=Path, help="the store to run against (default: a throwaway one)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--max-tokens", type=int, default=64)
    args = parser.parse_args()
    if not gpu.gpus():
        print(NO_GPU)
        return 0
    ref = args.model or pick_variant()
    if ref is None:
        print(f"error: no {FOUNDRY_SOURCE} GPU variant is listed for this machine; pass --model SOURCE:MODEL_ID",
              file=sys.stderr)
        return 1
    print(f"Checking {ref} ({args.rounds} rounds x {len(PROMPTS)} prompts, up to {args.max_tokens} tokens)...",
          file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        record, environment = measure(ref, args.db or Path(folder) / "pickwise.json", args.rounds, args.max_tokens)
    print("\n".join(report(ref, record, environment)))
    return 0 if record.status == "completed" else 1


if __name__ == "__main__":
    raise SystemExit(main())

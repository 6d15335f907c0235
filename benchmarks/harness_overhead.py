"""How much does Pickwise's measuring cost? Tokens/s and TTFT through Pickwise against bare loops.

Three ways to generate with the same model, prompt and settings (temperature 0, same max tokens):
1. Pickwise: ``FoundryLocalEngine.stream_chat`` fed through ``core.benchmark.metrics.SampleMeter``;
2. a bare Foundry Local SDK loop (fresh ``ChatSession``, stream, usage) with its own timestamps;
3. onnxruntime-genai's raw generation loop (in ``.venv-convert``, a separate process).
1 and 2 alternate request by request in one process, so drift hits both alike.
Targets: Pickwise tokens/s >= 0.98 × bare SDK, TTFT overhead <= 1 ms.

    .venv/bin/python benchmarks/harness_overhead.py [--reps 7] [--max-tokens 200]
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from foundry_local_sdk import ChatSession, MessageItem, Request, RequestOptions, SearchOptions, TextItem  # noqa: E402

from core.benchmark.environment import machine_environment  # noqa: E402
from core.benchmark.metrics import SampleMeter  # noqa: E402
from core.engines.base import ChatParams  # noqa: E402
from core.engines.foundry_local import get_foundry_engine  # noqa: E402
from core.models.default_model.pipeline import DEFAULT_MODEL_ID  # noqa: E402
from core.paths import REPO_ROOT  # noqa: E402

PROMPT = "Write a detailed paragraph about why running language models locally protects privacy."


def pickwise_request(engine, model_id: str, max_tokens: int) -> dict:
    params = ChatParams(max_output_tokens=max_tokens, temperature=0.0, seed=42)
    meter = SampleMeter(time.perf_counter())
    for event in engine.stream_chat(model_id, [{"role": "user", "content": PROMPT}], params):
        meter.add(event)
    timing = meter.result()
    return {"ttft_s": timing.ttft_s, "tokens": timing.completion_tokens, "tps": timing.decode_tps}


def bare_sdk_request(model, max_tokens: int) -> dict:
    options = RequestOptions(search=SearchOptions(temperature=0.0, max_output_tokens=max_tokens, seed=42))
    first = last = None
    t_send = time.perf_counter()
    with ChatSession(model) as session, Request() as request:
        session.set_options(options)
        session.set_streaming(True)
        request.add_item(MessageItem.user(PROMPT))
        with session.process_streaming_request(request) as stream:
            for item in stream:
                if isinstance(item, TextItem) and item.text:
                    last = time.perf_counter()
                    first = first or last
            with stream.final_response as final:
                n = final.get_usage().completion_tokens
    return {"ttft_s": first - t_send, "tokens": n, "tps": (n - 1) / (last - first)}


def raw_genai(model_dir: Path, max_tokens: int, reps: int) -> list[dict] | str:
    python = REPO_ROOT / ".venv-convert" / "bin" / "python"
    if not python.exists():
        return "skipped: .venv-convert is missing (run `make model` first)"
    out = subprocess.run([str(python), str(Path(__file__).with_name("raw_genai_loop.py")), "--model", str(model_dir),
                          "--prompt", PROMPT, "--max-tokens", str(max_tokens), "--reps", str(reps)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        return f"failed: {out.stderr.strip().splitlines()[-1] if out.stderr.strip() else out.returncode}"
    return json.loads(out.stdout)


def median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--reps", type=int, default=7)
    parser.add_argument("--max-tokens", type=int, default=200)
    args = parser.parse_args()

    engine = get_foundry_engine()
    engine.load(DEFAULT_MODEL_ID)
    model = engine._find(DEFAULT_MODEL_ID)  # the same SDK model object the engine uses
    pickwise_request(engine, DEFAULT_MODEL_ID, 8)  # warm both paths
    bare_sdk_request(model, 8)
    pickwise, bare = [], []
    for rep in range(args.reps):  # alternate which path goes first, so order effects cancel out
        runs = [lambda: pickwise.append(pickwise_request(engine, DEFAULT_MODEL_ID, args.max_tokens)),
                lambda: bare.append(bare_sdk_request(model, args.max_tokens))]
        for run in runs if rep % 2 == 0 else runs[::-1]:
            run()
    ratios = [p["tps"] / b["tps"] for p, b in zip(pickwise, bare, strict=True)]
    ttft_overhead_ms = [(p["ttft_s"] - b["ttft_s"]) * 1000 for p, b in zip(pickwise, bare, strict=True)]
    raw = raw_genai(engine.model_path(DEFAULT_MODEL_ID), args.max_tokens, args.reps)

    env = machine_environment()
    print(f"Machine: {env['cpu']}, {env['cores_logical']} cores, {env['ram_gb']} GB RAM, {env['os']}")
    print(f"Model: foundry-local:{DEFAULT_MODEL_ID}; {args.reps} interleaved requests each, "
          f"max {args.max_tokens} tokens, temperature 0")
    for name, rows in (("Pickwise", pickwise), ("Bare SDK", bare)):
        print(f"{name:10s} tokens/s median {median(rows, 'tps'):8.1f}   "
              f"TTFT median {median(rows, 'ttft_s') * 1000:7.1f} ms")
    print(f"Pickwise / bare SDK tokens/s: median ratio {statistics.median(ratios):.3f} "
          f"(min {min(ratios):.3f}, max {max(ratios):.3f}; target >= 0.98)")
    print(f"TTFT added by Pickwise: median {statistics.median(ttft_overhead_ms):+.2f} ms (target <= 1 ms)")
    if isinstance(raw, str):
        print(f"Raw onnxruntime-genai: {raw}")
    else:
        print(f"{'Raw genai':10s} tokens/s median {median(raw, 'tps'):8.1f}   "
              f"TTFT median {median(raw, 'ttft_s') * 1000:7.1f} ms")
        print(f"Bare SDK / raw onnxruntime-genai tokens/s: {median(bare, 'tps') / median(raw, 'tps'):.3f}")


if __name__ == "__main__":
    main()

"""The floor for harness overhead: onnxruntime-genai's own generation loop, no SDK, no Pickwise.

Runs inside ``.venv-convert`` (which has the ``onnxruntime_genai`` Python package); called by
``benchmarks/harness_overhead.py``, which prints the comparison. Output: one JSON list on stdout.
"""

from __future__ import annotations

import argparse
import json
import time

import onnxruntime_genai as og


def one_request(model: og.Model, tokenizer: og.Tokenizer, prompt: str, max_tokens: int) -> dict:
    messages = json.dumps([{"role": "user", "content": prompt}])
    t_send = time.perf_counter()
    ids = tokenizer.encode(tokenizer.apply_chat_template(messages, add_generation_prompt=True))
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=len(ids) + max_tokens, do_sample=False)
    generator = og.Generator(model, params)
    generator.append_tokens(ids)
    stream = tokenizer.create_stream()
    first = last = None
    n = 0
    while not generator.is_done():
        generator.generate_next_token()
        stream.decode(generator.get_next_tokens()[0])
        last = time.perf_counter()
        first = first or last
        n += 1
    return {"ttft_s": first - t_send, "tokens": n, "tps": (n - 1) / (last - first) if n > 1 else None}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", required=True)
    parser.add_argument("--prompt", required=True)
    parser.add_argument("--max-tokens", type=int, default=200)
    parser.add_argument("--reps", type=int, default=5)
    args = parser.parse_args()
    model = og.Model(args.model)
    tokenizer = og.Tokenizer(model)
    one_request(model, tokenizer, args.prompt, 8)  # warm-up
    print(json.dumps([one_request(model, tokenizer, args.prompt, args.max_tokens) for _ in range(args.reps)]))


if __name__ == "__main__":
    main()

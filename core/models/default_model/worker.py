"""What the conversion venv runs: ``python -m core.models.default_model.worker export-gguf|smoke``.

It imports only the standard library at module level (torch, transformers and onnxruntime-genai inside
each command), so the conversion venv runs it without the app's dependencies; the packages above it
import nothing either.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path


def export_gguf(gguf: Path, out: Path) -> None:
    """Write the GGUF's model and tokenizer as a Hugging Face folder (de-quantized, float32) the builder reads."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(str(gguf.parent), gguf_file=gguf.name)
    model = AutoModelForCausalLM.from_pretrained(str(gguf.parent), gguf_file=gguf.name, dtype=torch.float32)
    # A model loaded from GGUF keeps a quantization_config that makes it unserializable:
    # copy the (already de-quantized) weights into a plain model of the same architecture.
    config = model.config
    if hasattr(config, "quantization_config"):
        del config.quantization_config
    clean = type(model)(config)
    missing, unexpected = clean.load_state_dict(model.state_dict(), strict=False)
    if [k for k in missing if "lm_head" not in k] or unexpected:
        raise SystemExit(f"weight mismatch: missing={missing} unexpected={unexpected}")
    if not tokenizer.chat_template:
        raise SystemExit("the GGUF carries no chat template")
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(out))
    clean.save_pretrained(str(out))
    print(f"exported {type(model).__name__} to {out}")


def smoke_generate(model_dir: Path) -> None:
    """Generate a few tokens from a built folder: it loads, renders its chat template and runs."""
    import onnxruntime_genai as og

    model = og.Model(str(model_dir))
    tokenizer = og.Tokenizer(model)
    messages = json.dumps([{"role": "user", "content": "Say hello."}])
    prompt = tokenizer.apply_chat_template(messages=messages, add_generation_prompt=True)
    params = og.GeneratorParams(model)
    params.set_search_options(max_length=len(tokenizer.encode(prompt)) + 8, do_sample=False)
    generator = og.Generator(model, params)
    generator.append_tokens(tokenizer.encode(prompt))
    count = 0
    while not generator.is_done() and count < 8:
        generator.generate_next_token()
        count += 1
    print(f"smoke test: generated {count} tokens")
    if count == 0:
        raise SystemExit("the model generated nothing")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m core.models.default_model.worker")
    sub = parser.add_subparsers(dest="command", required=True)
    export = sub.add_parser("export-gguf", help="GGUF -> Hugging Face folder")
    export.add_argument("--gguf", type=Path, required=True)
    export.add_argument("--out", type=Path, required=True)
    smoke = sub.add_parser("smoke", help="generate a few tokens with onnxruntime-genai")
    smoke.add_argument("--model", type=Path, required=True)
    args = parser.parse_args(argv)
    if args.command == "export-gguf":
        export_gguf(args.gguf, args.out)
    else:
        smoke_generate(args.model)


if __name__ == "__main__":
    main()

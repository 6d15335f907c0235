"""Test-only: a random-weight tiny Llama with a GGUF's tokenizer, run in the conversion venv by ``tests/tiny_model.py``.

Like ``core.models.default_model.worker``, it imports only the standard library at module level.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def tiny_hf(tokenizer_gguf: Path, out: Path, spec_json: str) -> None:
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    spec = json.loads(spec_json)
    seed = int(spec.pop("seed"))
    special_ids = int(spec.pop("special_token_ids_below"))
    tokenizer = AutoTokenizer.from_pretrained(str(tokenizer_gguf.parent), gguf_file=tokenizer_gguf.name)
    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,
        **spec,
    )
    model = LlamaForCausalLM(config)
    with torch.no_grad():
        for param in model.parameters():
            if param.dim() > 1:
                param.normal_(0.0, 0.5)
        # Random weights never choose a zero row over ~49k random logits, so the tiny model never
        # emits an end-of-turn token and always runs to max_output_tokens ("length").
        model.lm_head.weight[:special_ids].zero_()
    out.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(str(out))
    model.save_pretrained(str(out))
    print(f"tiny model: {sum(p.numel() for p in model.parameters())} parameters -> {out}")


def main() -> None:
    parser = argparse.ArgumentParser(prog="python tests/tiny_model_worker.py")
    parser.add_argument("--tokenizer-gguf", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--spec", required=True, help="JSON: LlamaConfig fields + seed")
    args = parser.parse_args()
    tiny_hf(args.tokenizer_gguf, args.out, args.spec)


if __name__ == "__main__":
    main()

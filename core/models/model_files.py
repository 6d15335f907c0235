"""What a path a user brings holds: an ONNX Runtime GenAI folder, a Hugging Face folder, or a GGUF file.

``inspect_model_path`` looks at files only (config.json, the tokenizer files, a GGUF's header), in the calling
process and in milliseconds, so every reason a conversion would fail late (an architecture the ONNX builder
cannot convert, no tokenizer, no chat template, not a GGUF file at all) is one sentence before it starts. The
conversion itself checks again (the builder and the export refuse the same things), so this list can lag the
converter without converting anything wrong; it can only refuse early.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from core.engines.base import EngineError
from core.models.gguf_header import NotGguf, read_metadata

Kind = Literal["onnx-genai", "huggingface", "gguf"]

# Text chat architectures the pinned ONNX Runtime GenAI builder (onnxruntime-genai==0.18.0 in
# requirements-convert.txt, models/builder.py) converts from a Hugging Face folder.
BUILDER_ARCHITECTURES = frozenset({
    "ChatGLMForConditionalGeneration", "ChatGLMModel", "Ernie4_5ForCausalLM", "GemmaForCausalLM",
    "Gemma2ForCausalLM", "Gemma3ForCausalLM", "GptOssForCausalLM", "GraniteForCausalLM", "InternLM2ForCausalLM",
    "Lfm2ForCausalLM", "LlamaForCausalLM", "MistralForCausalLM", "NemotronForCausalLM", "OlmoForCausalLM",
    "PhiForCausalLM", "Phi3ForCausalLM", "Phi3SmallForCausalLM", "PhiMoEForCausalLM", "Qwen2ForCausalLM",
    "Qwen3ForCausalLM", "SmolLM3ForCausalLM",
})
# GGUF architectures transformers (5.24, its GGUF loader) reads AND the builder above converts.
GGUF_ARCHITECTURES = frozenset({"llama", "mistral", "qwen2", "qwen3", "phi3", "gemma2", "gemma3", "nemotron",
                                "lfm2", "gpt_oss"})
_GGUF_KEYS = frozenset({"general.architecture", "general.name", "tokenizer.ggml.model", "tokenizer.chat_template"})
_WEIGHT_PATTERNS = ("*.safetensors", "pytorch_model*.bin")
_TOKENIZER_FILES = ("tokenizer.json", "tokenizer.model")


class ModelPathError(EngineError):
    """A path that cannot become a Pickwise model; the message is one sentence saying what to do."""


@dataclass(frozen=True)
class ModelPath:
    """A path a user brought, and what it holds."""

    path: Path
    kind: Kind
    architecture: str | None  # config.json's architectures[0], or the GGUF's general.architecture
    size_mb: float  # the files the conversion reads (the whole folder, or the GGUF file)
    name_hint: str  # a name to register it under when the user gives none

    @property
    def needs_conversion(self) -> bool:
        return self.kind != "onnx-genai"


def inspect_model_path(raw: str | Path) -> ModelPath:
    """What ``raw`` holds; ``ModelPathError`` with one sentence when it is none of the three kinds, or when a
    conversion could not succeed."""
    path = Path(raw).expanduser()
    if not path.exists():
        raise ModelPathError(f"{path} does not exist; give a model folder or a .gguf file.")
    path = path.resolve()
    if path.is_file():
        return _gguf(path)
    if (path / "genai_config.json").is_file():
        return ModelPath(path, "onnx-genai", None, _tree_mb(path), path.name)
    if (path / "config.json").is_file():
        return _huggingface(path)
    ggufs = sorted(path.glob("*.gguf"))
    if len(ggufs) == 1:
        return _gguf(ggufs[0])
    raise ModelPathError(
        f"{path} holds neither an ONNX Runtime GenAI model (genai_config.json) nor a Hugging Face model "
        "(config.json) nor one .gguf file; point at the model's own folder or file.")


def _gguf(path: Path) -> ModelPath:
    try:
        meta = read_metadata(path, _GGUF_KEYS)
    except NotGguf as exc:
        raise ModelPathError(f"{path} is not a GGUF model file ({exc}); give a .gguf file or a model folder.") from exc
    except OSError as exc:
        raise ModelPathError(f"{path} cannot be read ({exc.strerror}); check its permissions.") from exc
    arch = meta.get("general.architecture")
    if arch not in GGUF_ARCHITECTURES:
        raise ModelPathError(
            f"{path.name} is a {arch or 'unnamed'} model, an architecture Pickwise cannot convert from GGUF; "
            f"supported: {', '.join(sorted(GGUF_ARCHITECTURES))}.")
    if not meta.get("tokenizer.ggml.model"):
        raise ModelPathError(f"{path.name} carries no tokenizer; use a GGUF exported with its tokenizer "
                             "(llama.cpp's convert script keeps it).")
    if not meta.get("tokenizer.chat_template"):
        raise ModelPathError(f"{path.name} carries no chat template, so it cannot run chats; use an instruct "
                             "(chat) model's GGUF.")
    return ModelPath(path, "gguf", arch, path.stat().st_size / 2**20, str(meta.get("general.name") or path.stem))


def _huggingface(path: Path) -> ModelPath:
    try:
        config = json.loads((path / "config.json").read_text(encoding="utf-8"))
        arch = (config.get("architectures") or [None])[0]
    except (OSError, ValueError, AttributeError, IndexError, TypeError) as exc:
        raise ModelPathError(f"{path / 'config.json'} cannot be read as JSON ({exc}); restore the model's own "
                             "config.json.") from exc
    if arch not in BUILDER_ARCHITECTURES:
        raise ModelPathError(
            f"{path.name} is a {arch or 'model with no architectures entry'}, which the ONNX builder cannot "
            f"convert; supported: {', '.join(sorted(BUILDER_ARCHITECTURES))}.")
    if not any(next(path.glob(pattern), None) for pattern in _WEIGHT_PATTERNS):
        raise ModelPathError(f"{path} has a config.json but no weights (*.safetensors or pytorch_model*.bin); "
                             "copy the whole model folder.")
    if not any((path / name).is_file() for name in _TOKENIZER_FILES):
        raise ModelPathError(f"{path} has no tokenizer (tokenizer.json or tokenizer.model); copy the model's "
                             "tokenizer files into the folder.")
    if not _has_chat_template(path):
        raise ModelPathError(f"{path} has no chat template (chat_template.jinja or tokenizer_config.json "
                             "'chat_template'), so it cannot run chats; use the instruct model's tokenizer files.")
    return ModelPath(path, "huggingface", arch, _tree_mb(path), path.name)


def _has_chat_template(path: Path) -> bool:
    if (path / "chat_template.jinja").is_file():
        return True
    try:
        config = json.loads((path / "tokenizer_config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    template = config.get("chat_template") if isinstance(config, dict) else None
    return bool(template and (isinstance(template, str | list)))


def _tree_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20

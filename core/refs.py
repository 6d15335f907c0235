"""Model references: ``SOURCE:MODEL_ID`` everywhere (CLI, config files, store).

The split is at the *first* colon, because Foundry Local ids carry their own version colon
(``foundry-local:qwen2.5-0.5b-instruct-generic-cpu:4``).
"""

from __future__ import annotations

from dataclasses import dataclass

FOUNDRY_SOURCE = "foundry-local"
# Foundry Local's web service (``FOUNDRY_LOCAL_ENDPOINT``, or one answering on its usual port): an
# OpenAI-compatible source offered without ``endpoints add`` (``core.models.foundry_service``). Its ids
# carry the same version colon (``foundry-local-service:qwen2.5-0.5b-instruct-generic-cpu:4``).
FOUNDRY_SERVICE_SOURCE = "foundry-local-service"


@dataclass(frozen=True)
class ModelRef:
    source: str
    model_id: str

    def __str__(self) -> str:
        return f"{self.source}:{self.model_id}"


def parse_ref(text: str) -> ModelRef:
    """Parse ``SOURCE:MODEL_ID``; raise ``ValueError`` with an example when malformed."""
    source, sep, model_id = text.strip().partition(":")
    if not sep or not source.strip() or not model_id.strip():
        raise ValueError(
            f"Model reference {text!r} must look like SOURCE:MODEL_ID, "
            f"e.g. '{FOUNDRY_SOURCE}:pickwise-smollm2-135m:1' or 'my-ollama:llama3.2'."
        )
    return ModelRef(source.strip(), model_id.strip())


def is_remote(ref: str) -> bool:
    """The model runs outside Pickwise's processes (every source but in-process Foundry Local): its memory,
    disk and device are not Pickwise's to measure, and every page says so in the same words."""
    return parse_ref(ref).source != FOUNDRY_SOURCE

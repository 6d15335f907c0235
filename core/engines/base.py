"""The one interface every inference engine implements.

Pickwise measures engines, so the contract is about *when* things happen as much as *what*:
``stream_chat`` yields each text delta stamped with ``time.perf_counter()`` at arrival, then
exactly one ``StreamEnd`` carrying token usage and where that count came from. Timing maths
lives in ``core.benchmark.metrics``; engines only report raw arrival times.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

TokenSource = Literal["engine", "tokenizer", "chunks"]
ModelState = Literal["available", "cached", "loaded", "remote"]


class EngineError(Exception):
    """A failure worth showing to a user as-is: the message says what happened and what to do."""


class EngineUnreachable(EngineError):
    """The engine or endpoint could not be contacted at all."""


class EngineTimeout(EngineError):
    """The engine accepted the request but did not answer in time."""


class EngineMisconfigured(EngineError):
    """The source's stored settings cannot be used (e.g. credentials in its URL); re-adding it fixes it."""


class ModelNotFound(EngineError):
    """The model id is unknown to this source."""


@dataclass(frozen=True)
class ModelEntry:
    """One model as a source lists it; ``ref`` is the app-wide ``SOURCE:MODEL_ID``."""

    source: str
    model_id: str
    display_name: str = ""
    state: ModelState = "available"
    device: str | None = None  # "CPU", "GPU", "NPU" or None when the source does not say
    execution_provider: str | None = None
    size_mb: float | None = None
    license: str | None = None
    task: str | None = None
    family: str | None = None  # variants of one model share it (Foundry Local's alias); None when not known

    @property
    def ref(self) -> str:
        return f"{self.source}:{self.model_id}"


@dataclass(frozen=True)
class LoadResult:
    """What loading a model cost and where it actually landed."""

    seconds: float
    device: str | None
    execution_provider: str | None
    already_loaded: bool = False


@dataclass(frozen=True)
class ChatParams:
    """Generation settings for one request. ``max_output_tokens`` is always sent.

    ``json_schema``: constrain the reply to JSON valid under this schema (constrained decoding), for
    replies a program must read, such as a judge's verdict. An engine that cannot apply it answers
    unconstrained and says so in ``StreamEnd.constrained``, so the caller parses the text instead.
    """

    max_output_tokens: int = 256
    temperature: float = 0.0
    seed: int | None = None
    timeout_s: float = 120.0
    json_schema: dict[str, Any] | None = None


@dataclass(frozen=True)
class TextDelta:
    """A piece of generated text, stamped with its arrival time (``time.perf_counter()``)."""

    text: str
    at: float
    reasoning: bool = False


@dataclass(frozen=True)
class StreamEnd:
    """The last event of every stream: usage (or an estimate, flagged) and why generation stopped."""

    at: float
    finish_reason: str | None
    prompt_tokens: int | None
    completion_tokens: int | None
    token_source: TokenSource
    constrained: bool = False  # generated under ``ChatParams.json_schema`` (the engine applied it)


StreamEvent = TextDelta | StreamEnd
ProgressCallback = Callable[[float], None]  # percent 0..100


@runtime_checkable
class Engine(Protocol):
    """A source of models: Foundry Local in-process, or an OpenAI-compatible endpoint."""

    source: str
    # Optional attribute ``runs_in_process: bool`` (default False): True when the model runs inside
    # this process, so its resident memory can be attributed to the model (see ``core.benchmark.runner``).
    # Optional methods ``is_cached(model_id) -> bool`` (False: ``prepare`` downloads it) and
    # ``family(model_id) -> str | None`` (the family its variants share): see ``core.benchmark.model_process``.

    def list_models(self) -> list[ModelEntry]:
        """Models this source can serve now (never blocks on the network for long)."""
        ...

    def prepare(
        self,
        model_id: str,
        progress: ProgressCallback | None = None,
        cancel: threading.Event | None = None,
    ) -> None:
        """Make the model available locally (download); a no-op where nothing needs fetching."""
        ...

    def load(self, model_id: str) -> LoadResult:
        """Load the model into memory, timed; a no-op (``already_loaded``) for remote endpoints."""
        ...

    def unload(self, model_id: str) -> None:
        """Release the model's memory; a no-op for remote endpoints."""
        ...

    def stream_chat(
        self, model_id: str, messages: list[dict[str, str]], params: ChatParams
    ) -> Iterator[StreamEvent]:
        """Yield ``TextDelta`` events as they arrive, then exactly one ``StreamEnd``.

        Raises ``EngineError`` (or a subclass) with an actionable message on failure.
        """
        ...

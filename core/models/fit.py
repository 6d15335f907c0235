"""Will it fit? The memory a model will need, estimated before it is loaded, against the memory that is free.

    needed = weights (its files on disk) + KV cache at the context it loads with
             + the logits of the longest prompt + runtime overhead

The KV cache is the engine's own estimate (``FoundryLocalEngine.context_facts``: onnxruntime-genai sizes its
buffers for the whole context at the first request). The overhead is what the runtime adds beyond both
(session arenas, activations, the tokenizer), calibrated on the default model: its child process added 572 MB
at peak over 44-token prompts with 86 MB of weights, a 360 MB KV cache and 8 MB of prompt logits
(BENCHMARKS.md, fit_check.py), so 118 MB. Reading a prompt produces logits for each of its tokens (the engine's
``logits_mb_per_token``: 0.19 MB for the default model), so a 2,400-token prompt adds ~450 MB; the prompts'
tokens are estimated from their length (``prompt_tokens``), before any tokenizer runs. The estimate is
of the memory the model *adds* to its process, the figure a run measures as ``rss_peak_mb``, so the two are
stored side by side and ``benchmarks/fit_check.py`` reports the error.

Free memory is psutil's available RAM, or, for a model on a GPU, the free GPU memory the caller read (NVML;
``gpu_free_mb``). A model that does not fit gets a sentence with the numbers; nothing is refused: the product
owner decides.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import psutil

from core.engines.base import Engine, EngineError

if TYPE_CHECKING:
    from core.models.sources import Sources

RUNTIME_OVERHEAD_MB = 118.0  # the default model's peak added, less its weights, KV cache and prompt logits (above)
CHARS_PER_TOKEN = 4  # English text; the built-in sets run 3.5 to 5.3 characters a token on the default model
TEMPLATE_TOKENS = 32  # what the chat template wraps around a prompt
_BYTES_PER_MB = 2**20


@dataclass(frozen=True)
class FitEstimate:
    """The memory a model needs, what it is made of, and what it was compared with (MB = 2**20 bytes)."""

    weights_mb: float | None
    kv_cache_mb: float | None
    prompt_mb: float  # logits of the longest prompt (0 when its length or the vocabulary is unknown)
    overhead_mb: float
    context_length: int | None
    needed_mb: float | None  # None when the weights' size is unknown
    free_mb: float
    against: str  # "RAM" or "GPU memory"

    @property
    def fits(self) -> bool | None:
        return None if self.needed_mb is None else self.needed_mb <= self.free_mb

    def warning(self, ref: str) -> str | None:
        """One sentence with the numbers when it does not fit, else None."""
        if self.fits is not False:
            return None
        kv = f"{self.kv_cache_mb:,.0f} MB KV cache at {self.context_length:,} tokens" if self.kv_cache_mb else \
            "an unknown KV cache"
        prompt = f" + {self.prompt_mb:,.0f} MB reading the longest prompt" if self.prompt_mb else ""
        return (f"{ref} may not fit: it needs about {self.needed_mb:,.0f} MB ({self.weights_mb:,.0f} MB weights + "
                f"{kv}{prompt} + {self.overhead_mb:,.0f} MB runtime) and {self.free_mb:,.0f} MB of {self.against} "
                "is free; it may fail to load or swap. You can still run it.")

    def as_record(self) -> dict[str, Any]:
        """The run record's fields (``ModelResult.memory_estimate_mb`` and ``memory_estimate``)."""
        return {"memory_estimate_mb": self.needed_mb, "memory_estimate": asdict(self)}


def prompt_tokens(prompts: Iterable[str]) -> int | None:
    """The longest prompt's tokens, estimated from its length with its chat template (None for no prompts)."""
    longest = max((len(text) for text in prompts), default=None)
    return None if longest is None else -(-longest // CHARS_PER_TOKEN) + TEMPLATE_TOKENS


def estimate_fit(weights_mb: float | None, kv_cache_mb: float | None, context_length: int | None, *,
                 prompt_mb: float = 0.0, on_gpu: bool = False, gpu_free_mb: float | None = None,
                 available_ram_mb: float | None = None) -> FitEstimate:
    """The estimate from its parts. On a GPU with a free-memory reading, it is compared with that; otherwise
    with available RAM (read now unless given)."""
    needed = None if weights_mb is None else weights_mb + (kv_cache_mb or 0.0) + prompt_mb + RUNTIME_OVERHEAD_MB
    if on_gpu and gpu_free_mb is not None:
        free, against = gpu_free_mb, "GPU memory"
    else:
        free = available_ram_mb if available_ram_mb is not None else psutil.virtual_memory().available / _BYTES_PER_MB
        against = "RAM"
    return FitEstimate(weights_mb, kv_cache_mb, prompt_mb, RUNTIME_OVERHEAD_MB, context_length, needed, free, against)


def estimate_model(engine: Engine, model_id: str, *, prompts: Iterable[str] = (), on_gpu: bool = False,
                   gpu_free_mb: float | None = None) -> FitEstimate | None:
    """The estimate for a model an in-process engine will load to answer ``prompts`` (None for an endpoint: its
    memory is not this machine's to count, or when the engine cannot say). ``on_gpu``: the model runs on a GPU."""
    disk = getattr(engine, "disk_mb", None)  # optional on an Engine (decimal MB, from file sizes)
    context = getattr(engine, "context_facts", None)
    if not getattr(engine, "runs_in_process", False) or disk is None or context is None:
        return None
    try:
        disk_mb, facts = disk(model_id), context(model_id)
    except EngineError:
        return None
    weights = None if disk_mb is None else disk_mb * 1_000_000 / _BYTES_PER_MB
    tokens = prompt_tokens(prompts)
    prompt_mb = tokens * facts.logits_mb_per_token if tokens and facts.logits_mb_per_token else 0.0
    return estimate_fit(weights, facts.kv_cache_mb, facts.context_length, prompt_mb=prompt_mb, on_gpu=on_gpu,
                        gpu_free_mb=gpu_free_mb)


def fit_warnings(sources: Sources, refs: Iterable[str], *, prompts: Iterable[str] = (),
                 gpu_free_mb: float | None = None) -> list[str]:
    """One sentence per model of ``refs`` that may not fit to answer ``prompts`` (models that cannot be resolved
    are the run's to report, not this notice's)."""
    prompts = list(prompts)
    warnings = []
    for ref in refs:
        try:
            engine, model_id = sources.resolve(ref)
        except EngineError:
            continue
        fit = estimate_model(engine, model_id, prompts=prompts, gpu_free_mb=gpu_free_mb)
        warning = fit.warning(ref) if fit else None
        if warning:
            warnings.append(warning)
    return warnings

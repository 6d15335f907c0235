"""A test engine serving ``foundry-local`` with one model family in two variants: the ground truth for variants.

A benchmark child uses it only when ``PICKWISE_TEST_ENGINE=tests.variant_engine:make`` is set
(``core.benchmark.model_process``); nothing in the product sets that variable. It lists what Foundry
Local's catalog lists for a machine with a GPU:

* ``tiny-variant-generic-cpu:1`` (CPU, already cached) and ``tiny-variant-cuda-gpu:1`` (GPU, CUDA, not
  downloaded yet), both of family ``tiny-variant``;
* ``broken-download-generic-gpu:1`` (family ``broken-download``), whose download fails half-way.

A download reports ``DOWNLOAD_STEPS`` percentages, ``STEP_S`` apart, and stops within one step when
cancelled. Answers stream ``TOKENS`` with known delays: the GPU variant is ``GPU_SPEEDUP`` times faster.
Each child process is a fresh engine, so a variant not cached is downloaded again by every run.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

from core.engines.base import (
    ChatParams,
    EngineError,
    LoadResult,
    ModelEntry,
    ProgressCallback,
    StreamEnd,
    StreamEvent,
    TextDelta,
)
from core.refs import FOUNDRY_SOURCE

FAMILY = "tiny-variant"
CPU_ID = "tiny-variant-generic-cpu:1"
GPU_ID = "tiny-variant-cuda-gpu:1"
BROKEN_ID = "broken-download-generic-gpu:1"
DOWNLOAD_STEPS = (0.0, 25.0, 50.0, 75.0, 100.0)
STEP_S = 0.15
FAILS_AT = 50.0  # the broken variant's download fails after reporting this
TOKENS = ["Hello", " from", " a", " variant"]
CPU_TOKEN_S = 0.01  # delay before each token on the CPU variant
GPU_SPEEDUP = 2.0

_ENTRIES = [
    ModelEntry(FOUNDRY_SOURCE, CPU_ID, "Tiny variant (CPU)", "cached", "CPU", "CPUExecutionProvider",
               family=FAMILY),
    ModelEntry(FOUNDRY_SOURCE, GPU_ID, "Tiny variant (CUDA)", "available", "GPU", "CUDAExecutionProvider",
               family=FAMILY),
    ModelEntry(FOUNDRY_SOURCE, BROKEN_ID, "Broken download", "available", "GPU", "CUDAExecutionProvider",
               family="broken-download"),
]


class VariantEngine:
    source = FOUNDRY_SOURCE
    runs_in_process = True

    def __init__(self) -> None:
        self._entries = {e.model_id: e for e in _ENTRIES}
        self._cached = {e.model_id for e in _ENTRIES if e.state == "cached"}

    def list_models(self) -> list[ModelEntry]:
        return list(self._entries.values())

    def _entry(self, model_id: str) -> ModelEntry:
        if model_id not in self._entries:
            raise EngineError(f"No model {model_id!r} in the test catalog.")
        return self._entries[model_id]

    def family(self, model_id: str) -> str | None:
        return self._entry(model_id).family

    def is_cached(self, model_id: str) -> bool:
        return model_id in self._cached

    def prepare(self, model_id: str, progress: ProgressCallback | None = None,
                cancel: threading.Event | None = None) -> None:
        self._entry(model_id)
        if model_id in self._cached:
            return
        for percent in DOWNLOAD_STEPS:
            if cancel is not None and cancel.wait(STEP_S):
                raise EngineError(f"Download of {model_id} was cancelled.")
            if cancel is None:
                time.sleep(STEP_S)
            if progress:
                progress(percent)
            if model_id == BROKEN_ID and percent >= FAILS_AT:
                raise EngineError(f"Downloading {model_id} failed: the connection was reset. Check the network "
                                  "and free disk space, then retry.")
        self._cached.add(model_id)

    def load(self, model_id: str) -> LoadResult:
        entry = self._entry(model_id)
        if model_id not in self._cached:
            raise EngineError(f"{model_id} is not downloaded yet: prepare (download) it before loading.")
        return LoadResult(0.001, entry.device, entry.execution_provider)

    def unload(self, model_id: str) -> None:
        return None

    def stream_chat(self, model_id: str, messages: list[dict[str, str]], params: ChatParams) -> Iterator[StreamEvent]:
        delay = CPU_TOKEN_S / (GPU_SPEEDUP if self._entry(model_id).device == "GPU" else 1.0)
        for token in TOKENS:
            time.sleep(delay)
            yield TextDelta(token, time.perf_counter())
        yield StreamEnd(time.perf_counter(), "stop", 3, len(TOKENS), "engine")


def make() -> VariantEngine:
    return VariantEngine()

"""A test engine that crashes its own process on purpose: the ground truth for crash isolation.

A benchmark child process uses it only when ``PICKWISE_TEST_ENGINE=tests.aborting_engine:make`` is set
(``core.benchmark.model_process``); nothing in the product sets that variable. It serves the source
``aborting`` and reads its behaviour from the model id, ``MODE-after-N``: answer N requests, then on
request N+1 die the way a native engine does (``abort``: ``os.abort()``, SIGABRT, as onnxruntime does on
a failed check; ``segv``: SIGSEGV). Each answer streams two deltas and exact usage.
"""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Iterator

from core.engines.base import ChatParams, LoadResult, ModelEntry, StreamEnd, StreamEvent, TextDelta

SOURCE = "aborting"


class AbortingEngine:
    source = SOURCE
    runs_in_process = True

    def __init__(self) -> None:
        self.requests = 0

    def list_models(self) -> list[ModelEntry]:
        return []

    def prepare(self, model_id: str, progress=None, cancel=None) -> None:
        return None

    def load(self, model_id: str) -> LoadResult:
        return LoadResult(0.001, "CPU", "TestExecutionProvider")

    def unload(self, model_id: str) -> None:
        return None

    def stream_chat(self, model_id: str, messages: list[dict[str, str]], params: ChatParams) -> Iterator[StreamEvent]:
        mode, _, after = model_id.partition("-after-")
        self.requests += 1
        if self.requests > int(after):
            if mode == "segv":
                os.kill(os.getpid(), signal.SIGSEGV)
            os.abort()
        yield TextDelta("Hello", time.perf_counter())
        yield TextDelta(" there", time.perf_counter())
        yield StreamEnd(time.perf_counter(), "stop", 3, 2, "engine")


def make() -> AbortingEngine:
    return AbortingEngine()

"""A test engine that loads "on" a device and execution provider of the test's choosing, and answers through a
real local HTTP server (``tests/fake_openai_server.py``): the ground truth for the GPU-fallback check.

A benchmark's model process uses it only when ``PICKWISE_TEST_ENGINE=tests.gpu_variant_engine:make`` is set
(``core.benchmark.model_process``); nothing in the product sets that variable. It serves the source
``gpuvariant``; the model id says where loading landed, ``DEVICE.PROVIDER`` (``GPU.CUDAExecutionProvider``:
a CUDA variant on its GPU; ``GPU.CPUExecutionProvider``: a GPU variant that fell back to the CPU), and
``PICKWISE_TEST_GPU_ENGINE_URL`` is the fake server's base URL.
"""

from __future__ import annotations

import os

from core.engines.base import LoadResult
from core.engines.openai_compatible import OpenAICompatibleEngine

SOURCE = "gpuvariant"
URL_ENV = "PICKWISE_TEST_GPU_ENGINE_URL"


class GpuVariantEngine(OpenAICompatibleEngine):
    def load(self, model_id: str) -> LoadResult:
        device, _, provider = model_id.partition(".")
        return LoadResult(0.01, device, provider)


def make() -> GpuVariantEngine:
    return GpuVariantEngine(SOURCE, os.environ[URL_ENV])


def environment(base_url: str) -> dict[str, str]:
    """The environment that routes the ``gpuvariant`` source to this engine (for ``monkeypatch``)."""
    return {"PICKWISE_TEST_ENGINE": "tests.gpu_variant_engine:make", URL_ENV: base_url}

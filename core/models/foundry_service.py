"""Foundry Local's web service as a source nobody has to type: ``foundry-local-service:MODEL_ID``.

Where it is: ``FOUNDRY_LOCAL_ENDPOINT`` (e.g. ``http://windows-host:5273/v1``, what the seed's set-up
exports), else a service answering ``GET /v1/models`` on its usual local port, 5273. The port is probed
with a 0.3 s timeout and the answer kept for 30 s, so a page pays at most 0.3 s every 30 s.

A stored endpoint named ``foundry-local-service`` wins over the discovered service: the user said where
it is (``core.models.sources.Sources.engine_for`` looks at the store first).

It speaks OpenAI's API, so ``OpenAICompatibleEngine`` serves it, plus what Foundry Local adds
(its REST reference, microsoft/Foundry-Local ``docs/reference/reference-rest.md``):

* ``GET /openai/load/{name}`` (service root, not under ``/v1``) loads a model into memory; 200 with an
  empty body when done. ``load`` calls it, so a benchmark's timed load is the service's real load.
* a chat for a model the service has not loaded fails; that answer is turned into one sentence that says
  how to load it (``foundry model load NAME``, or a probe, which loads it first).

Its model ids keep their version colon (``qwen2.5-0.5b-instruct-generic-cpu:4``): references split at
the first colon (``core.refs``), so ``foundry-local-service:qwen2.5-0.5b-instruct-generic-cpu:4`` works.
"""

from __future__ import annotations

import os
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import quote

import httpx2

from core.engines.base import ChatParams, EngineError, LoadResult, StreamEvent
from core.engines.openai_compatible import OpenAICompatibleEngine
from core.refs import FOUNDRY_SERVICE_SOURCE

SERVICE_ENV = "FOUNDRY_LOCAL_ENDPOINT"
DEFAULT_URL = "http://127.0.0.1:5273/v1"
PROBE_TIMEOUT_S = 0.3
PROBE_CACHE_S = 30.0
LOAD_TIMEOUT_S = 600.0  # loading a 7B model from disk takes minutes on a laptop

_probe_lock = threading.Lock()
_probed: dict[str, tuple[float, bool]] = {}  # url -> (monotonic time of the probe, answered)


def service_url() -> str | None:
    """The service's base URL: ``FOUNDRY_LOCAL_ENDPOINT`` when set, else the usual local port when a
    server answers there (cached), else None."""
    configured = os.environ.get(SERVICE_ENV, "").strip()
    if configured:
        return configured
    return DEFAULT_URL if _answers(DEFAULT_URL) else None


def _answers(url: str) -> bool:
    """Whether ``url/models`` answers 200 within ``PROBE_TIMEOUT_S`` (kept ``PROBE_CACHE_S``)."""
    with _probe_lock:
        checked = _probed.get(url)
        if checked is not None and time.monotonic() - checked[0] < PROBE_CACHE_S:
            return checked[1]
        try:
            with urllib.request.urlopen(url + "/models", timeout=PROBE_TIMEOUT_S) as response:  # noqa: S310
                answered = response.status == 200
        except (OSError, ValueError):
            answered = False
        _probed[url] = (time.monotonic(), answered)
        return answered


class FoundryServiceEngine(OpenAICompatibleEngine):
    """Foundry Local's web service: an OpenAI-compatible engine that loads through the service's API."""

    def __init__(self, base_url: str) -> None:
        super().__init__(FOUNDRY_SERVICE_SOURCE, base_url)

    @property
    def root(self) -> str:
        """The service root (the base URL without its ``/v1``), where Foundry's own routes live."""
        return self.base_url.removesuffix("/v1")

    def load(self, model_id: str) -> LoadResult:
        """``GET /openai/load/{model_id}``, timed; a server without that route (404) is only checked to list
        the model, as any OpenAI-compatible endpoint."""
        request = self._request("GET", "/models", LOAD_TIMEOUT_S)  # its headers, timeout and misconfiguration check
        request.url = httpx2.URL(f"{self.root}/openai/load/{quote(model_id, safe='')}")
        started = time.perf_counter()
        response = self._send(request, stream=False)
        seconds = time.perf_counter() - started
        if response.status_code == 404:
            return super().load(model_id)
        if response.status_code != 200:
            raise EngineError(f"Foundry Local's service at {self.base_url} could not load {model_id} "
                              f"(HTTP {response.status_code}: {self._excerpt(response.text)}); check its model id "
                              "with 'python cli.py models list' and that it is downloaded ('foundry model download').")
        return LoadResult(seconds=seconds, device=None, execution_provider=None)

    def stream_chat(self, model_id: str, messages: list[dict[str, str]], params: ChatParams) -> Iterator[StreamEvent]:
        """The OpenAI stream, with the service's "not loaded" answer said as what to do."""
        try:
            yield from super().stream_chat(model_id, messages, params)
        except EngineError as exc:
            if "not loaded" not in str(exc).lower():
                raise
            raise EngineError(f"Foundry Local's service has not loaded {model_id}: load it with "
                              f"'foundry model load {model_id}' (a probe or a benchmark in Pickwise loads it first) "
                              "and try again.") from None


def service_engine() -> FoundryServiceEngine | None:
    """The engine for the discovered service, or None when there is none."""
    url = service_url()
    return FoundryServiceEngine(url) if url else None

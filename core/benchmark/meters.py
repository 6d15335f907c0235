"""What running a model costs the machine: resident memory, GPU memory, and energy where counters exist.

Resident memory is read from *this* process: a benchmark measures each model in a process of its own
(``core.benchmark.model_process``), so what it adds is the model's. For a remote endpoint the model
lives in another process and Pickwise reports memory as unknown rather than a misleading figure.
Energy comes from Linux RAPL (CPU package) when readable; otherwise "n/a". GPU readings (memory, utilisation,
GPU energy) come from NVML in ``core.benchmark.gpu``. ``memory_note`` says in
words what dominates a model's memory: its weights, or the KV cache its context length sizes.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading
from collections.abc import Callable
from pathlib import Path

import psutil

from core.benchmark import gpu

_RAPL = Path("/sys/class/powercap/intel-rapl:0/energy_uj")
_RAPL_MAX = Path("/sys/class/powercap/intel-rapl:0/max_energy_range_uj")


ENDPOINT_MEMORY_NOTE = ("Memory is not measurable: the model runs in the endpoint's own process, outside "
                        "Pickwise.")


def rss_mb() -> float:
    return psutil.Process().memory_info().rss / 2**20


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (macOS, Windows, musl)."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


_TRIM = _malloc_trim()


def release_freed_memory() -> None:
    """Hand memory the engine has freed back to the operating system (glibc only; elsewhere nothing to do).

    Between requests, so a model's peak is what answering needs, not the allocator's history: each Foundry
    Local chat session allocates its KV cache afresh (~360 MB for the default model) and glibc keeps the freed
    buffers, so without this the process grew by one cache every few requests (1,409 MB "peak added" after 6
    requests, 2,068 MB after 16, for a model that needs ~580 MB; ``benchmarks/fit_check.py``). A trim takes
    ~12 ms, outside every request's timing."""
    if _TRIM is not None:
        _TRIM(0)


def gpu_memory_used_mb() -> float | None:
    """Memory in use over every NVIDIA GPU (NVML, ``core.benchmark.gpu``), or None when there is no reading."""
    return gpu.memory_used_mb()


class EnergyMeter:
    """CPU-package energy between ``start`` and ``stop`` in joules; ``None`` where RAPL is not readable."""

    def __init__(self) -> None:
        self._start: int | None = None

    @staticmethod
    def _read() -> int | None:
        try:
            return int(_RAPL.read_text())
        except (OSError, ValueError):
            return None

    def start(self) -> None:
        self._start = self._read()

    def stop(self) -> float | None:
        end = self._read()
        if self._start is None or end is None:
            return None
        delta = end - self._start
        if delta < 0:  # the counter wrapped
            try:
                delta += int(_RAPL_MAX.read_text())
            except (OSError, ValueError):
                return None
        return delta / 1e6


class PeakRssSampler:
    """Samples this process's resident memory every ``interval_s`` while generation runs."""

    def __init__(self, interval_s: float = 0.05) -> None:
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pickwise-rss", daemon=True)
        self.peak_mb = rss_mb()

    def _loop(self) -> None:
        process = psutil.Process()
        while not self._stop.wait(self._interval):
            self.peak_mb = max(self.peak_mb, process.memory_info().rss / 2**20)

    def __enter__(self) -> PeakRssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak_mb = max(self.peak_mb, rss_mb())


def memory_note(added_mb: float | None, kv_cache_mb: float | None, context_length: int | None,
                disk_mb: float | None) -> str:
    """What dominates the memory a model added, in one or two sentences fit to show beside the figures.

    onnxruntime-genai allocates the KV cache for the whole context length at the first request, so a
    small model with a long context takes several times its weights while answering (the default model,
    SmolLM2-135M: 90 MB on disk, 198 MB added at load, ~360 MB of fp32 cache at 8,192 tokens, 580 MB peak
    added; ``benchmarks/memory_check.py``)."""
    if context_length is None:
        return "Context length not known, so what dominates the memory added is not known."
    if kv_cache_mb is None:
        return (f"Loaded with a context of {context_length:,} tokens; the KV cache it sizes is not known "
                "(the model's config lacks the layer and head counts).")
    cache = f"The KV cache for a context of {context_length:,} tokens is ~{kv_cache_mb:,.0f} MB (estimate)"
    if disk_mb is None:
        return f"{cache}; the weights' size is not known."
    dominant = ("so the context length, not the weights, dominates the memory taken while answering (the "
                "cache is allocated at the first request)" if kv_cache_mb > disk_mb
                else "so the weights dominate the memory taken")
    added = f" Memory added at load: {added_mb:,.0f} MB." if added_mb is not None else ""
    return f"{cache}, against {disk_mb:,.0f} MB of weights on disk: {dominant}.{added}"

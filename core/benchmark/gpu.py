"""NVIDIA GPU readings through NVML, and the check that a GPU variant really ran on the GPU.

Readings come from NVML (``pynvml``, the ``nvidia-ml-py`` package) rather than parsed ``nvidia-smi`` output:
the same library nvidia-smi uses, without a subprocess per reading, so a sampler can read every tenth of a
second while a model answers. NVML is initialised once per process (``nvml``). Every reading is a figure or
``None`` ("no reading"): no library, no driver, no GPU, or a counter this GPU does not have (energy needs
Volta or newer) never raise to the caller; with no NVIDIA GPU the lists are empty.

Memory and energy are the sum over every NVIDIA GPU (a model may be split across them); utilisation is the
busiest GPU's. NVML's memory is the whole device's, so other processes on the GPU show in it: the figures
say what the GPU saw while the model loaded and answered.

``fallback_verdict`` answers the question Foundry Local users ask ("did my GPU variant quietly run on the
CPU?") from the loaded variant's execution provider and what NVML saw while it answered.

Test hook: ``PICKWISE_NVML_MODULE`` names the module that stands in for ``pynvml`` (``tests.fake_nvml``, a
fake GPU with known readings). It is read from the environment, so a benchmark's model process (a child)
uses the same fake as the test that started it.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from types import ModuleType
from typing import Any, TypeVar

NVML_MODULE_ENV = "PICKWISE_NVML_MODULE"
_T = TypeVar("_T")

# Below these the GPU did nothing for the model: NVML's memory moves by a few MB with other processes, and
# an idle GPU reads 0-1% utilisation.
NO_MEMORY_MB = 16.0
IDLE_UTILISATION_PCT = 2.0

# Execution providers that run on a GPU (Foundry Local and onnxruntime names).
GPU_PROVIDERS = frozenset({"CUDAExecutionProvider", "DmlExecutionProvider", "WebGpuExecutionProvider",
                           "NvTensorRTRTXExecutionProvider", "TensorrtExecutionProvider", "ROCMExecutionProvider",
                           "MIGraphXExecutionProvider"})
CPU_PROVIDER = "CPUExecutionProvider"
_GPU_VARIANT_ID = re.compile(r"-(cuda-|generic-|trt-rtx-|webgpu-)?gpu(:\d+)?$", re.IGNORECASE)


@cache
def nvml() -> ModuleType | None:
    """The NVML module, initialised once per process; None when NVML cannot start (no library, driver or GPU)."""
    try:
        module = importlib.import_module(os.environ.get(NVML_MODULE_ENV) or "pynvml")
        module.nvmlInit()
    except Exception:  # an import or init failure of any kind means "no NVML", never a crash
        return None
    return module


def _read(call: Callable[[ModuleType], _T]) -> _T | None:
    """``call(nvml)``, or None when NVML is absent or the reading fails (NVMLError, a missing function)."""
    module = nvml()
    if module is None:
        return None
    try:
        return call(module)
    except (module.NVMLError, OSError, AttributeError):
        return None


def _handles() -> list[Any]:
    def handles(m: ModuleType) -> list[Any]:
        return [m.nvmlDeviceGetHandleByIndex(i) for i in range(m.nvmlDeviceGetCount())]

    return _read(handles) or []


def _over_devices(reading: Callable[[ModuleType, Any], float]) -> list[float] | None:
    """One reading per GPU, or None when there is no GPU or any GPU cannot give it (a partial sum would lie)."""
    handles = _handles()
    values = [_read(lambda m, h=h: float(reading(m, h))) for h in handles]
    if not values or any(v is None for v in values):
        return None
    return [v for v in values if v is not None]


@dataclass(frozen=True)
class GpuInfo:
    name: str
    memory_total_mb: float | None

    def __str__(self) -> str:
        total = f", {self.memory_total_mb:.0f} MiB" if self.memory_total_mb is not None else ""
        return f"{self.name}{total}"


def gpus() -> list[GpuInfo]:
    """Every NVIDIA GPU with its name and memory; empty without NVML."""
    found = []
    for handle in _handles():
        name = _read(lambda m, h=handle: m.nvmlDeviceGetName(h))
        total = _read(lambda m, h=handle: m.nvmlDeviceGetMemoryInfo(h).total / 2**20)
        if isinstance(name, bytes):  # older nvidia-ml-py returns bytes
            name = name.decode("utf-8", "replace")
        found.append(GpuInfo(name or "NVIDIA GPU (name not readable)", total))
    return found


@dataclass(frozen=True)
class MemoryReading:
    """GPU memory at one moment (MiB): in use over every GPU, and the most free on any one (a model is loaded
    onto one GPU)."""

    used_mb: float
    free_mb: float


def memory_reading() -> MemoryReading | None:
    """Used and free GPU memory from one reading per GPU, or None without NVML."""
    readings = [_read(lambda m, h=h: m.nvmlDeviceGetMemoryInfo(h)) for h in _handles()]
    if not readings or any(r is None for r in readings):
        return None
    return MemoryReading(sum(r.used for r in readings) / 2**20, max(r.free for r in readings) / 2**20)


def memory_used_mb() -> float | None:
    """Memory in use over every NVIDIA GPU (MiB), or None."""
    reading = memory_reading()
    return None if reading is None else reading.used_mb


def utilisation_pct() -> float | None:
    """The busiest GPU's utilisation (% of the last sample period NVML's driver keeps), or None."""
    rates = _over_devices(lambda m, h: m.nvmlDeviceGetUtilizationRates(h).gpu)
    return None if rates is None else max(rates)


def energy_mj() -> float | None:
    """Energy counter summed over every GPU (mJ since the driver loaded), or None where a GPU has none."""
    counters = _over_devices(lambda m, h: m.nvmlDeviceGetTotalEnergyConsumption(h))
    return None if counters is None else sum(counters)


class GpuSampler:
    """While generation runs: peak GPU memory, utilisation (mean, max) and energy, read every ``interval_s``.

    ``before_mb`` is the memory in use before the model loaded, so ``peak_added_mb`` is what the model added
    at its peak (as ``PeakRssSampler`` does for resident memory). Every figure is None without readings."""

    def __init__(self, before_mb: float | None, interval_s: float = 0.1) -> None:
        self._before = before_mb
        self._interval = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="pickwise-gpu", daemon=True)
        self._peak: float | None = None
        self._utilisation: list[float] = []
        self._energy_start: float | None = None
        self.energy_j: float | None = None

    def sample(self) -> None:
        """One reading of memory and utilisation."""
        used, busy = memory_used_mb(), utilisation_pct()
        if used is not None:
            self._peak = used if self._peak is None else max(self._peak, used)
        if busy is not None:
            self._utilisation.append(busy)

    def _loop(self) -> None:
        while not self._stop.wait(self._interval):
            self.sample()

    def __enter__(self) -> GpuSampler:
        if nvml() is not None:
            self._energy_start = energy_mj()
            self.sample()
            self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        if not self._thread.is_alive():
            return
        self._stop.set()
        self._thread.join()
        self.sample()
        end = energy_mj()
        if self._energy_start is not None and end is not None and end >= self._energy_start:
            self.energy_j = (end - self._energy_start) / 1000

    @property
    def peak_added_mb(self) -> float | None:
        return None if self._peak is None or self._before is None else self._peak - self._before

    @property
    def utilisation_mean_pct(self) -> float | None:
        return sum(self._utilisation) / len(self._utilisation) if self._utilisation else None

    @property
    def utilisation_max_pct(self) -> float | None:
        return max(self._utilisation) if self._utilisation else None

    def figures(self) -> dict[str, float | None]:
        """The ``ModelResult`` fields it measured."""
        return {"gpu_peak_mb": self.peak_added_mb, "gpu_util_mean_pct": self.utilisation_mean_pct,
                "gpu_util_max_pct": self.utilisation_max_pct, "gpu_energy_j": self.energy_j}


@dataclass(frozen=True)
class FallbackVerdict:
    """``fell_back``: True (it ran on the CPU, or probably did), False (it ran on the GPU), None (not
    checkable, or not a GPU variant: then ``note`` is None too); ``note``: one sentence of why."""

    fell_back: bool | None
    note: str | None


def is_gpu_variant(device: str | None, model_id: str) -> bool:
    """The variant was meant for a GPU: its source says so, or its id is a GPU variant's (``…-cuda-gpu:4``)."""
    return (device or "").upper() == "GPU" or bool(_GPU_VARIANT_ID.search(model_id))


def fallback_verdict(device: str | None, provider: str | None, model_id: str, *, load_mb: float | None,
                     peak_mb: float | None, utilisation_max_pct: float | None) -> FallbackVerdict:
    """Did a GPU variant run on the GPU? The execution provider settles it when it is the CPU's; with a GPU
    provider, NVML decides: GPU memory added or utilisation while answering, or neither (a silent fallback)."""
    on_gpu_provider = provider in GPU_PROVIDERS
    if not (is_gpu_variant(device, model_id) or on_gpu_provider):
        return FallbackVerdict(None, None)
    if provider == CPU_PROVIDER:
        return FallbackVerdict(True, f"A GPU variant loaded on {CPU_PROVIDER}: it ran on the CPU.")
    memory = max((v for v in (load_mb, peak_mb) if v is not None), default=None)
    if memory is None and utilisation_max_pct is None:
        said = f"{provider} was reported" if provider else "the execution provider was not reported"
        return FallbackVerdict(None, f"Not checkable: {said} and NVML gave no readings (no NVIDIA GPU or "
                                     "driver), so whether it ran on the GPU is not known.")
    used = memory is not None and memory >= NO_MEMORY_MB
    busy = utilisation_max_pct is not None and utilisation_max_pct >= IDLE_UTILISATION_PCT
    seen = (("no GPU memory reading" if memory is None else f"{memory:,.0f} MB of GPU memory added") + " and "
            + ("no utilisation reading" if utilisation_max_pct is None
               else f"at most {utilisation_max_pct:.0f}% utilisation while answering"))
    if used or busy:
        return FallbackVerdict(False, f"{provider or 'A GPU device'} with {seen}: it ran on the GPU.")
    return FallbackVerdict(True, f"{provider or 'A GPU device'} was reported, but NVML saw {seen}: it probably "
                                 "ran on the CPU (a silent fallback).")


"""A fake NVML with known readings: the ground truth for ``core.benchmark.gpu`` and the GPU fields of a run.

Selected with ``PICKWISE_NVML_MODULE=tests.fake_nvml`` (``core.benchmark.gpu`` imports it instead of
``pynvml``); nothing in the product sets that variable. It implements the pynvml functions Pickwise calls,
and reads its GPUs from ``PICKWISE_FAKE_NVML``, a JSON document (an environment variable, so a benchmark's
model process, a child, reads the same script as the test that started it)::

    {"init_error": false,                      # true: nvmlInit fails as with no driver
     "devices": [{"name": "Fake RTX 4090", "total_mb": 24564,
                  "used_mb": [1000, 1500, 2300, 1900],  # one value per call, the last one repeats
                  "util_pct": [73],
                  "energy_mj": [5000000, 5012500],
                  "errors": ["nvmlDeviceGetTotalEnergyConsumption"]}]}  # these raise NVMLError

Readings are scripted over time as the sequence of calls: the n-th call of a function on a device returns
the n-th value of its list (the last one once the list is used up). ``nvmlInit`` reads the script afresh and
restarts every sequence.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

SCRIPT_ENV = "PICKWISE_FAKE_NVML"
NVML_ERROR_UNINITIALIZED = 1
NVML_ERROR_NOT_SUPPORTED = 3
NVML_ERROR_DRIVER_NOT_LOADED = 9

_script: dict[str, Any] = {}
_calls: defaultdict[tuple[str, int], int] = defaultdict(int)


class NVMLError(Exception):
    def __init__(self, value: int) -> None:
        super().__init__(f"fake NVML error {value}")
        self.value = value


@dataclass(frozen=True)
class _Memory:
    total: int
    used: int
    free: int


@dataclass(frozen=True)
class _Utilization:
    gpu: int
    memory: int


def script(devices: list[dict[str, Any]], init_error: bool = False) -> dict[str, str]:
    """The environment that makes ``tests.fake_nvml`` the NVML with these devices (for ``monkeypatch``)."""
    return {"PICKWISE_NVML_MODULE": "tests.fake_nvml",
            SCRIPT_ENV: json.dumps({"devices": devices, "init_error": init_error})}


def nvmlInit() -> None:
    global _script
    _script = json.loads(os.environ.get(SCRIPT_ENV) or '{"devices": []}')
    _calls.clear()
    if _script.get("init_error"):
        raise NVMLError(NVML_ERROR_DRIVER_NOT_LOADED)


def nvmlShutdown() -> None:
    return None


def nvmlDeviceGetCount() -> int:
    return len(_script.get("devices", []))


def nvmlDeviceGetHandleByIndex(index: int) -> int:
    if not 0 <= index < nvmlDeviceGetCount():
        raise NVMLError(NVML_ERROR_UNINITIALIZED)
    return index


def _next(function: str, handle: int, key: str) -> Any:
    device = _script["devices"][handle]
    if function in device.get("errors", []):
        raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
    values = device.get(key)
    if values is None:
        raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
    n = _calls[(function, handle)]
    _calls[(function, handle)] += 1
    return values[min(n, len(values) - 1)]


def nvmlDeviceGetName(handle: int) -> str:
    if "nvmlDeviceGetName" in _script["devices"][handle].get("errors", []):
        raise NVMLError(NVML_ERROR_NOT_SUPPORTED)
    return _script["devices"][handle]["name"]


def nvmlDeviceGetMemoryInfo(handle: int) -> _Memory:
    total = int(_script["devices"][handle]["total_mb"] * 2**20)
    used = int(_next("nvmlDeviceGetMemoryInfo", handle, "used_mb") * 2**20)
    return _Memory(total, used, total - used)


def nvmlDeviceGetUtilizationRates(handle: int) -> _Utilization:
    return _Utilization(int(_next("nvmlDeviceGetUtilizationRates", handle, "util_pct")), 0)


def nvmlDeviceGetTotalEnergyConsumption(handle: int) -> int:
    return int(_next("nvmlDeviceGetTotalEnergyConsumption", handle, "energy_mj"))

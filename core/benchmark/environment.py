"""The machine a run ran on, recorded with every run so its figures can be understood and repeated."""

from __future__ import annotations

import platform
from functools import lru_cache
from importlib import metadata

import psutil

from core.benchmark import gpu

_PACKAGES = ("foundry-local-sdk", "onnxruntime", "onnxruntime-genai-core", "openai", "streamlit", "numpy")


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _gpus() -> list[str]:
    """NVIDIA GPUs by name and memory through NVML (``"NVIDIA GeForce RTX 4090, 24564 MiB"``); empty when there
    is none (the usual case here)."""
    return [str(found) for found in gpu.gpus()]


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


@lru_cache(maxsize=1)
def machine_environment() -> dict:
    """CPU, cores, RAM, OS, GPUs and package versions (cached: the machine does not change mid-process)."""
    return {
        "cpu": _cpu_model(),
        "cores_logical": psutil.cpu_count(logical=True),
        "cores_physical": psutil.cpu_count(logical=False),
        "ram_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "gpus": _gpus(),
        "packages": {name: _version(name) for name in _PACKAGES},
    }
